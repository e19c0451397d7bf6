"""Hostway: the prune_limit share is counted out of the listing, which also names mailboxes of the older platform
(never reported or touched). 3 Exchange mailboxes + 27 legacy ones: prune_limit=10% allows 3, so a list naming
one person removes the other two Exchange mailboxes (67% of the domain's Exchange mailboxes)."""
from tests.unit.roster_regressions.harness import hw_fixture, scenario

names = [{"username": n, "displayName": n.title()} for n in ["ann", "bob", "cyd"]]
legacy = [{"username": "old%02d" % i, "platform": "mfg2"} for i in range(27)]
fx = hw_fixture(names + legacy)
roster = {"mailboxes": [{"name": "ann"}], "unlisted": "remove"}  # default prune_limit 10%
checked, real, again, state, w, rw = scenario("hostway", fx, roster, "legacy names inflate the limit's base")
assert len(real.get("removed") or []) <= 1, "removed %s: more than 10%% of the 3 Exchange mailboxes" % real.get("removed")
