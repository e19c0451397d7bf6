"""The onboard and offboard roles against the sandboxes: request economy at scale, summaries, grants, passwords."""

import json
import math

import pytest

DOMAIN = "example.com"
PASSWORD = "Onb0arding-Pw!42"
SHARED_PASSWORD = "Shared-Mailb0x-2026"
NO_PACING = {"HOSTED_EXCHANGE_MAX_READS_PER_MINUTE": "0", "HOSTED_EXCHANGE_MAX_WRITES_PER_MINUTE": "0"}
UNLIMITED = {"GET": 10 ** 9, "WRITE": 10 ** 9}


def hires(count):
    return [{"name": "hire%04d" % n, "display_name": "Hire %d" % n, "first_name": "Hire", "last_name": str(n),
             "department": "Finance", "size": 2048, "job_title": "Clerk"} for n in range(1, count + 1)]


def compliant_fixture(people):
    mailboxes = [{"name": "support", "displayName": "Support", "size": 2048,
                  "permissions": [{"grantee": p["name"], "permission": "fullAccess"} for p in people]}]
    mailboxes += [{"name": p["name"], "displayName": p["display_name"], "size": 2048, "firstName": "Hire",
                   "lastName": p["last_name"], "department": "Finance", "jobTitle": "Clerk"} for p in people]
    return {"domains": {DOMAIN: {"mailboxes": mailboxes}}}


def onboard(people, connection=None, **variables):
    values = {"onboard_hires": people, "onboard_domain": DOMAIN, "onboard_initial_password": PASSWORD,
              "onboard_shared_mailbox": "support", "onboard_shared_mailbox_display_name": "Support",
              "onboard_shared_mailbox_password": SHARED_PASSWORD}
    values.update(variables)
    play = {"hosts": "localhost", "gather_facts": False, "vars": values,
            "tasks": [{"name": "onboard", "ansible.builtin.include_role": {"name": "mailops.hosted_exchange.onboard"}}]}
    if connection:
        play["module_defaults"] = {"group/mailops.hosted_exchange.hosted_exchange": connection}
    return play


def summary(result):
    return result["Summary of the onboarding"]["msg"]


@pytest.mark.sandbox(fixture=compliant_fixture(hires(300)), limits=UNLIMITED)
def test_check_over_300_compliant_hires_costs_the_read_floor(run_playbook, rackspace_sandbox, rackspace_env):
    result = run_playbook(onboard(hires(300)), env=dict(rackspace_env, **NO_PACING), check=True, diff=True)
    assert result.rc == 0, result
    assert summary(result)[0] == ("Onboarding example.com (rackspace) - check mode, nothing was changed: 0 created, "
                                  "0 updated, 300 unchanged, 0 failed; 0 grants changed, 0 failed")
    assert rackspace_sandbox.writes() == []
    gets = len(rackspace_sandbox.requests())
    # the floor: one show per hire, the listing's pages, support's grant pages (+1: the shared mailbox task's own GET)
    floor = 300 + math.ceil(301 / 250) + math.ceil(300 / 250)
    # in batches of 60 (two minutes of Rackspace's writes: a line in the job output each), each batch reads the
    # listing and support's grants again: 4 more batches of 2 + 2 pages; the batch size is set by the domain's
    # size, read once first (its 2 listing pages): within 1.1 x the floor
    batches = [e for e in result.events if e["event"] == "item_ok" and e["task"].startswith("Mailboxes, aliases")]
    assert [e["item_label"] for e in batches] == ["hires %d-%d of 300" % (n, n + 59) for n in range(1, 300, 60)]
    assert result["Size of the domain (for the batch size)"]["listed"] == 301
    assert gets == floor + 1 + 2 + 4 * (2 + 2) and gets <= 1.1 * floor


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {"mailboxes": [
    {"name": "support", "displayName": "Support", "size": 2048,
     "permissions": [{"grantee": "kept", "permission": "sendAs"}]},
    {"name": "kept", "displayName": "Kept", "size": 1024}]}}})
