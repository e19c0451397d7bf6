"""unlisted_keep entries are never checked: "admin " (a trailing space, as a CSV or a YAML list often carries) and
"Admin Mailbox" (a display name) protect nothing, and unlisted=remove removes the mailboxes they were meant to keep -
the same flaw as issue 14's finding 2, in the keep list instead of the rows. Nothing is held, no error is given."""
from tests.unit.roster_regressions.harness import rs_fixture, scenario

fx = rs_fixture([{"name": n, "displayName": n.title(), "size": 1024} for n in
                 ["admin", "svc-backup"] + ["u%02d" % i for i in range(18)]])
roster = {"mailboxes": [{"name": "u%02d" % i} for i in range(18)], "unlisted": "remove",
          "unlisted_keep": ["admin ", " svc-*"]}
checked, real, again, state, w, rw = scenario("rackspace", fx, roster, "keep patterns with stray spaces")
assert "admin@example.com" in state and "svc-backup@example.com" in state, "a mailbox unlisted_keep names was removed"
