"""Odin: alice holds a.smith@example.com as an alias; her row makes it her primary address and, with
exclusive_aliases, lists no other alias. The plan changes the primary to a.smith@example.com and then removes
a.smith@example.com as an alias that is no longer listed - the address the row itself names as primary."""
from tests.unit.roster_regressions.harness import compare, odin_fixture, scenario

others = [{"email_address": "c%d@example.com" % i, "size_limit": 1048576} for i in range(20)]
fx = odin_fixture([{"email_address": "alice@example.com", "display_name": "Alice", "size_limit": 1048576,
                    "email_addresses": ["a.smith@example.com", "x1@example.com"]}] + others)
roster = {"mailboxes": [{"name": "alice", "primary_address": "a.smith@example.com", "aliases": ["x1@example.com"]}],
          "exclusive_aliases": True}
checked, real, again, state, w, rw = scenario("odin", fx, roster, "primary moved to an alias, exclusive")
print("errors:", real.get("errors"))
assert "a.smith@example.com" in state["alice"]["addresses"], "the primary address the row names was removed"
assert not rw, "the rerun wrote"
assert not any(line == 'alias_remove alice: address="a.smith@example.com"' for line in real["plan"]), \
    "the plan removes the address the row names as primary (a lenient server would leave the mailbox without it)"
assert compare(checked, real) == {}, "check mode's forecast differs from the real run"
