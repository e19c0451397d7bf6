"""The roster's planner on an in-memory provider: every step type, every guard, the order, the digest."""

import re

import pytest

from ansible_collections.mailops.hosted_exchange.plugins.module_utils import roster
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import InvalidInputError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.plan import (
    Step,
    allowed,
    apply_steps,
    parse_limit,
    reconcile_list,
)

from .fake_provider import DOMAIN, FakeProvider, refused_auth


def params(mailboxes=(), **options):
    base = dict(domain=DOMAIN, mailboxes=list(mailboxes), delegates=[], password=None, exclusive_aliases=False,
                delegates_mode="add", unlisted="ignore", unlisted_keep=[], prune_limit="10%", plan_digest=None)
    base.update(options)
    return base


def run(client, check_mode=False, mailboxes=(), **options):
    return roster.run(client, params(mailboxes, **options), check_mode)


def both(make_client, mailboxes=(), **options):
    """(check outcome, real outcome, client) from two fresh clients of one state: the forecast and the run."""
    checked_client = make_client()
    checked = run(checked_client, True, mailboxes, **options)
    assert checked_client.writes == []
    client = make_client()
    return checked, run(client, False, mailboxes, **options), client


COUNTED = ("created", "updated", "unchanged", "failed_entries", "delegates", "unlisted", "changes", "held",
           "plan_digest", "plan")


def assert_forecast(checked, real):
    for key in COUNTED:
        assert checked.result[key] == real.result[key], key
    assert checked.changed == real.changed
    assert (checked.failure is None) == (real.failure is None)


def staff(**extra):
    boxes = [dict(name="ann", aliases=["sales@example.com"]), dict(name="bob"), dict(name="support", grants={}),
             dict(name="old", display_name="Old Timer")]
    return provider_of(boxes, **extra)


def provider_of(boxes, **extra):
    """A fresh fake provider per run (the check run and the real run each start from the same domain)."""
    return lambda: FakeProvider(boxes, **extra)


# --- the list primitive ------------------------------------------------------------------------------


def test_list_primitive_add_remove_exact_and_protected():
    change = reconcile_list(["a", "b", "p"], add=["c"], remove=["b"], protected=["p"])
    assert (change.to_add, change.to_remove, change.pruned, change.kept, change.refused) == (["c"], ["b"], [], [], [])
    change = reconcile_list(["a", "b", "p"], exact=["a", "c"], protected=["p"])
    assert (change.to_add, change.to_remove, change.pruned, change.kept) == (["c"], [], ["b"], ["p"])
    assert change.after(["a", "b", "p"]) == ["a", "p", "c"]
    # exact within a scope prunes only inside it
    change = reconcile_list([("x", 1), ("y", 1)], exact=[("x", 2)], within=lambda item: item[0] == "x")
    assert change.pruned == [("x", 1)] and change.to_add == [("x", 2)]
    assert reconcile_list(["p"], remove=["p"], protected=["p"]).refused == ["p"]
    with pytest.raises(InvalidInputError, match="both kept and taken away"):
        reconcile_list([], add=["a"], remove=["a"])


def test_prune_limit_is_a_count_a_share_rounded_up_or_the_smaller_of_both():
    assert parse_limit("10%") == [(10, True)] and parse_limit(" 25 ") == [(25, False)]
    assert allowed("10%", 10) == 1 and allowed("10%", 5) == 1 and allowed("10%", 10000) == 1000
    assert allowed("0", 10) == 0 and allowed("3", 10000) == 3 and allowed("100%", 7) == 7
    # the default: a 10-mailbox domain loses at most 1, a 10,000-mailbox one at most 500 (Entra Connect's threshold)
    assert allowed("10%, 500", 10) == 1 and allowed("10%, 500", 10000) == 500 and allowed("10%,500", 2000) == 200
    for bad in ("ten", "-1", "101%", "5.5", "", None, "5%%", "\u0665", "10%,", "1e3"):
        with pytest.raises(InvalidInputError, match="prune_limit must be a count"):
            parse_limit(bad)


# --- every step type ----------------------------------------------------------------------------------


