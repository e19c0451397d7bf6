"""delegates_mode=exclusive: a row takes away only send_as from bob (state=absent, permission=send_as). bob holds
both; the plan revokes both, and the full_access no row names is not counted as a prune (prune_limit=0 lets it
through)."""
from tests.unit.roster_regressions.harness import odin_fixture, rs_fixture, scenario

for provider in ("rackspace", "odin"):
    if provider == "rackspace":
        fx = rs_fixture([{"name": "support", "displayName": "S", "size": 1024,
                          "permissions": [{"grantee": "bob", "permission": "both"}]},
                         {"name": "bob", "displayName": "B", "size": 1024}])
    else:
        fx = odin_fixture([{"email_address": "support@example.com", "size_limit": 1048576, "full_access": ["bob"],
                            "send_as": ["bob@example.com"]},
                           {"email_address": "bob@example.com", "size_limit": 1048576}])
    roster = {"delegates": [{"mailbox": "support", "grantee": "bob", "permission": "send_as", "state": "absent"}],
              "delegates_mode": "exclusive", "prune_limit": "0"}
    checked, real, again, state, w, rw = scenario(provider, fx, roster, "exclusive + absent send_as")
    assert not any('permission=["both",null]' in line and "[held]" not in line for line in real["plan"]), \
        "%s: full_access, which no row names, was revoked and not counted against prune_limit=0" % provider