def test_first_run_summary_failures_passwords_and_additive_grants(run_playbook, rackspace_sandbox, rackspace_env):
    sb = rackspace_sandbox
    people = hires(3) + [{"name": "kept", "display_name": "Kept", "size": 1024},
                         {"name": "o'neil", "display_name": "O Neil"}]
    result = run_playbook(onboard(people), env=rackspace_env)
    assert result.rc != 0  # one hire failed: the role fails, after doing every other one
    lines = summary(result)
    # the invalid name fails twice: the hire's mailbox, and its grant on the shared mailbox
    assert lines[0] == ("Onboarding example.com (rackspace): 3 created, 0 updated, 1 unchanged, 1 failed; "
                        "4 grants changed, 1 failed")
    assert lines[1] == "created: hire0001, hire0002, hire0003"
    assert lines[2].startswith("FAILED o'neil: rackspace: invalid mailbox name \"o'neil\"")
    assert lines[3].startswith("FAILED delegate o'neil on support: rackspace: invalid grantee name \"o'neil\"")
    state = sb.state.domain(DOMAIN)
    assert {"hire0001", "hire0002", "hire0003"} <= set(state.mailboxes)
    # grants add: kept held send_as, asked for full_access, now holds both
    assert state.mailboxes["support"].permissions[state.mailboxes["kept"].key] == "both"
    # the shared mailbox was not touched with the hires' password; every hire got theirs
    assert state.mailboxes["support"].password is None
    assert state.mailboxes["hire0002"].password == PASSWORD
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {}}})
def test_the_shared_mailbox_gets_its_own_password_and_a_connection_from_module_defaults(
        run_playbook, rackspace_sandbox, rackspace_env):
    connection = {"provider": "rackspace", "api_url": rackspace_sandbox.url,
                  "api_user": rackspace_env["HOSTED_EXCHANGE_API_USER"],
                  "api_secret": rackspace_env["HOSTED_EXCHANGE_API_SECRET"]}
    result = run_playbook(onboard(hires(2), connection=connection), env={})  # no HOSTED_EXCHANGE_* at all
    assert result.rc == 0, result
    state = rackspace_sandbox.state.domain(DOMAIN)
    assert state.mailboxes["support"].password == SHARED_PASSWORD != PASSWORD
    assert state.mailboxes["support"].permissions[state.mailboxes["hire0001"].key] == "fullAccess"


ODIN_SUB = "1000042"


@pytest.mark.sandbox(fixture={"subscriptions": {ODIN_SUB: {"domains": [DOMAIN]}}}, account=ODIN_SUB)
def test_the_same_hire_list_on_odin_via_module_defaults(run_playbook, odin_sandbox, odin_env):
    # The connection in module_defaults (not the environment): the role asks the collection what Odin can set.
    connection = {"provider": "odin", "api_url": odin_sandbox.url, "account": ODIN_SUB,
                  "api_user": odin_env["HOSTED_EXCHANGE_API_USER"], "api_secret": odin_env["HOSTED_EXCHANGE_API_SECRET"]}
    people = [dict(p, aliases=["%s.a@example.com" % p["name"]], activesync=True) for p in hires(2)]
    result = run_playbook(onboard(people, connection=connection, onboard_shared_mailbox_password=""), env={})
    assert result.rc == 0, result
    left_out = result["Say what this provider cannot set, so nothing is left out silently"]["msg"]
    assert left_out == "Provider odin cannot set department, first_name, job_title, last_name: left out for every hire."
    boxes = dict((m.primary, m) for m in odin_sandbox.state.mailboxes.values())
    assert boxes["hire0001@example.com"].active_sync and "hire0002.a@example.com" in boxes["hire0002@example.com"].addresses
    again = run_playbook(onboard(people, connection=connection, onboard_shared_mailbox_password=""), env={})
    assert again.rc == 0 and "0 created, 0 updated, 2 unchanged" in summary(again)[0], again


