"""Approved plans end to end, through the collection's own playbooks, as an AWX workflow runs them: a check job
publishes its plan with set_stats, the apply job gets it as an extra variable and applies exactly that plan - or,
when anything changed since the check, nothing at all. Also the offboard role's limit on one run."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN = "example.com"
SECRETS = {"HOSTED_EXCHANGE_INITIAL_PASSWORD": "Onb0arding-Pw!42",
           "HOSTED_EXCHANGE_SHARED_MAILBOX_PASSWORD": "Shared-Mailb0x-2026"}
HIRES = ["alex.smith", "maria.garcia", "sam.lee"]  # playbooks/vars/new_hires.yml


def playbook(name):
    return [{"import_playbook": str(REPO / "playbooks" / name)}]


def published(result, key):
    """What the run published with set_stats under key (the stats AWX keeps as the job's artifacts)."""
    data = {}
    for event in result.events:
        data.update((event.get("ansible_stats") or {}).get("data") or {})
    return data[key]


STAFF = {"domains": {DOMAIN: {"mailboxes": [
    {"name": "support", "displayName": "Customer Support", "size": 2048},
    {"name": "pat.jones", "displayName": "Pat Jones", "size": 2048}]}}}


@pytest.mark.sandbox(fixture=STAFF)
def test_onboarding_applies_exactly_the_plan_the_audit_found(run_playbook, rackspace_sandbox, rackspace_env):
    sb, env = rackspace_sandbox, dict(rackspace_env, **SECRETS)
    audit = run_playbook(playbook("audit.yml"), env=env, diff=True)
    assert audit.rc == 0 and sb.writes() == [], audit
    plans = published(audit, "hosted_exchange_plans")
    assert plans[DOMAIN]["shared_mailbox"] == "keep" and len(plans[DOMAIN]["batches"]) == 1
    assert published(audit, "hosted_exchange_drift")[DOMAIN]["domains"][0]["to_create"] == HIRES
    assert not list(REPO.glob("playbooks/drift-*")), "report files are written only where asked"

    sb.clear_log()
    applied = run_playbook(playbook("onboard.yml"), env=env, extra_vars={"hosted_exchange_plans": plans})
    assert applied.rc == 0, applied
    # verified first (a check-mode run of every batch, no write, reported as no change), then applied
    verify = applied["Approved plan - each batch is planned afresh and compared with its approved digest (no write)"]
    assert not verify["changed"] and not verify.get("failed")
    assert [item["plan_digest"] for item in verify["results"]] == plans[DOMAIN]["batches"]
    assert set(HIRES) <= set(sb.state.domain(DOMAIN).mailboxes)
    assert published(applied, "hosted_exchange_plans")[DOMAIN]["batches"] == plans[DOMAIN]["batches"]


@pytest.mark.sandbox(fixture=STAFF)
def test_a_plan_that_went_stale_since_the_check_is_refused_with_nothing_written(run_playbook, rackspace_sandbox,
                                                                                rackspace_env):
    sb, env = rackspace_sandbox, dict(rackspace_env, **SECRETS)
    plans = published(run_playbook(playbook("audit.yml"), env=env), "hosted_exchange_plans")
    # between the approval and the apply job, someone else creates one of the hires by hand
    with sb.lock:
        sb.state.load_fixture({"domains": {DOMAIN: {"mailboxes": [
            {"name": "maria.garcia", "displayName": "Maria G.", "size": 1024}]}}})
    sb.clear_log()
    applied = run_playbook(playbook("onboard.yml"), env=env, extra_vars={"hosted_exchange_plans": plans})
    assert applied.rc != 0
    assert sb.writes() == [], "a stale plan must write nothing"
    message = applied["Approved plan - each batch is planned afresh and compared with its approved digest (no write)"]
    assert "not the approved one" in str(message["results"][0]["msg"])
    assert "update maria.garcia" in str(message["results"][0]["msg"])
    assert not {"alex.smith", "sam.lee"} & set(sb.state.domain(DOMAIN).mailboxes)


@pytest.mark.sandbox(fixture=STAFF)
def test_an_approved_plan_that_kept_the_shared_mailbox_is_refused_when_it_is_gone(run_playbook, rackspace_sandbox,
                                                                                  rackspace_env):
    sb, env = rackspace_sandbox, dict(rackspace_env, **SECRETS)
    plans = published(run_playbook(playbook("audit.yml"), env=env), "hosted_exchange_plans")
    with sb.lock:
        sb.state.domain(DOMAIN).mailboxes.pop("support")
    sb.clear_log()
    applied = run_playbook(playbook("onboard.yml"), env=env, extra_vars={"hosted_exchange_plans": plans})
    assert applied.rc != 0 and sb.writes() == []
    assert "it creates the shared mailbox" in applied["Approved plan - the shared mailbox is where the reviewed plan "
                                                      "found it"]["msg"]


LEAVER_FIXTURE = {"domains": {DOMAIN: {"mailboxes": [
    {"name": "support", "displayName": "Support", "permissions": [{"grantee": "sam.lee", "permission": "both"}]},
    {"name": "sam.lee", "displayName": "Sam Lee", "activeSync": True},
    {"name": "a", "displayName": "A"}, {"name": "b", "displayName": "B"}, {"name": "c", "displayName": "C"},
    {"name": "d", "displayName": "D"}, {"name": "e", "displayName": "E"}, {"name": "f", "displayName": "F"},
    {"name": "g", "displayName": "G"}]}}}


@pytest.mark.sandbox(fixture=LEAVER_FIXTURE)
def test_offboarding_applies_the_approved_plan_and_refuses_a_stale_one(
        run_playbook, rackspace_sandbox, rackspace_env):
    sb = rackspace_sandbox
    check = run_playbook(playbook("offboard.yml"), env=rackspace_env, check=True)
    assert check.rc == 0 and sb.writes() == [], check
    plans = published(check, "hosted_exchange_offboard_plans")
    assert plans[DOMAIN]["disable"].startswith("sha256:")

    # stale: sam.lee's ActiveSync was detached by hand since the check - the plan differs, nothing is written
    with sb.lock:
        sb.state.domain(DOMAIN).mailboxes["sam.lee"].active_sync = False
    stale = run_playbook(playbook("offboard.yml"), env=rackspace_env,
                         extra_vars={"hosted_exchange_offboard_plans": plans})
    assert stale.rc != 0 and sb.writes() == [], stale
    assert "not the approved one" in stale["Approved plan - it is the plan that was reviewed"]["msg"]
    assert sb.state.domain(DOMAIN).mailboxes["sam.lee"].settings["enabled"] is True

    # a fresh check, approved: applied as reviewed
    plans = published(run_playbook(playbook("offboard.yml"), env=rackspace_env, check=True),
                      "hosted_exchange_offboard_plans")
    applied = run_playbook(playbook("offboard.yml"), env=rackspace_env,
                           extra_vars={"hosted_exchange_offboard_plans": plans})
    assert applied.rc == 0, applied
    state = sb.state.domain(DOMAIN)
    assert state.mailboxes["sam.lee"].settings["enabled"] is False
    assert state.mailboxes["sam.lee"].key not in state.mailboxes["support"].permissions


@pytest.mark.sandbox(fixture=LEAVER_FIXTURE)
@pytest.mark.parametrize("stage", ["disable", "remove"])
def test_offboarding_more_leavers_than_the_limit_allows_changes_nothing(run_playbook, rackspace_sandbox,
                                                                        rackspace_env, stage):
    leavers = [{"name": name} for name in ("a", "b", "c")]
    play = {"hosts": "localhost", "gather_facts": False,
            "vars": {"offboard_leavers": leavers, "offboard_domain": DOMAIN, "offboard_stage": stage},
            "tasks": [{"name": "offboard", "ansible.builtin.include_role": {"name": "mailops.hosted_exchange.offboard"}}]}
    for check in (True, False):
        result = run_playbook(play, env=rackspace_env, check=check)
        assert result.rc != 0 and rackspace_sandbox.writes() == [], result
        limit_task = "No more leavers in one run than offboard_removal_limit allows (a wrong list must not empty a domain)"
        message = result[limit_task]["msg"]
        assert message.startswith("3 leavers' mailboxes would be %s in this run, more than "
                                  "offboard_removal_limit '10%%, 500' allows (1 of the domain's 9 mailboxes)"
                                  % ("disabled" if stage == "disable" else "removed"))
    assert len(rackspace_sandbox.state.domain(DOMAIN).mailboxes) == 9
    play["vars"]["offboard_removal_limit"] = "3"
    assert run_playbook(play, env=rackspace_env).rc == 0
