"""plan_digest: "" (what `| default('')` or a check batch refused as a whole - the roles map a missing plan_digest to
'' - hands the apply job) is taken as "no approval": the run applies whatever it plans, here a removal nobody
reviewed. An empty or malformed digest should be refused."""
from tests.unit.roster_regressions.harness import rs_fixture, run, sandbox, summary

fx = rs_fixture([{"name": n, "displayName": n, "size": 1024} for n in ["bob"] + ["u%02d" % i for i in range(10)]])
roster = {"mailboxes": [{"name": "u%02d" % i} for i in range(10)], "unlisted": "remove", "plan_digest": ""}
sb = sandbox("rackspace", fx)
try:
    result = run("rackspace", sb, roster)
    print(summary(result))
    assert not result.get("removed"), "an empty plan_digest applied an unreviewed removal"
finally:
    sb.stop()
