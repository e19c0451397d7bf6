"""Odd inputs on every provider: any 'unexpected ... defect of the collection' answer is a crash."""
from tests.unit.roster_regressions.harness import API_SECRET, PASSWORD, hw_fixture, odin_fixture, rs_fixture, run, sandbox, summary

FIX = {"rackspace": rs_fixture([{"name": "bob", "displayName": "Bob", "size": 1024, "aliases": ["sales@example.com"],
                                 "permissions": []}, {"name": "support", "displayName": "S", "size": 1024,
                                                      "permissions": [{"grantee": "bob", "permission": "both"}]}]),
       "odin": odin_fixture([{"email_address": "bob@example.com", "size_limit": 1048576,
                              "email_addresses": ["sales@example.com"]},
                             {"email_address": "support@example.com", "size_limit": 1048576, "full_access": ["bob"]},
                             {"email_address": "a.smith@example.com", "alias": "alice",
                              "email_addresses": ["alice@example.com"], "size_limit": 1048576}]),
       "hostway": hw_fixture([{"username": "bob"}, {"username": "support"}, {"username": "old", "platform": "mfg2"}])}
CASES = [
    {"mailboxes": [{"name": "bob"}], "prune_limit": None, "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "prune_limit": "5%%", "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "prune_limit": " 5 ", "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "prune_limit": "100%", "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "prune_limit": "0", "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "prune_limit": "1e3", "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "prune_limit": "\u0665", "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "prune_limit": "99999999999999999999999%", "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "unlisted": "remove", "unlisted_keep": [None, "", "[", "*["]},
    {"mailboxes": [{"name": "bob", "aliases": [None]}]},
    {"mailboxes": [{"name": "bob", "aliases": []}], "exclusive_aliases": True},
    {"mailboxes": [{"name": "bob", "aliases": ["SALES@EXAMPLE.COM", "sales@example.com "]}], "exclusive_aliases": True},
    {"mailboxes": [{"name": None}]},
    {"mailboxes": [{"name": "bob"}, {"name": "BOB"}], "unlisted": "remove"},
    {"mailboxes": [{"name": "bob", "primary_address": "sales@example.com"}]},
    {"mailboxes": [{"name": "alice", "primary_address": "alice@example.com"}]},
    {"mailboxes": [{"name": "a.smith", "aliases": []}], "exclusive_aliases": True},
    {"mailboxes": [{"name": "bob", "forwarding_address": ""}]},
    {"mailboxes": [{"name": "bob"}], "delegates": [{"mailbox": "support", "grantee": "bob", "state": "absent"}],
     "delegates_mode": "exclusive"},
    {"mailboxes": [{"name": "bob"}], "delegates": [{"mailbox": "support", "grantee": "support"}]},
    {"mailboxes": [{"name": "bob"}], "delegates": [{"mailbox": "support", "grantee": "bob@nowhere.example",
                                                    "permission": "send_as"}]},
    {"mailboxes": [{"name": "bob"}], "delegates": [{"mailbox": "nobody", "grantee": "bob", "permission": "send_as"}]},
    {"mailboxes": [{"name": "bob"}], "delegates": [{"mailbox": "support", "grantee": "mailbox-id:1",
                                                    "permission": "send_as"}]},
    {"mailboxes": [{"name": "bob"}], "delegates": [{"mailbox": "support", "grantee": "@example.com",
                                                    "permission": "send_as"}]},
    {"mailboxes": [{"name": "bob"}], "delegates": [{"mailbox": "support", "grantee": "bob", "permission": "both"},
                                                   {"mailbox": "SUPPORT", "grantee": "Bob@Example.COM",
                                                    "permission": "send_as", "state": "absent"}]},
    {"mailboxes": [{"name": "bob"}], "batch": {"size": 0, "number": 1}},
    {"mailboxes": [{"name": "bob"}], "batch": {"size": 1, "number": 2}},
    {"mailboxes": [], "batch": {"size": 1, "number": 1}},
    {"mailboxes": [{"name": "bob"}], "plan_digest": ""},
    {"mailboxes": [{"name": "bob"}], "plan_digest": "x" * 10000},
    {"mailboxes": [{"name": "new1", "size": 10, "display_name": "N", "service_user_id": 999999}]},
    {"mailboxes": [{"name": "new1", "size": 10, "display_name": "N", "login": "bob@example.com"}]},
    {"mailboxes": [{"name": "bob", "size": 2 ** 40}]},
    {"mailboxes": [{"name": "new2", "size": 10, "display_name": "N", "aliases": ["x@unknown-domain.test"]}],
     "password": PASSWORD},
    {"mailboxes": [{"name": "bob", "aliases": ["bob@example.com"]}], "exclusive_aliases": True},
    {"mailboxes": [{"name": "old"}], "unlisted": "remove"},
    {"mailboxes": [{"name": "bob"}], "unlisted": "remove", "unlisted_keep": ["alice"]},
    {"domain": "EXAMPLE.COM ", "mailboxes": [{"name": "bob"}], "unlisted": "report"},
]
crashes = []
import os
VERBOSE = os.environ.get("VERBOSE")
for provider in ("rackspace", "odin", "hostway"):
    for number, case in enumerate(CASES):
        sb = sandbox(provider, FIX[provider])
        try:
            for check in (True, False):
                result = run(provider, sb, case, check=check)
                msg = str(result.get("msg", ""))
                if VERBOSE and not check:
                    print(provider, number, summary(result)[:400])
                if "unexpected" in msg or "Traceback" in result["_raw"] and "exception" not in result:
                    crashes.append((provider, number, check, msg[:300]))
                if PASSWORD in result["_raw"] or API_SECRET in result["_raw"]:
                    crashes.append((provider, number, check, "SECRET"))
        finally:
            sb.stop()
for crash in crashes:
    print(crash)
assert not crashes
