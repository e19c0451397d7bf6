"""Odin, batch: row `alice` (listed under her primary a.smith@example.com) is in batch 1; the last batch reports the
mailboxes nobody lists and names a.smith - alice's mailbox - because only its own rows' reads count as matched.
(Only a report; an AWX drift report tells people to clean up a mailbox that is in the list.)"""
from tests.unit.roster_regressions.harness import odin_fixture, run, sandbox

fx = odin_fixture([{"email_address": "a.smith@example.com", "alias": "alice", "email_addresses": ["alice@example.com"],
                    "size_limit": 1048576}, {"email_address": "bob@example.com", "size_limit": 1048576}])
sb = sandbox("odin", fx)
try:
    base = {"mailboxes": [{"name": "alice"}, {"name": "bob"}], "unlisted": "report"}
    whole = run("odin", sb, base, check=True)
    last = run("odin", sb, dict(base, batch={"size": 1, "number": 2}), check=True)
    print("without batch unlisted:", whole["unlisted"], " last batch unlisted:", last["unlisted"])
    assert whole["unlisted"] == last["unlisted"]
finally:
    sb.stop()