def test_every_step_type_in_one_plan_in_the_safe_order():
    make = staff()
    mailboxes = [dict(name="ann", display_name="Ann", aliases=["ann.x@example.com"]),  # update, alias add, remove
                 dict(name="bob", activesync=True),
                 dict(name="cyd", display_name="Cyd", size=512, aliases=["sales@example.com"])]  # create; a move
    delegates = [dict(mailbox="support", grantee="cyd", permission="both"),
                 dict(mailbox="support", grantee="bob", permission="send_as")]
    checked, real, client = both(make, mailboxes, delegates=delegates, exclusive_aliases=True,
                                 unlisted="remove", prune_limit="100%")
    assert_forecast(checked, real)
    assert real.failure is None, real.failure
    assert client.writes == [
        ("alias_remove", "ann", "sales@example.com"),  # the release: before the claim that needs it
        ("create", "cyd", {"display_name": "Cyd", "size": 512}),
        ("alias_add", "ann", "ann.x@example.com"),
        ("alias_add", "cyd", "sales@example.com"),
        ("activesync", "bob", True),
        ("grant", "support", "bob@example.com", "send_as"),
        ("grant", "support", "cyd@example.com", "both"),  # after cyd exists
        ("remove", "old"),  # pruning last
    ]
    assert real.result["created"] == ["cyd"] and real.result["updated"] == ["ann", "bob"]
    assert real.result["removed"] == ["old"]
    assert client.holder("sales@example.com") == "cyd"
    assert real.result["plan"][0] == 'release ann: address="sales@example.com"'


def test_update_change_revoke_and_disable_steps():
    make = provider_of([dict(name="ann", department="Sales"), dict(name="bob"), dict(name="gone"),
                        dict(name="support", grants={"ann@example.com": "both", "bob@example.com": "send_as"})])
    mailboxes = [dict(name="ann", department="Finance"), dict(name="bob"), dict(name="support")]
    delegates = [dict(mailbox="support", grantee="ann", permission="full_access"),
                 dict(mailbox="support", grantee="bob", state="absent")]
    checked, real, client = both(make, mailboxes, delegates=delegates, delegates_mode="exact", unlisted="disable",
                                 prune_limit="1")
    assert_forecast(checked, real)
    assert client.writes == [("update", "ann", {"department": "Finance"}),
                             ("change", "support", "ann@example.com", "full_access"),
                             ("revoke", "support", "bob@example.com"),
                             ("update", "gone", {"enabled": False})]
    assert real.result["disabled"] == ["gone"]
    assert real.result["delegates"] == {"support": {"ann@example.com": ["both", "full_access"],
                                                    "bob@example.com": ["send_as", None]}}
    assert real.result["changes"] == {"ann": {"department": ["Sales", "Finance"]},
                                      "gone": {"enabled": [True, False], "state": ["present", "disabled"]}}


# --- fail-safe pruning -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad_rows", [[" alice "], ["", "Bob Smith", " ann "], ["ann "]])
def test_rows_at_fault_hold_every_prune_and_say_why(bad_rows):
    make = staff()
    mailboxes = [dict(name=name, display_name="X") for name in bad_rows] + [dict(name="bob")]
    checked, real, client = both(make, mailboxes, unlisted="remove", prune_limit="100%")
    assert_forecast(checked, real)
    assert client.writes == [] and sorted(client.boxes) == ["ann", "bob", "old", "support"]
    assert real.result["removed"] == [] and real.result["held"]
    assert "row" in real.failure and "at fault" in real.failure and "nothing is taken away" in real.failure
    for name in bad_rows:
        assert str(name) in real.result["failed_entries"]


def test_a_list_of_only_invalid_rows_removes_nothing():
    make = staff()
    checked, real, client = both(make, [dict(name=" alice "), dict(name=""), dict(name="Bob Smith")],
                                 unlisted="remove", prune_limit="100%")
    assert client.writes == [] and len(client.boxes) == 4
    assert real.result["removed"] == [] and len(real.result["held"]) == 4


