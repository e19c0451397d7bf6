"""Odin: a delegate row on mailbox `alice`, whose primary address was changed to a.smith@example.com.
Check mode assumes alice will be created (warning) and forecasts the grant and the removal of a.smith (= alice);
the real run fails the row ("does not exist") and holds the removal: check differs from the real run, and a valid
row fails on a mailbox that exists."""
from tests.unit.roster_regressions.harness import compare, odin_fixture, scenario

boxes = [{"email_address": "%s@example.com" % n, "display_name": n.title(), "size_limit": 1048576} for n in
         ["bob", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]]
boxes.append({"email_address": "a.smith@example.com", "alias": "alice", "display_name": "Alice",
              "email_addresses": ["alice@example.com"], "size_limit": 1048576})
fx = odin_fixture(boxes)
roster = {"mailboxes": [{"name": n} for n in ["bob", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"]],
          "delegates": [{"mailbox": "alice", "grantee": "bob", "permission": "full_access"}],
          "unlisted": "remove"}
checked, real, again, state, w, rw = scenario("odin", fx, roster, "delegated mailbox listed under another primary")
print("check warnings:", checked.get("warnings"))
differs = compare(checked, real)

# Variant: alice is also a row of the list (found, unchanged) - the delegate on her still fails in the real run.
roster2 = dict(roster, mailboxes=roster["mailboxes"] + [{"name": "alice"}], unlisted="ignore")
checked2, real2, *_rest = scenario("odin", fx, roster2, "delegated mailbox is a listed row too", rerun=False)
print("real run errors:", real2.get("errors"))
assert not differs and not compare(checked2, real2), "check mode's forecast differs from the real run"
