"""Approved plans: `remove bob` (and `disable bob`) lines carry only the name, so the digest does not change when the
mailbox named bob is another one by the time the plan is applied. Reviewed: remove old bob (Bob Old, 1 GB). Between
the check job and the apply job old bob is removed by someone else and a new hire bob is created (Bob New). The apply
job, fed the approved digest, finds the same digest and removes the new hire's mailbox."""
from tests.unit.roster_regressions.harness import rs_fixture, run, sandbox, summary

fx = rs_fixture([{"name": "bob", "displayName": "Bob Old", "size": 1024}] +
                [{"name": "u%02d" % i, "displayName": "U", "size": 1024} for i in range(10)])
roster = {"mailboxes": [{"name": "u%02d" % i} for i in range(10)], "unlisted": "remove"}
sb = sandbox("rackspace", fx)
try:
    checked = run("rackspace", sb, roster, check=True)
    print("approved plan:", checked["plan"], checked["plan_digest"])
    with sb.lock:  # in between: old bob goes, a new hire bob arrives
        sb.state.delete_mailbox(sb.state.mailbox("example.com", "bob"))
        sb.state.add_mailbox("example.com", {"name": "bob", "displayName": "Bob New", "size": 4096})
    applied = run("rackspace", sb, dict(roster, plan_digest=checked["plan_digest"]))
    print("apply:", summary(applied))
    assert sb.state.mailbox("example.com", "bob") is not None, "the new hire bob was removed under an approval of old bob"
finally:
    sb.stop()
