"""The offboard role's fail-safety: one leaver's wrong row never keeps another's access open, and the removal
limit counts only hosted Exchange mailboxes (Hostway lists its older platform's too)."""

import pytest

DOMAIN = "example.com"


def offboard(leavers, stage="disable", **variables):
    values = dict({"offboard_leavers": leavers, "offboard_domain": DOMAIN, "offboard_stage": stage}, **variables)
    return {"hosts": "localhost", "gather_facts": False, "vars": values,
            "tasks": [{"name": "offboard", "ansible.builtin.include_role": {"name": "mailops.hosted_exchange.offboard"}}]}


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {"mailboxes": [
    {"name": "support", "displayName": "Support", "permissions": [{"grantee": "lee", "permission": "both"},
                                                                  {"grantee": "ann", "permission": "sendAs"}]},
    {"name": "lee", "displayName": "Lee"}, {"name": "ann", "displayName": "Ann"}] + [
    {"name": "u%02d" % n, "displayName": "U"} for n in range(20)]}}})
def test_a_typo_in_one_leavers_shared_mailboxes_keeps_nobody_elses_access(
        run_playbook, rackspace_sandbox, rackspace_env):
    leavers = [{"name": "ann", "shared_mailboxes": ["suport"]}, {"name": "lee", "shared_mailboxes": ["support"]}]
    result = run_playbook(offboard(leavers), env=rackspace_env)
    assert result.rc != 0, result
    state = rackspace_sandbox.state.domain(DOMAIN)
    # lee's access is cut although ann's row is wrong; ann's own grant on support is not revoked (not listed)
    assert state.mailboxes["lee"].key not in state.mailboxes["support"].permissions
    assert state.mailboxes["support"].permissions[state.mailboxes["ann"].key] == "sendAs"
    lines = result["What was cut, and what this provider could not cut, per leaver"]["msg"]
    ann, lee = lines[:lines.index("lee@example.com (rackspace)")], lines[lines.index("lee@example.com (rackspace)"):]
    assert lee[1].endswith("permissions revoked on support")
    assert "permissions revoked" not in ann[1]  # never claimed where the revoke did not happen
    assert any(line.startswith("  FAILED: ") and "suport" in line for line in ann)
    assert "ann (permissions):" in result["Fail when a leaver could not be offboarded"]["msg"]


@pytest.mark.sandbox(fixture={"account": "acct-1", "domains": {DOMAIN: {"usernames": [
    {"username": name, "displayName": name.title()} for name in ("ann", "bob", "cyd")] + [
    {"username": "old%02d" % n, "platform": "mfg2"} for n in range(27)]}}}, account="acct-1")
def test_hostways_older_platform_does_not_inflate_the_removal_limit(run_playbook, hostway_sandbox, hostway_env):
    leavers = [{"name": "ann"}, {"name": "bob"}, {"name": "cyd"}]
    result = run_playbook(offboard(leavers, "remove"), env=hostway_env)
    assert result.rc != 0 and hostway_sandbox.writes() == [], result
    # 10% of the domain's 3 hosted Exchange mailboxes (not of its 30 listed names) is 1
    assert "(1 of the domain's 3 mailboxes)" in result["No more leavers in one run than offboard_removal_limit "
                                                       "allows (a wrong list must not empty a domain)"]["msg"]
    left = sorted(n for n, u in hostway_sandbox.state.domain(DOMAIN).usernames.items() if u.platform != "mfg2")
    assert left == ["ann", "bob", "cyd"]