def test_malformed_delegate_rows_hold_exclusive_revokes():
    grants = {"ann@example.com": "both", "bob@example.com": "full_access"}
    make = provider_of([dict(name="ann"), dict(name="bob"), dict(name="support", grants=grants)])
    delegates = [dict(mailbox="support", grantee="ann", permission="both"),
                 dict(mailbox="support", grantee="bob"),  # no permission
                 dict(mailbox="support", grantee="Bob Builder", permission="full_access")]  # a display name
    checked, real, client = both(make, delegates=delegates, delegates_mode="exclusive", prune_limit="100%")
    assert_forecast(checked, real)
    assert client.writes == [] and client.boxes["support"]["grants"] == grants
    assert real.result["failed_entries"] == ["delegate bob on support", "delegate Bob Builder on support"]
    assert "permission is required" in real.result["errors"]["delegate bob on support"]
    assert "invalid grantee name" in real.result["errors"]["delegate Bob Builder on support"]


def test_exclusive_aliases_are_held_when_another_row_fails_but_additions_of_valid_rows_apply():
    make = staff()
    mailboxes = [dict(name="ann", aliases=["ann2@example.com"]), dict(name="bad name")]
    checked, real, client = both(make, mailboxes, exclusive_aliases=True, prune_limit="100%")
    assert_forecast(checked, real)
    assert client.writes == [("alias_add", "ann", "ann2@example.com")]
    assert sorted(client.boxes["ann"]["aliases"]) == ["ann2@example.com", "sales@example.com"]
    assert real.result["held"] == ['alias_remove ann: address="sales@example.com" [held]']
    assert real.result["updated"] == ["ann"] and real.failure


# --- the limit -----------------------------------------------------------------------------------------


def test_prune_limit_holds_everything_taken_away_and_names_count_and_option():
    make = provider_of([dict(name="user%02d" % n) for n in range(10)])
    checked, real, client = both(make, [dict(name="user00")], unlisted="remove")
    assert_forecast(checked, real)
    assert client.writes == [] and len(client.boxes) == 10
    assert "this run would take away 9 mailboxes" in real.failure
    assert "prune_limit '10%' allows (1 of the domain's 10 mailboxes)" in real.failure
    assert "raise prune_limit" in real.failure
    # raised as the message says: the same run prunes
    client = make()
    done = run(client, mailboxes=[dict(name="user00")], unlisted="remove", prune_limit="9")
    assert done.failure is None and sorted(client.boxes) == ["user00"] and len(done.result["removed"]) == 9


def test_limit_counts_alias_and_grant_prunes_but_not_moves():
    make = provider_of([dict(name="ann", aliases=["a1@example.com", "a2@example.com"]),
                        dict(name="bob")])
    # a move of a1 from ann to bob is no loss: allowed with prune_limit 0
    checked, real, client = both(make, [dict(name="ann", aliases=["a2@example.com"]),
                                        dict(name="bob", aliases=["a1@example.com"])],
                                 exclusive_aliases=True, prune_limit="0")
    assert_forecast(checked, real)
    assert real.failure is None and client.holder("a1@example.com") == "bob"
    # dropping both of ann's aliases is two prunes of two: over a limit of 1
    checked, real, client = both(make, [dict(name="ann", aliases=[]), dict(name="bob")],
                                 exclusive_aliases=True, prune_limit="1")
    assert "2 aliases (ann)" in real.failure and client.writes == []


# --- cross-row checks ---------------------------------------------------------------------------------


def test_an_address_claimed_twice_fails_both_rows_in_both_modes():
    make = staff()
    mailboxes = [dict(name="cyd", display_name="Cyd", aliases=["help@example.com"]),
                 dict(name="dee", display_name="Dee", aliases=["help@example.com"]),
                 dict(name="eve", display_name="Eve", aliases=["fay@example.com"]),  # a later hire's address
                 dict(name="fay", display_name="Fay"),
                 dict(name="gus", display_name="Gus")]
    checked, real, client = both(make, mailboxes)
    assert_forecast(checked, real)
    assert real.result["failed_entries"] == ["cyd", "dee", "eve", "fay"]
    assert "help@example.com is claimed by more than one row (cyd, dee)" in real.result["errors"]["cyd"]
    assert "fay@example.com is claimed by more than one row (eve, fay)" in real.result["errors"]["fay"]
    assert client.writes == [("create", "gus", {"display_name": "Gus"})]


