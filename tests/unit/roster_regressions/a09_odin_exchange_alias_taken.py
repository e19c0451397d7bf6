"""Odin: a mailbox whose Exchange alias is `alice` no longer holds alice@example.com (its primary is a.smith@, the old
address was removed). A row `alice` plans a create; the listing read (getMailboxes carries each mailbox's Exchange
alias) already says the alias is taken, yet check mode forecasts `created: [alice]` and the real run fails."""
from tests.unit.roster_regressions.harness import compare, odin_fixture, scenario

fx = odin_fixture([{"email_address": "a.smith@example.com", "alias": "alice", "display_name": "A Smith",
                    "size_limit": 1048576}])
roster = {"mailboxes": [{"name": "alice", "size": 1024, "display_name": "Alice New"}]}
checked, real, again, state, w, rw = scenario("odin", fx, roster, "Exchange alias already taken", rerun=False)
assert compare(checked, real) == {}
