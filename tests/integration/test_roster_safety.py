"""mailbox_roster's safety, one test per finding of the safe-reconciliation issue, on every provider that has
the feature: real ansible-playbook runs against each sandbox, asserting what the sandbox holds afterwards and the
writes it received.

Each provider is driven through a small adapter (its fixture format and how to read its state), so the same
test states the same promise for all three.
"""

import pytest

from tests.integration.plays import play, task

DOMAIN = "example.com"
PASSWORD = "Onb0arding-Pw!42"
SUB = "1000042"
HW_ACCOUNT = "test-account123"


class Rackspace:
    name = "rackspace"
    account = None
    features = ("alias", "permission", "disable")
    wire = {"full_access": "fullAccess", "send_as": "sendAs", "both": "both"}

    def fixture(self, boxes):
        return {"domains": {DOMAIN: {"mailboxes": [
            {"name": box["name"], "displayName": box["name"].title(), "size": 1024, "aliases": box.get("aliases", []),
             "permissions": [{"grantee": grantee, "permission": self.wire[permission]}
                             for grantee, permission in sorted(box.get("grants", {}).items())]}
            for box in boxes]}}}

    def row(self, name, **extra):
        return dict(name=name, display_name=name.title(), size=1024, **extra)

    def names(self, sb):
        with sb.lock:
            return sorted(sb.state.domain(DOMAIN).mailboxes)

    def aliases(self, sb, name):
        with sb.lock:
            return sorted(sb.state.domain(DOMAIN).mailboxes[name].aliases)

    def grants(self, sb, name):
        back = dict((wire, canonical) for canonical, wire in self.wire.items())
        with sb.lock:
            return dict((key[1], back[value]) for key, value in
                        sb.state.domain(DOMAIN).mailboxes[name].permissions.items())

    def enabled(self, sb, name):
        with sb.lock:
            return sb.state.domain(DOMAIN).mailboxes[name].settings["enabled"]


class Odin:
    name = "odin"
    account = SUB
    features = ("alias", "permission", "disable")

    def fixture(self, boxes):
        mailboxes = []
        for box in boxes:
            grants = box.get("grants", {})
            mailboxes.append({
                "email_address": "%s@%s" % (box["name"], DOMAIN), "display_name": box["name"].title(),
                "size_limit": 1048576, "email_addresses": box.get("aliases", []),
                "full_access": [g for g, p in sorted(grants.items()) if p in ("full_access", "both")],
                "send_as": ["%s@%s" % (g, DOMAIN) for g, p in sorted(grants.items()) if p in ("send_as", "both")]})
        return {"subscriptions": {SUB: {"domains": [DOMAIN], "mailboxes": mailboxes}}}

    def row(self, name, **extra):
        return dict(name=name, display_name=name.title(), size=1024, **extra)

    def _boxes(self, sb):
        with sb.lock:
            return dict((m.primary.split("@")[0], m) for m in sb.state.mailboxes.values())

    def names(self, sb):
        return sorted(self._boxes(sb))

    def aliases(self, sb, name):
        return sorted(self._boxes(sb)[name].addresses[1:])

    def grants(self, sb, name):
        boxes = self._boxes(sb)
        by_id = dict((m.mailbox_id, n) for n, m in boxes.items())
        box, held = boxes[name], {}
        for trustee in box.full_access:
            held.setdefault(by_id[trustee], set()).add("full_access")
        for trustee, codes in box.delivery.items():
            if 1 in codes:
                held.setdefault(by_id[trustee], set()).add("send_as")
        return dict((grantee, "both" if len(rights) == 2 else rights.pop()) for grantee, rights in held.items())

    def enabled(self, sb, name):
        box = self._boxes(sb)[name]
        return box.owa or box.mapi or box.imap4 or box.pop3


class Hostway:
    name = "hostway"
    account = HW_ACCOUNT
    features = ()

    def fixture(self, boxes):
        return {"account": HW_ACCOUNT, "domains": {DOMAIN: {"usernames": [
            {"username": box["name"], "displayName": box["name"].title()} for box in boxes]}}}

    def row(self, name, **extra):
        return dict(name=name, display_name=name.title(), **extra)

    def names(self, sb):
        with sb.lock:
            return sorted(sb.state.domains[DOMAIN].usernames)


PROVIDERS = {"rackspace": Rackspace(), "odin": Odin(), "hostway": Hostway()}
STAFF = [dict(name="alice"), dict(name="bob"), dict(name="carol"), dict(name="dave"), dict(name="erin")]


