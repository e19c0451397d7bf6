"""batch: a delegate whose grantee is a new row of batch 1 and whose mailbox is a new row of batch 2 goes with batch 1
(its grantee's row). In batch 1 the mailbox does not exist yet: check mode assumes it is created (a warning) and
forecasts the grant; the real run fails the row ("does not exist and is not in the list" - although it is in the
list), and batch 2 never makes the grant. With an approved plan, batch 1 is refused as stale while batch 2 applies."""
from tests.unit.roster_regressions.harness import PASSWORD, compare, rs_fixture, run, sandbox, snapshot, summary

fx = rs_fixture([{"name": "boss", "displayName": "Boss", "size": 1024}])
rows = [{"name": "ann", "display_name": "Ann Lee", "size": 1024},
        {"name": "team", "display_name": "Team Box", "size": 1024}]
base = {"mailboxes": rows, "password": PASSWORD,
        "delegates": [{"mailbox": "team", "grantee": "ann", "permission": "full_access"}]}
sb = sandbox("rackspace", fx)
try:
    c1 = run("rackspace", sb, dict(base, batch={"size": 1, "number": 1}), check=True)
    c2 = run("rackspace", sb, dict(base, batch={"size": 1, "number": 2}), check=True)
    print("check batch 1:", summary(c1), c1.get("warnings"))
    print("check batch 2:", summary(c2))
    r1 = run("rackspace", sb, dict(base, batch={"size": 1, "number": 1}))
    r2 = run("rackspace", sb, dict(base, batch={"size": 1, "number": 2}))
    print("real  batch 1:", summary(r1))
    print("real  batch 2:", summary(r2))
    print("differs batch 1:", list(compare(c1, r1)))
    print("state:", snapshot("rackspace", sb))
    assert compare(c1, r1) == {}, "batch 1: check mode's forecast differs from the real run"
finally:
    sb.stop()
