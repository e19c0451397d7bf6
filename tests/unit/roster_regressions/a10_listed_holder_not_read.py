"""Rackspace: bob is a listed row (display_name only, so the run reads only the listing) and holds sales@example.com.
A new hire's alias sales@example.com is forecast fine in check mode and refused in the real run - although the docs
say an alias held by a mailbox the run lists is a conflict found before any write, in check mode too.
Variant: a new mailbox named `sales` (its own address is bob's alias); and bob's row failing its checks."""
from tests.unit.roster_regressions.harness import PASSWORD, compare, rs_fixture, scenario

fx = rs_fixture([{"name": "bob", "displayName": "Bob", "size": 1024, "aliases": ["sales@example.com"]}])
bad = []
for title, rows in [("alias held by a listed row", [{"name": "ann", "display_name": "Ann", "size": 1024,
                                                     "aliases": ["sales@example.com"]}, {"name": "bob"}]),
                    ("new address held by a listed row", [{"name": "sales", "display_name": "Sales", "size": 1024},
                                                          {"name": "bob", "display_name": "Bob"}]),
                    # bob's row reads aliases but fails (a control character): its holdings are never read
                    ("alias held by a listed row that failed", [
                        {"name": "ann", "display_name": "Ann", "size": 1024, "aliases": ["sales@example.com"]},
                        {"name": "bob", "display_name": "Bob\t", "aliases": ["sales@example.com"]}])]:
    checked, real, again, state, w, rw = scenario("rackspace", fx, {"mailboxes": rows, "password": PASSWORD}, title,
                                                  rerun=False)
    if compare(checked, real):
        bad.append(title)
assert not bad, bad
