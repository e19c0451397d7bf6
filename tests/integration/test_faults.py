"""Onboarding under injected faults, on every provider: it ends exactly as asked, and a rerun changes nothing.

The sandboxes answer 20 % of requests with a fault (seeded): a 503 before acting, the connection dropped
after acting, a 502 after acting, or an answer slower than the client's timeout. Reads are retried; writes
that may have happened are read back, never blindly re-sent - so nothing is lost and nothing is duplicated.
"""

import pytest

DOMAIN = "example.com"
PASSWORD = "Onb0arding-Pw!42"
FAULTS = {"rate": 0.2, "seed": 3, "slow_seconds": 1.5}
SCALE = 0.02  # the sandbox's minute lasts 1.2 s; the client paces to it
CLIENT = {"HOSTED_EXCHANGE_TIMEOUT": "1", "HOSTED_EXCHANGE_RETRIES": "8", "HOSTED_EXCHANGE_RETRY_BUDGET": "120",
          "HOSTED_EXCHANGE_RATE_WINDOW": str(60 * SCALE)}
HIRES = ["ann", "ben", "cat", "dan", "eve", "fay"]


def people(provider):
    entries = []
    for number, name in enumerate(HIRES):
        entry = {"name": name, "display_name": "%s Hire" % name.title()}
        if provider != "hostway":
            entry.update(size=1024, aliases=["%s.hire@example.com" % name], activesync=number % 2 == 0)
        if provider != "odin":
            entry.update(first_name=name.title(), department="Finance")
        entries.append(entry)
    return entries


def onboard(provider):
    return {"hosts": "localhost", "gather_facts": False, "vars": {
        "onboard_hires": people(provider), "onboard_domain": DOMAIN, "onboard_initial_password": PASSWORD,
        "onboard_shared_mailbox": "" if provider == "hostway" else "support",
        "onboard_shared_mailbox_display_name": "Support", "onboard_shared_mailbox_password": "Shared-Mailb0x-2026"},
        "tasks": [{"name": "onboard", "ansible.builtin.include_role": {"name": "mailops.hosted_exchange.onboard"}}]}


def applied_writes(sandbox):
    return [e for e in sandbox.writes() if e["status"] < 400 and e.get("rpc_status", 0) == 0 and not e.get("fault")]


def run_twice(run_playbook, sandbox, env, provider):
    env = dict(env, **CLIENT)
    first = run_playbook(onboard(provider), env=env, timeout=600)
    assert first.rc == 0, first
    # faults hit writes after they acted (the read-back had to decide) and before (the write had to be sent again)
    kinds = set(e["fault"] for e in sandbox.writes() if e.get("fault"))
    assert kinds & {"drop-after", "502-after", "slow-after"}, "no write was faulted after acting: proves nothing"
    assert "503-before" in set(e["fault"] for e in sandbox.faults())
    written = len(sandbox.writes())
    again = run_playbook(onboard(provider), env=env, timeout=600)
    assert again.rc == 0, again
    assert "0 created, 0 updated, %d unchanged, 0 failed; 0 grants changed, 0 failed" % len(HIRES) in \
        again["Summary of the onboarding"]["msg"][0]
    assert "changed=0" in again.stdout
    # the rerun, under the same fault rate, sent no write at all
    assert len(sandbox.writes()) == written
    sandbox.set_faults(None)
    return first


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {}}}, time_scale=SCALE, faults=FAULTS)
def test_rackspace_onboarding_under_faults(run_playbook, rackspace_sandbox, rackspace_env):
    run_twice(run_playbook, rackspace_sandbox, rackspace_env, "rackspace")
    state = rackspace_sandbox.state.domain(DOMAIN)
    assert sorted(state.mailboxes) == sorted(HIRES + ["support"])
    for number, name in enumerate(HIRES):
        box = state.mailboxes[name]
        assert box.aliases == ["%s.hire@example.com" % name]  # exactly once: nothing duplicated
        assert box.active_sync == (number % 2 == 0) and box.contact["department"] == "Finance"
        assert state.mailboxes["support"].permissions[box.key] == "fullAccess"
    assert len(state.mailboxes["support"].permissions) == len(HIRES)
    assert state.mailboxes["support"].password == "Shared-Mailb0x-2026"


ODIN_SUB = "1000042"


@pytest.mark.sandbox(fixture={"subscriptions": {ODIN_SUB: {"domains": [DOMAIN]}}}, account=ODIN_SUB, faults=FAULTS)
def test_odin_onboarding_under_faults(run_playbook, odin_sandbox, odin_env):
    run_twice(run_playbook, odin_sandbox, odin_env, "odin")
    with odin_sandbox.lock:
        boxes = dict((m.primary, m) for m in odin_sandbox.state.mailboxes.values())
    assert sorted(boxes) == sorted(["%s@example.com" % n for n in HIRES] + ["support@example.com"])
    support = boxes["support@example.com"]
    for number, name in enumerate(HIRES):
        box = boxes["%s@example.com" % name]
        assert box.addresses == ["%s@example.com" % name, "%s.hire@example.com" % name]
        assert box.active_sync == (number % 2 == 0)
        assert box.mailbox_id in support.full_access
    assert len(support.full_access) == len(HIRES) and len(odin_sandbox.state.users) == len(HIRES) + 1


@pytest.mark.sandbox(fixture={"account": "test-account123", "domains": {DOMAIN: {}}}, account="test-account123",
                     faults=FAULTS)
def test_hostway_onboarding_under_faults(run_playbook, hostway_sandbox, hostway_env):
    run_twice(run_playbook, hostway_sandbox, hostway_env, "hostway")
    domain = hostway_sandbox.state.domain(DOMAIN)
    assert sorted(domain.usernames) == sorted(HIRES)
    for name in HIRES:
        user = domain.usernames[name]
        assert user.fields["department"] == "Finance" and user.fields["displayName"] == "%s Hire" % name.title()
        assert len(user.password_history) == 1  # the password was set once, never re-sent
