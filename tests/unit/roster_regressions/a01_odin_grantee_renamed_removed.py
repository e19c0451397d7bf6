"""Odin: a delegate row names grantee `alice`, whose primary address was changed to a.smith@example.com.
The docs say mailboxes named in `delegates` count as listed; unlisted=remove removes alice's mailbox anyway
(it is listed under a.smith), right after granting her access."""
from tests.unit.roster_regressions.harness import odin_fixture, scenario

boxes = [{"email_address": "%s@example.com" % n, "display_name": n.title(), "size_limit": 1048576} for n in
         ["support", "bob", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]]
boxes.append({"email_address": "a.smith@example.com", "alias": "alice", "display_name": "Alice",
              "email_addresses": ["alice@example.com"], "size_limit": 1048576})
fx = odin_fixture(boxes)
roster = {"mailboxes": [{"name": n} for n in ["bob", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"]],
          "delegates": [{"mailbox": "support", "grantee": "alice", "permission": "full_access"}],
          "unlisted": "remove"}
checked, real, again, state, w, rw = scenario("odin", fx, roster, "grantee listed under another primary")
assert "alice" in state, "alice's mailbox (a.smith@example.com) was removed although a valid delegate row names her"
