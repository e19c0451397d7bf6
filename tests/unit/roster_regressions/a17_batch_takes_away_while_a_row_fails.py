"""batch + delegates_mode=exact (allowed with batch; the roles use it with onboard_grants: exact): a row of batch 2
fails in planning (a new mailbox without the size its create needs). Unbatched, the same list holds every take-away
("a row that failed may name what would be"). Batch 1 only knows the other batches' static failures, so it reduces
ann's grant on support from both to full_access while the list has a row at fault."""
from tests.unit.roster_regressions.harness import PASSWORD, rs_fixture, run, sandbox, summary

fx = rs_fixture([{"name": "support", "displayName": "S", "size": 1024,
                  "permissions": [{"grantee": "ann", "permission": "both"}]},
                 {"name": "ann", "displayName": "Ann", "size": 1024}])
base = {"mailboxes": [{"name": "ann"}, {"name": "newbie", "display_name": "Newbie"}], "password": PASSWORD,
        "delegates": [{"mailbox": "support", "grantee": "ann", "permission": "full_access"}],
        "delegates_mode": "exact"}
sb = sandbox("rackspace", fx)
try:
    whole = run("rackspace", sb, base, check=True)
    print("unbatched (check):", summary(whole))
    b1 = run("rackspace", sb, dict(base, batch={"size": 1, "number": 1}))
    b2 = run("rackspace", sb, dict(base, batch={"size": 1, "number": 2}))
    print("batch 1:", summary(b1))
    print("batch 2:", summary(b2))
    with sb.lock:
        perms = dict(sb.state.domain("example.com").mailboxes["support"].permissions)
    print("support permissions:", perms)
    assert perms == {("example.com", "ann"): "both"}, "a grant was reduced while a row of the list was at fault"
finally:
    sb.stop()
