"""Rackspace: ann's row claims sales@example.com, an alias of the unlisted mailbox boss (the listing carries no
aliases, so neither run sees it). The real run's alias add is refused; boss's removal, which would take sales@ with
it, must then not run: a refused write holds whatever the list does not name (the forecast gap - check mode cannot
see an unread holder - is documented; the loss is not acceptable)."""
from tests.unit.roster_regressions.harness import rs_fixture, scenario

fx = rs_fixture([{"name": "boss", "displayName": "Boss", "size": 1024, "aliases": ["sales@example.com"]}]
                + [{"name": n, "displayName": n.title(), "size": 1024} for n in ["ann"] + ["u%02d" % i for i in range(9)]])
roster = {"mailboxes": [{"name": "ann", "aliases": ["sales@example.com"]}] + [{"name": "u%02d" % i} for i in range(9)],
          "unlisted": "remove"}
checked, real, again, state, w, rw = scenario("rackspace", fx, roster, "alias held by an unlisted mailbox", rerun=False)
assert real["removed"] == [] and real["failed"], real
assert "held back: a write of this run was refused" in real["errors"]["boss"], real["errors"]
assert state["boss@example.com"]["aliases"] == ["sales@example.com"], state
