"""Rackspace: ann's row claims sales@example.com, an alias of the unlisted mailbox boss (the listing carries no
aliases). boss's removal would take sales@ with it: an unlisted mailbox that holds an address a row claims or
forwards to is read and kept, with a warning, in both runs (ann's add is then refused by the provider: a row that
fails, not an address on nobody). The same for a forward target (x01 of the second attack)."""
from tests.unit.roster_regressions.harness import rs_fixture, scenario

fx = rs_fixture([{"name": "boss", "displayName": "Boss", "size": 1024, "aliases": ["sales@example.com"]}]
                + [{"name": n, "displayName": n.title(), "size": 1024} for n in ["ann"] + ["u%02d" % i for i in range(9)]])
roster = {"mailboxes": [{"name": "ann", "aliases": ["sales@example.com"]}] + [{"name": "u%02d" % i} for i in range(9)],
          "unlisted": "remove"}
checked, real, again, state, w, rw = scenario("rackspace", fx, roster, "alias held by an unlisted mailbox", rerun=False)
for result in (checked, real):
    assert result["removed"] == [] and "boss" not in result["unlisted"], result
    assert "unlisted mailbox boss is kept: it holds sales@example.com" in str(result["warnings"]), result
assert state["boss@example.com"]["aliases"] == ["sales@example.com"], state

fx = rs_fixture([{"name": "boss", "displayName": "Boss", "size": 1024, "aliases": ["sales@example.com"]}]
                + [{"name": n, "displayName": n.title(), "size": 1024} for n in ["lee"] + ["u%02d" % i for i in range(9)]])
roster = {"mailboxes": [{"name": "lee", "forwarding_address": "sales@example.com"}]
          + [{"name": "u%02d" % i} for i in range(9)], "unlisted": "remove"}
checked, real, again, state, w, rw = scenario("rackspace", fx, roster, "forward target held by an unlisted mailbox")
assert checked["removed"] == real["removed"] == [] and "boss@example.com" in state, (checked, real)