@pytest.mark.sandbox(fixture={"account": "test-account123", "domains": {DOMAIN: {}}}, account="test-account123")
def test_the_same_hire_list_on_hostway(run_playbook, hostway_sandbox, hostway_env):
    people = [dict(p, aliases=["x@example.com"], activesync=True) for p in hires(2)]
    result = run_playbook(onboard(people, onboard_shared_mailbox=""), env=hostway_env)
    assert result.rc == 0, result
    assert result["Say what this provider cannot set, so nothing is left out silently"]["msg"] == (
        "Provider hostway cannot set activesync, aliases, size: left out for every hire.")
    assert hostway_sandbox.state.username(DOMAIN, "hire0002").fields["department"] == "Finance"


@pytest.mark.sandbox(fixture=compliant_fixture(hires(3)))
def test_check_mode_drift_report(run_playbook, rackspace_sandbox, rackspace_env, tmp_path):
    with rackspace_sandbox.lock:
        rackspace_sandbox.state.domain(DOMAIN).mailboxes["hire0002"].contact["department"] = "Sales"
    result = run_playbook(onboard(hires(3), onboard_report_dir=str(tmp_path), onboard_unlisted="report"),
                          env=rackspace_env, check=True)
    assert result.rc == 0, result
    assert rackspace_sandbox.writes() == []
    markdown = (tmp_path / "drift-example.com.md").read_text()
    assert "| hire0002 | department | Sales | Finance |" in markdown
    assert "1 drifted" in markdown and "2 compliant" in markdown
    report = json.loads((tmp_path / "drift-example.com.json").read_text())
    assert report["drifted"] == 1 and report["domains"][0]["drifted"] == [
        {"mailbox": "hire0002", "field": "department", "now": "Sales", "should_be": "Finance"}]
    # what AWX gets through set_stats is the same report, with the plan an approver would review
    stats = [e for e in result.events if e.get("task") == "Publish the drift report and the plan for AWX"]
    assert stats and stats[0]["ansible_stats"]["data"]["hosted_exchange_drift"] == {DOMAIN: report}, stats
    plan = stats[0]["ansible_stats"]["data"]["hosted_exchange_plans"][DOMAIN]
    assert plan["shared_mailbox"] == "keep" and len(plan["batches"]) == 1 and plan["batches"][0].startswith("sha256:")


LEAVERS = [{"name": "lee", "forward_to": "boss@example.com", "shared_mailboxes": ["support"]}]


def offboard(stage="disable"):
    return {"hosts": "localhost", "gather_facts": False,
            "vars": {"offboard_leavers": LEAVERS, "offboard_domain": DOMAIN, "offboard_stage": stage},
            "tasks": [{"name": "offboard", "ansible.builtin.include_role": {"name": "mailops.hosted_exchange.offboard"}}]}


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {"mailboxes": [
    {"name": "support", "displayName": "Support", "permissions": [{"grantee": "lee", "permission": "both"}]},
    {"name": "boss", "displayName": "Boss"},
    {"name": "lee", "displayName": "Lee", "activeSync": True}]}}})
def test_offboard_role_on_rackspace(run_playbook, rackspace_sandbox, rackspace_env):
    checked = run_playbook(offboard(), env=rackspace_env, check=True)
    assert checked.rc == 0 and rackspace_sandbox.writes() == [], checked
    result = run_playbook(offboard(), env=rackspace_env)
    assert result.rc == 0, result
    state = rackspace_sandbox.state.domain(DOMAIN)
    lee = state.mailboxes["lee"]
    assert lee.settings["enabled"] is False and not lee.active_sync
    assert lee.settings["emailForwardingAddress"] == "boss@example.com" and lee.settings["saveForwardedEmail"]
    assert lee.key not in state.mailboxes["support"].permissions
    lines = result["What was cut, and what this provider could not cut, per leaver"]["msg"]
    assert lines == ["lee@example.com (rackspace)",
                     "  cut: disabled (enabled=off); ActiveSync detached; permissions revoked on support",
                     "  forwarded: to boss@example.com",
                     "  NOT cut, the rackspace API cannot: nothing - every access is cut",
                     "  not checked: permissions on mailboxes other than support (list them in shared_mailboxes)"]
    again = run_playbook(offboard(), env=rackspace_env)
    assert again.rc == 0 and "changed=0" in again.stdout, again
    removed = run_playbook(offboard("remove"), env=rackspace_env)
    assert removed.rc == 0 and "lee" not in state.mailboxes, removed