def test_a_name_listed_twice_fails_both_rows_and_holds_pruning():
    make = staff()
    checked, real, client = both(make, [dict(name="bob", display_name="B1"), dict(name="BOB", display_name="B2")],
                                 unlisted="remove", prune_limit="100%")
    assert_forecast(checked, real)
    assert real.result["failed_entries"] == ["bob", "BOB (row 2)"]
    assert "listed 2 times (rows 1, 2)" in real.result["errors"]["bob"]
    assert client.writes == []


def test_an_alias_held_by_a_mailbox_the_plan_does_not_release_fails_the_claiming_row():
    make = staff()
    mailboxes = [dict(name="ann", aliases=["ann2@example.com"]),  # read, and keeps sales@ (not exclusive)
                 dict(name="bob", aliases=["sales@example.com"]),
                 dict(name="cyd", display_name="Cyd", aliases=["old@example.com"])]  # old's own address
    checked, real, client = both(make, mailboxes)
    assert_forecast(checked, real)
    assert real.result["failed_entries"] == ["bob", "cyd"]
    assert "sales@example.com is held by mailbox ann, and this list does not release it" in real.result["errors"]["bob"]
    assert client.writes == [("alias_add", "ann", "ann2@example.com")]
    # what the listing and the reads do not show (an alias of a mailbox nobody lists), only the provider knows
    client = make()
    real = run(client, mailboxes=[dict(name="bob", aliases=["sales@example.com"])])
    assert "already in use" in real.result["errors"]["bob"]


def test_a_move_between_two_listed_people_lands_in_one_run_whatever_the_row_order():
    make = staff()
    mailboxes = [dict(name="bob", aliases=["sales@example.com"]), dict(name="ann", aliases=[])]
    checked, real, client = both(make, mailboxes, exclusive_aliases=True)
    assert_forecast(checked, real)
    assert real.failure is None
    assert client.writes == [("alias_remove", "ann", "sales@example.com"), ("alias_add", "bob", "sales@example.com")]
    rerun = run(client, mailboxes=mailboxes, exclusive_aliases=True)
    assert rerun.changed is False and len(client.writes) == 2


def test_a_failed_claim_gives_the_released_address_back():
    make = staff()
    mailboxes = [dict(name="bob", aliases=["sales@example.com"]), dict(name="ann", aliases=[])]
    error = roster.HostedExchangeError("POST refused", provider="fake", status=500)
    client = make()
    client.fail[("alias_add", "bob")] = error
    real = run(client, mailboxes=mailboxes, exclusive_aliases=True)
    assert client.holder("sales@example.com") == "ann"
    assert "sales@example.com was given back to ann" in real.result["errors"]["bob"]


# --- grants --------------------------------------------------------------------------------------------


def test_rows_naming_one_grant_merge_into_one_write_of_their_union():
    make = provider_of([dict(name="alice"), dict(name="support")])
    delegates = [dict(mailbox="support", grantee="alice", permission="send_as"),
                 dict(mailbox="support", grantee="Alice@Example.COM", permission="full_access")]
    checked, real, client = both(make, delegates=delegates)
    assert_forecast(checked, real)
    assert client.writes == [("grant", "support", "alice@example.com", "both")]
    assert real.result["delegates"] == {"support": {"alice@example.com": [None, "both"]}}
    assert run(client, delegates=delegates).changed is False


def test_rows_that_grant_and_revoke_one_right_fail_both():
    make = provider_of([dict(name="alice"), dict(name="support")])
    delegates = [dict(mailbox="support", grantee="alice", permission="both"),
                 dict(mailbox="support", grantee="alice", permission="send_as", state="absent")]
    checked, real, client = both(make, delegates=delegates)
    assert_forecast(checked, real)
    assert len(real.result["failed_entries"]) == 2 and client.writes == []
    assert "rows disagree" in real.result["errors"]["delegate alice on support"]


