"""Odin: rows `alice` and `a.smith` name one mailbox (Exchange alias alice, primary a.smith@example.com, listed under
a.smith). Nothing detects the duplicate ("a name listed twice" compares names only): both rows plan updates of the
same mailbox from the same read. With exclusive_aliases (default prune_limit), the a.smith row removes
alice@example.com and al@example.com - both named by the valid row `alice`, the first being the address every task
finds the mailbox by. The rerun then plans a create of alice (refused: "Mailbox alias alice is already in use") and
writes again; sizes flip-flop between the rows on every run."""
from tests.unit.roster_regressions.harness import odin_fixture, scenario

others = [{"email_address": "u%02d@example.com" % i, "size_limit": 1048576,
           "email_addresses": ["u%02d.alt@example.com" % i]} for i in range(18)]
fx = odin_fixture([{"email_address": "a.smith@example.com", "alias": "alice", "display_name": "Alice",
                    "email_addresses": ["alice@example.com", "al@example.com"], "size_limit": 1048576}] + others)
roster = {"mailboxes": [{"name": "alice", "size": 2048, "aliases": ["alice@example.com", "al@example.com"]},
                        {"name": "a.smith", "size": 4096, "aliases": ["as@example.com"]}] +
          [{"name": "u%02d" % i, "aliases": ["u%02d.alt@example.com" % i]} for i in range(18)],
          "exclusive_aliases": True}
checked, real, again, state, w, rw = scenario("odin", fx, roster, "two rows, one mailbox")
print("alice's addresses now:", state["alice"]["addresses"])
assert "alice@example.com" in state["alice"]["addresses"], "an address the valid row alice lists was removed"
