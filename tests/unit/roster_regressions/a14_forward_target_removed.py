"""Rackspace: lee's row forwards his mail to boss@example.com; boss is not a row, so unlisted=remove removes boss in
the same run (after setting the forward). Every mail to lee now goes to an address that is on no mailbox. A valid
row names boss@example.com, yet nothing protects it (the same holds for an alias address as forward target)."""
from tests.unit.roster_regressions.harness import rs_fixture, scenario

fx = rs_fixture([{"name": n, "displayName": n.title(), "size": 1024} for n in
                 ["boss", "lee"] + ["u%02d" % i for i in range(9)]])
roster = {"mailboxes": [{"name": "lee", "forwarding_address": "boss@example.com"}] +
          [{"name": "u%02d" % i} for i in range(9)], "unlisted": "remove"}
checked, real, again, state, w, rw = scenario("rackspace", fx, roster, "forward target removed")
assert "boss@example.com" in state, "lee forwards to boss@example.com, which this run removed"