@pytest.mark.parametrize("mode, writes", [
    ("add", [("change", "support", "ann@example.com", "both")]),
    ("exact", [("change", "support", "ann@example.com", "full_access")]),
    ("exclusive", [("change", "support", "ann@example.com", "full_access"), ("revoke", "support", "bob@example.com")]),
])
def test_delegates_modes(mode, writes):
    grants = {"ann@example.com": "send_as", "bob@example.com": "full_access"}
    make = provider_of([dict(name="ann"), dict(name="bob"), dict(name="support", grants=grants)])
    delegates = [dict(mailbox="support", grantee="ann", permission="full_access")]
    checked, real, client = both(make, delegates=delegates, delegates_mode=mode, prune_limit="100%")
    assert_forecast(checked, real)
    assert client.writes == writes and real.failure is None
    assert run(client, delegates=delegates, delegates_mode=mode, prune_limit="100%").changed is False


def test_a_grant_to_and_on_mailboxes_created_in_the_same_run_waits_for_their_creates():
    make = provider_of([])
    mailboxes = [dict(name="team", display_name="Team"), dict(name="newbie", display_name="Newbie")]
    delegates = [dict(mailbox="team", grantee="newbie", permission="full_access")]
    checked, real, client = both(make, mailboxes, delegates=delegates)
    assert_forecast(checked, real)
    assert [write[0] for write in client.writes] == ["create", "create", "grant"]
    # the grantee's create refused by the provider: the grant is not sent, and says why
    client = make()
    client.fail[("create", "newbie")] = roster.HostedExchangeError("POST refused", provider="fake", status=400)
    real = run(client, mailboxes=mailboxes, delegates=delegates)
    assert [write[0] for write in client.writes] == ["create", "create"]
    assert "not done: it needs \"create newbie" in real.result["errors"]["delegate newbie on team"]


# --- early stop, check mode, the digest -----------------------------------------------------------------


def test_a_systemic_failure_stops_the_run_and_names_what_was_not_attempted():
    client = FakeProvider([dict(name="old")])
    client.fail[("create", "bea")] = refused_auth()
    mailboxes = [dict(name=name, display_name=name) for name in ("ann", "bea", "cyd")]
    result = run(client, mailboxes=mailboxes + [dict(name="old")],
                 delegates=[dict(mailbox="ann", grantee="cyd", permission="send_as")])
    assert [write[1] for write in client.writes] == ["ann", "bea"]
    assert result.result["created"] == ["ann"] and result.result["failed_entries"] == ["bea"]
    assert result.result["not_attempted"] == ["cyd", "delegate cyd on ann"]
    assert "stopped early" in result.failure and "2 not attempted: cyd, delegate cyd on ann" in result.failure


def test_the_digest_of_a_check_run_lets_the_same_plan_apply_and_refuses_a_stale_one():
    make = staff()
    mailboxes = [dict(name="bob", display_name="Robert"), dict(name="cyd", display_name="Cyd")]
    checked = run(make(), True, mailboxes, unlisted="disable", prune_limit="100%")
    digest = checked.result["plan_digest"]
    assert digest.startswith("sha256:") and len(digest) == 71
    client = make()
    applied = run(client, mailboxes=mailboxes, unlisted="disable", prune_limit="100%", plan_digest=digest)
    assert applied.failure is None and applied.result["plan_digest"] == digest and client.writes
    # someone changed bob since the review: the plan is not the approved one, nothing is written
    client = make()
    client.boxes["bob"]["display_name"] = "Bobby"
    stale = run(client, mailboxes=mailboxes, unlisted="disable", prune_limit="100%", plan_digest=digest)
    assert client.writes == [] and stale.changed is False
    assert "not the approved one" in stale.failure and 'update bob: display_name=["Bobby","Robert"]' in stale.failure


def test_check_mode_of_a_failing_provider_step_is_the_only_difference_and_the_rerun_writes_nothing():
    make = staff()
    mailboxes = [dict(name="cyd", display_name="Cyd", aliases=["cyd2@example.com"], activesync=True)]
    checked, real, client = both(make, mailboxes, password="S3cret-pass!")
    assert_forecast(checked, real)
    assert "S3cret-pass!" not in str(real.result) and 'password="<changed>"' in real.result["plan"][0]
    rerun = run(client, mailboxes=mailboxes, password="S3cret-pass!")
    assert rerun.changed is False and rerun.result["unchanged"] == ["cyd"]
    assert len(client.writes) == 3