@pytest.mark.sandbox(fixture={"account": "test-account123", "domains": {DOMAIN: {"usernames": [
    {"username": "lee", "displayName": "Lee"}]}}}, account="test-account123")
def test_offboard_role_says_what_hostway_cannot_cut(run_playbook, hostway_sandbox, hostway_env):
    result = run_playbook(offboard(), env=hostway_env)
    assert result.rc == 0, result
    lines = result["What was cut, and what this provider could not cut, per leaver"]["msg"]
    assert lines[1] == "  cut: nothing"
    assert lines[2] == "  forwarded: to boss@example.com"
    assert lines[3] == ("  NOT cut, the hostway API cannot: login with the password (offboard_rotate_password: true would "
                        "replace it with a random one); OWA; Outlook (MAPI); IMAP4; POP3; ActiveSync; any permissions on "
                        "support (the API has no permissions to revoke)")
    assert hostway_sandbox.state.username(DOMAIN, "lee").forwards == ["boss@example.com"]
    assert len(hostway_sandbox.state.username(DOMAIN, "lee").password_history) == 0

    # Asked to, the role replaces the password with a random one nobody knows: the login is cut.
    rotate = offboard()
    rotate["vars"]["offboard_rotate_password"] = True
    rotated = run_playbook(rotate, env=hostway_env)
    assert rotated.rc == 0, rotated
    lines = rotated["What was cut, and what this provider could not cut, per leaver"]["msg"]
    assert lines[1].startswith("  cut: login: the password was replaced by a random one nobody knows")
    assert lines[3] == ("  NOT cut, the hostway API cannot: any permissions on support (the API has no permissions to "
                        "revoke)")
    assert len(hostway_sandbox.state.username(DOMAIN, "lee").password_history) == 1
    assert "Zq-" not in rotated.stdout + rotated.stderr  # the new password is never shown


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {"mailboxes": [
    {"name": "support", "displayName": "Support", "permissions": [{"grantee": "lee", "permission": "both"},
                                                                  {"grantee": "kim", "permission": "fullAccess"}]},
    {"name": "lee", "displayName": "Lee"}, {"name": "kim", "displayName": "Kim"}]}}})
def test_offboard_one_wrong_leaver_never_keeps_the_others_access_open(run_playbook, rackspace_sandbox, rackspace_env):
    play = offboard()
    play["vars"]["offboard_leavers"] = [{"name": "lee", "shared_mailboxes": ["support"]},
                                        {"name": "ghost", "shared_mailboxes": ["support"]},
                                        {"name": "kim", "shared_mailboxes": ["support"]}]
    play["vars"]["offboard_removal_limit"] = "2"  # two of the domain's three mailboxes: above the default 10%
    checked = run_playbook(play, env=rackspace_env, check=True)
    assert checked.rc != 0 and rackspace_sandbox.writes() == [], checked
    result = run_playbook(play, env=rackspace_env)
    assert result.rc != 0, result
    assert result["Fail when a leaver could not be offboarded"]["msg"] == "ghost: no such mailbox in example.com"
    state = rackspace_sandbox.state.domain(DOMAIN)
    assert state.mailboxes["lee"].settings["enabled"] is False and state.mailboxes["kim"].settings["enabled"] is False
    assert state.mailboxes["support"].permissions == {}
    assert "ghost" not in state.mailboxes  # never created
    lines = result["What was cut, and what this provider could not cut, per leaver"]["msg"]
    assert "ghost@example.com (rackspace)" in lines
    assert "  FAILED: there is no such mailbox - nothing was sent for it (is the name right?)" in lines
