"""Odin: what should count as listed but is matched only by the listing's key (the local part of the primary
address), so unlisted=remove takes it away:
 A. unlisted_keep: [alice] - alice's primary address is a.smith@example.com;
 B. a delegate row whose grantee is bob's alias address (bob-alias@example.com) - resolved to bob, granted, then
    bob is removed;
 C. the same with unlisted=disable."""
from tests.unit.roster_regressions.harness import odin_fixture, scenario

others = ["c%d" % i for i in range(1, 9)]
boxes = [{"email_address": "%s@example.com" % n, "display_name": n.title(), "size_limit": 1048576}
         for n in ["support"] + others]
boxes.append({"email_address": "a.smith@example.com", "alias": "alice", "display_name": "Alice",
              "email_addresses": ["alice@example.com"], "size_limit": 1048576})
boxes.append({"email_address": "bob@example.com", "display_name": "Bob", "email_addresses": ["bob-alias@example.com"],
              "size_limit": 1048576})
fx = odin_fixture(boxes)
rows = [{"name": n} for n in ["support"] + others]
failures = []
for title, roster, victim in [
        ("A. unlisted_keep names alice", {"mailboxes": rows, "unlisted": "remove", "unlisted_keep": ["alice", "bob"],
                                          "prune_limit": "1"}, "alice"),
        ("B. grantee by alias address", {"mailboxes": rows, "unlisted": "remove", "unlisted_keep": ["a.smith"],
                                         "delegates": [{"mailbox": "support", "grantee": "bob-alias@example.com",
                                                        "permission": "send_as"}]}, "bob"),
        ("C. grantee by alias address, disable", {"mailboxes": rows, "unlisted": "disable", "unlisted_keep": ["a.smith"],
                                                  "delegates": [{"mailbox": "support", "grantee": "bob-alias@example.com",
                                                                 "permission": "send_as"}]}, "bob")]:
    checked, real, again, state, w, rw = scenario("odin", fx, roster, title)
    if victim not in state or not state[victim]["owa"]:
        failures.append("%s: %s was taken away" % (title, victim))
print("\n".join(failures))
assert not failures