def test_a_create_can_carry_aliases_and_activesync_where_the_provider_allows():
    make = staff(create_sets=("aliases", "activesync"))
    mailboxes = [dict(name="cyd", display_name="Cyd", aliases=["cyd2@example.com"], activesync=True)]
    checked, real, client = both(make, mailboxes)
    assert_forecast(checked, real)
    assert client.writes == [("create", "cyd", {"display_name": "Cyd", "aliases": ["cyd2@example.com"],
                                                "activesync": True})]
    assert real.diff[0]["after"]["aliases"] == ["cyd2@example.com"] and real.diff[0]["before"] == {
        "state": "absent", "aliases": [], "activesync": False}
    assert "cyd" not in real.result["changes"]  # a create is named in created; changes hold what drifts


def test_apply_steps_sends_each_step_once_and_skips_steps_whose_needs_failed():
    client = FakeProvider([dict(name="ann")])
    first = Step("alias_add", "ann", {"address": "taken@example.com"})
    second = Step("activesync", "ann", {"enabled": True}, needs=[first])
    client.fail[("alias_add", "ann")] = roster.HostedExchangeError("refused", provider="fake")
    assert apply_steps(client, DOMAIN, [second, first]) is None
    assert client.writes == [("alias_add", "ann", "taken@example.com")]
    assert "not done" in str(second.error)


def test_a_claim_waiting_for_a_held_release_fails_its_row_but_the_create_goes_ahead():
    make = staff(create_sets=("aliases", "activesync"))
    mailboxes = [dict(name="bad name"), dict(name="ann", aliases=[]),
                 dict(name="cyd", display_name="Cyd", aliases=["sales@example.com", "cyd2@example.com"])]
    checked, real, client = both(make, mailboxes, exclusive_aliases=True)
    assert_forecast(checked, real)
    # the create carries the alias that needs no release; the moved one waits, and is held with its release
    assert client.writes == [("create", "cyd", {"display_name": "Cyd", "aliases": ["cyd2@example.com"]})]
    assert client.holder("sales@example.com") == "ann"
    assert real.result["created"] == ["cyd"] and "cyd" in real.result["failed_entries"]
    assert real.result["errors"]["cyd"] == ('fake: cyd@example.com: not done: it needs "release ann: '
                                            'address="sales@example.com" [held]", which is held back')
    assert real.result["held"] == ['release ann: address="sales@example.com" [held]',
                                   'alias_add cyd: address="sales@example.com" [held]']


# --- batches and the size of the result ------------------------------------------------------------------------


def test_batches_apply_their_own_rows_check_the_whole_list_and_report_unlisted_once():
    client = staff()()
    rows = [dict(name="n%d" % number, display_name="N%d" % number) for number in range(1, 6)]
    rows[4]["aliases"] = ["n1.alt@example.com", "n2@example.com"]  # n2's address, claimed from another batch
    delegates = [dict(mailbox="support", grantee="n%d" % number, permission="send_as") for number in range(1, 6)]
    results = [run(client, mailboxes=rows, delegates=delegates, unlisted="report", batch=dict(size=2, number=number))
               for number in (1, 2, 3)]
    assert [r.result["created"] for r in results] == [["n1"], ["n3", "n4"], []]
    # n2 and n5 claim one address: both fail, each in its own batch, and so does the grant to n2
    assert results[0].result["failed_entries"] == ["n2", "delegate n2 on support"]
    assert results[2].result["failed_entries"] == ["n5", "delegate n5 on support"]
    assert "n2@example.com is claimed by more than one row (n2, n5)" in results[0].result["errors"]["n2"]
    # each grant goes with its grantee's batch; only the last batch reports who nobody listed
    assert [sorted(r.result["delegates"].get("support", {})) for r in results] == [
        ["n1@example.com"], ["n3@example.com", "n4@example.com"], []]
    assert [r.result["unlisted"] for r in results] == [[], [], ["ann", "bob", "old"]]
    assert len(set(r.result["plan_digest"] for r in results)) == 3