@pytest.fixture
def provider(request, sandbox_factory):
    """(adapter, sandbox, env) of the provider named by the test's parameter, with the test's fixture boxes."""
    adapter = PROVIDERS[request.param]
    marker = request.node.get_closest_marker("boxes")
    boxes = marker.args[0] if marker else STAFF
    kwargs = {"account": adapter.account} if adapter.account else {}
    sb = sandbox_factory(adapter.name, fixture=adapter.fixture(boxes), **kwargs)
    return adapter, sb, sandbox_factory.env(sb)


def with_feature(feature):
    return [name for name, adapter in PROVIDERS.items() if feature is None or feature in adapter.features]


def roster_run(run_playbook, env, check=False, **args):
    result = run_playbook(play(task("roster", "mailbox_roster", domain=DOMAIN, **args)), env=env, check=check,
                          diff=True)
    return result, result["roster"]


def check_then_apply(run_playbook, sb, env, **args):
    """The check run (no write), then the real run: both results, asserted to agree on everything counted."""
    _check, checked = roster_run(run_playbook, env, check=True, **args)
    assert sb.writes() == [], sb.writes()
    _real, result = roster_run(run_playbook, env, **args)
    for key in ("created", "updated", "unchanged", "failed_entries", "unlisted", "delegates", "held", "changes",
                "plan", "plan_digest"):
        assert checked[key] == result[key], key
    for key in ("disabled", "removed"):
        assert checked.get(key) == result.get(key), key
    return checked, result


# 1. every row invalid: the empty-list guard counted rows, not valid rows

@pytest.mark.parametrize("provider", with_feature(None), indirect=True)
def test_a_list_whose_every_row_is_invalid_removes_nothing(run_playbook, provider):
    adapter, sb, env = provider
    rows = [dict(name=" alice "), dict(name=""), dict(name="Bob Smith")]
    checked, result = check_then_apply(run_playbook, sb, env, mailboxes=rows, unlisted="remove", prune_limit="100%")
    assert result["removed"] == [] and len(result["held"]) == 5
    assert adapter.names(sb) == ["alice", "bob", "carol", "dave", "erin"] and sb.writes() == []
    assert "3 rows at fault" in result["msg"] and "nothing is taken away" in result["msg"]


# 2. a trailing space: the row failed, so nothing protected alice

@pytest.mark.parametrize("provider", with_feature(None), indirect=True)
@pytest.mark.parametrize("action", ["remove", "disable"])
def test_a_row_with_a_trailing_space_protects_the_person_it_names(run_playbook, provider, action):
    adapter, sb, env = provider
    if action == "disable" and "disable" not in adapter.features:
        pytest.skip("%s cannot disable a mailbox" % adapter.name)
    rows = [adapter.row("alice "), adapter.row("bob"), adapter.row("carol"), adapter.row("dave")]
    checked, result = check_then_apply(run_playbook, sb, env, mailboxes=rows, unlisted=action, prune_limit="100%")
    assert result["failed_entries"] == ["alice "] and result[action + "d"] == []
    assert result["held"] and sb.writes() == []
    assert "alice" in adapter.names(sb) and "erin" in adapter.names(sb)
    if action == "disable":
        assert adapter.enabled(sb, "alice") and adapter.enabled(sb, "erin")
    # the list mended: only erin, whom nobody lists, is pruned
    rows[0] = adapter.row("alice")
    _run, fixed = roster_run(run_playbook, env, mailboxes=rows, unlisted=action, prune_limit="100%")
    assert fixed[action + "d"] == ["erin"], fixed
    assert "alice" in adapter.names(sb)


# 3. delegates_mode exclusive and malformed delegate rows

@pytest.mark.parametrize("provider", with_feature("permission"), indirect=True)
@pytest.mark.boxes([dict(name="alice"), dict(name="bob"), dict(name="carol"),
                    dict(name="support", grants={"alice": "both", "bob": "full_access", "carol": "send_as"})])
def test_malformed_delegate_rows_revoke_nobody(run_playbook, provider):
    adapter, sb, env = provider
    delegates = [dict(mailbox="support", grantee="alice", permission="both"),
                 dict(mailbox="support", grantee="bob"),  # no permission
                 dict(mailbox="support", grantee="Carol Jones", permission="send_as")]  # a display name
    checked, result = check_then_apply(run_playbook, sb, env, delegates=delegates, delegates_mode="exclusive",
                                       prune_limit="100%")
    assert result["failed_entries"] == ["delegate bob on support", "delegate Carol Jones on support"]
    assert adapter.grants(sb, "support") == {"alice": "both", "bob": "full_access", "carol": "send_as"}
    assert sb.writes() == [] and result["delegates"] == {}


