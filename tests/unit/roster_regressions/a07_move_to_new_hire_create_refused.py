"""Rackspace: an alias moves from bob (exclusive_aliases, bob's row no longer lists it) to a new hire ann, whose create
the provider refuses (a display name with '<' - only the provider decides). The release of sales@example.com runs
first, the create fails, the alias_add is "not done" (its create failed) - and, unlike a refused claim, the address
is not given back: sales@example.com is on nobody, mail to it bounces."""
from tests.unit.roster_regressions.harness import PASSWORD, odin_fixture, rs_fixture, scenario

fx = rs_fixture([{"name": "bob", "displayName": "Bob", "size": 1024, "aliases": ["sales@example.com"]}])
roster = {"mailboxes": [{"name": "ann", "display_name": "Ann <Sales>", "size": 1024, "aliases": ["sales@example.com"]},
                        {"name": "bob", "aliases": []}],
          "password": PASSWORD, "exclusive_aliases": True}
checked, real, again, state, w, rw = scenario("rackspace", fx, roster, "move to a new hire whose create is refused",
                                              rerun=False)
holders = [a for a, box in state.items() if "sales@example.com" in box["aliases"]]
print("errors:", real.get("errors"))
if not holders:
    print("RACKSPACE: sales@example.com is on no mailbox")

# The same on Odin: the create is refused (the login belongs to a service user that already has a mailbox).
fx = odin_fixture([{"email_address": "bob@example.com", "size_limit": 1048576, "email_addresses": ["sales@example.com"]}])
roster = {"mailboxes": [{"name": "ann", "size": 1024, "login": "bob@example.com", "aliases": ["sales@example.com"]},
                        {"name": "bob", "aliases": []}],
          "exclusive_aliases": True}
checked, real, again, state, w, rw = scenario("odin", fx, roster, "move to a new hire whose create is refused",
                                              rerun=False)
print("errors:", real.get("errors"))
assert any("sales@example.com" in box["addresses"] for box in state.values()), "sales@example.com is on no mailbox"