@pytest.mark.parametrize("options, message", [
    (dict(unlisted="remove"), "batch with unlisted=remove"),
    (dict(exclusive_aliases=True), "batch with exclusive_aliases"),
    (dict(delegates_mode="exclusive"), "batch with delegates_mode=exclusive"),
    (dict(batch=dict(size=2, number=3)), "a number from 1 to 2 (the list has 3 rows)"),
    (dict(batch=dict(size=0, number=1)), "batch needs a size of at least 1"),
])
def test_a_batch_refuses_pruning_and_numbers_outside_the_list(options, message):
    client = staff()()
    arguments = dict(dict(batch=dict(size=2, number=1)), **options)
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        run(client, mailboxes=[dict(name="a"), dict(name="b"), dict(name="c")], **arguments)
    assert client.reads == [] and client.writes == []


def test_the_detail_a_person_reads_is_bounded_the_counted_lists_are_complete():
    client = FakeProvider([])
    rows = [dict(name="user%03d" % number, display_name="U") for number in range(250)]
    result = run(client, True, rows)
    assert len(result.result["created"]) == 250
    assert len(result.result["plan"]) == roster.DETAIL_LIMIT + 1 and result.result["plan"][-1] == "... and 150 more steps"
    assert len(result.diff) == roster.DETAIL_LIMIT + 1 and "and 150 more changed mailboxes" in result.diff[-1]["after"]


def test_the_echoed_arguments_carry_no_unset_options_and_long_lists_as_a_count():
    from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import echoed

    row = dict(name="a", display_name="A", size=None, aliases=None)
    assert echoed(dict(domain="x", mailboxes=[row], password=None)) == dict(domain="x", mailboxes=[
        dict(name="a", display_name="A")])
    assert echoed(dict(mailboxes=[row] * 21)) == dict(mailboxes="21 items (not echoed)")


def test_batches_share_the_detail_of_one_result_the_first_ones_first():
    rows = [dict(name="user%03d" % number, display_name="U") for number in range(250)]
    detail = []
    for number in (1, 2, 3):
        result = run(FakeProvider([]), True, rows, batch=dict(size=60, number=number))
        detail.append((len(result.result["plan"]), len(result.diff), len(result.result["created"])))
    # 60 each, then the 40 left of the 100, then only a line saying how many more
    assert detail == [(60, 60, 60), (41, 41, 60), (1, 1, 60)]


def test_a_delegate_on_a_mailbox_an_earlier_task_creates_keeps_the_approved_plan_applicable():
    # check mode assumes an earlier task of the run creates newshared (a warning says so); its forecast - the alias
    # ann's exact list drops is removed - is the real run's once newshared exists, so the approved digest applies
    mailboxes = [dict(name="ann", aliases=[]), dict(name="bob")]
    delegates = [dict(mailbox="newshared", grantee="bob", permission="full_access")]
    options = dict(delegates=delegates, exclusive_aliases=True, prune_limit="100%")
    checked = run(staff()(), True, mailboxes, **options)
    assert any("newshared" in warning for warning in checked.warnings) and checked.result["held"] == []
    assert checked.failure is None and "alias_remove ann" in " ".join(checked.result["plan"])
    client = staff()()
    client.add("newshared")  # what the earlier task created
    applied = run(client, False, mailboxes, plan_digest=checked.result["plan_digest"], **options)
    assert applied.failure is None and applied.result["plan_digest"] == checked.result["plan_digest"]
    assert client.holder("sales@example.com") is None
    # and when no task created it after all, the real run fails the row and takes nothing away
    client = staff()()
    missing = run(client, False, mailboxes, **options)
    assert missing.result["failed_entries"] == ["delegate bob on newshared"] and client.holder("sales@example.com") == "ann"


def test_a_refused_write_holds_what_the_list_does_not_name_for_the_rest_of_the_run():
    # bob's update is refused by the provider (what the plan could not see): old's removal - last, as every prune -
    # is then not sent in this run, and says why
    client = FakeProvider([dict(name="ann"), dict(name="bob"), dict(name="old")],
                          fail={("update", "bob"): InvalidInputError("refused by the provider")})
    result = run(client, False, [dict(name="ann"), dict(name="bob", display_name="Robert")], unlisted="remove",
                 prune_limit="100%")
    assert "old" in client.boxes and ("remove", "old") not in [write[:2] for write in client.writes]
    assert result.result["removed"] == [] and result.result["failed_entries"] == ["bob", "old"]
    assert "held back: a write of this run was refused (update bob" in result.result["errors"]["old"]