# 4. two rows for one grant

@pytest.mark.parametrize("provider", with_feature("permission"), indirect=True)
@pytest.mark.boxes([dict(name="alice"), dict(name="support")])
def test_two_rows_for_one_grant_are_one_write_of_their_union(run_playbook, provider):
    adapter, sb, env = provider
    delegates = [dict(mailbox="support", grantee="alice", permission="both"),
                 dict(mailbox="support", grantee="Alice@Example.COM", permission="full_access")]
    checked, result = check_then_apply(run_playbook, sb, env, delegates=delegates)
    assert result["failed_entries"] == [] and adapter.grants(sb, "support") == {"alice": "both"}
    assert result["delegates"] == {"support": {"alice@example.com": [None, "both"]}}
    # one grant: one write at Rackspace, one per right at Odin (its API grants a right at a time)
    assert len(sb.writes()) == (1 if adapter.name == "rackspace" else 2)
    sb.clear_log()
    again = roster_run(run_playbook, env, delegates=delegates)[1]
    assert again["changed"] is False and sb.writes() == []


# 5. an alias that a later new hire's address uses

@pytest.mark.parametrize("provider", with_feature("alias"), indirect=True)
def test_an_alias_equal_to_a_later_hires_address_fails_both_rows_before_any_write(run_playbook, provider):
    adapter, sb, env = provider
    rows = [adapter.row("frank", aliases=["gina@example.com"]), adapter.row("gina"), adapter.row("hank")]
    checked, result = check_then_apply(run_playbook, sb, env, mailboxes=rows, password=PASSWORD)
    assert result["failed_entries"] == ["frank", "gina"] and result["created"] == ["hank"]
    assert "gina@example.com is claimed by more than one row (frank, gina)" in result["errors"]["gina"]
    assert "frank" not in adapter.names(sb) and "gina" not in adapter.names(sb)


# 6. moving an alias between two people in one run, the new holder listed first

@pytest.mark.parametrize("provider", with_feature("alias"), indirect=True)
@pytest.mark.boxes([dict(name="alice", aliases=["sales@example.com"]), dict(name="bob")])
def test_moving_an_alias_between_two_people_lands_in_one_run(run_playbook, provider):
    adapter, sb, env = provider
    rows = [adapter.row("bob", aliases=["sales@example.com"]), adapter.row("alice", aliases=[])]
    checked, result = check_then_apply(run_playbook, sb, env, mailboxes=rows, exclusive_aliases=True,
                                       prune_limit="0")
    assert result["failed_entries"] == [] and result["updated"] == ["bob", "alice"], result
    assert adapter.aliases(sb, "bob") == ["sales@example.com"] and adapter.aliases(sb, "alice") == []
    assert result["plan"][0] == 'release alice: address="sales@example.com"'
    sb.clear_log()
    again = roster_run(run_playbook, env, mailboxes=rows, exclusive_aliases=True, prune_limit="0")[1]
    assert again["changed"] is False and sb.writes() == []


# 7. check mode sees the conflict with the listing it already read

@pytest.mark.parametrize("provider", with_feature("alias"), indirect=True)
def test_check_mode_sees_an_alias_that_is_another_mailboxs_address(run_playbook, provider):
    adapter, sb, env = provider
    rows = [adapter.row("frank", aliases=["erin@example.com"]), adapter.row("gina")]
    checked, result = check_then_apply(run_playbook, sb, env, mailboxes=rows, password=PASSWORD)
    assert checked["failed_entries"] == ["frank"] and checked["created"] == result["created"] == ["gina"]
    assert "erin@example.com is held by mailbox erin" in result["errors"]["frank"]
    assert "frank" not in adapter.names(sb)


# the limit

@pytest.mark.parametrize("provider", with_feature(None), indirect=True)
def test_prune_limit_holds_a_mass_removal_in_both_modes(run_playbook, provider):
    adapter, sb, env = provider
    rows = [adapter.row("alice")]
    checked, result = check_then_apply(run_playbook, sb, env, mailboxes=rows, unlisted="remove")
    assert result["removed"] == [] and len(result["held"]) == 4 and sb.writes() == []
    assert "this run would take away 4 mailboxes (bob, carol, dave, erin), more than prune_limit '10%, 500' allows " \
           "(1 of the domain's 5 mailboxes)" in result["msg"]
    assert adapter.names(sb) == ["alice", "bob", "carol", "dave", "erin"]
