"""Reconcile logic of each module against an in-memory client that records writes."""

import pytest

from ansible_collections.mailops.hosted_exchange.plugins.module_utils import activesync, alias, info, mailbox, permission
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import MAILBOX_FIELDS, changed_fields
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.base import ProviderClient


class MemoryClient(ProviderClient):
    name = "memory"
    mailbox_options = frozenset(["display_name", "size", "enabled", "forwarding_address", "first_name"])
    create_requires = ("display_name", "password", "size")
    info_options = frozenset(["enabled", "details", "include"])
    info_includes = frozenset(["aliases", "permissions", "activesync"])
    features = frozenset(["alias", "permission", "activesync"])

    def __init__(self, mailboxes=None):
        super(MemoryClient, self).__init__({})
        self.boxes = mailboxes or {}
        self.writes = []
        self.resolved = []

    def get_mailbox(self, domain, name, need=None):
        box = self.boxes.get(name)
        return dict(box, aliases=list(box["aliases"])) if box else None

    def create_mailbox(self, domain, name, fields, password):
        self.writes.append(("create", name, fields, password))
        self.boxes[name] = dict(fields, name=name, domain=domain, address="%s@%s" % (name, domain),
                                primary_address="%s@%s" % (name, domain), aliases=[], activesync=False, perms={})

    def update_mailbox(self, domain, name, changes, password, before):
        self.writes.append(("update", name, changes, password))
        self.boxes[name].update(changes)

    def delete_mailbox(self, domain, name, before):
        self.writes.append(("delete", name))
        del self.boxes[name]

    def list_mailboxes(self, domain, filters):
        return [{"name": n, "display_name": b.get("display_name")} for n, b in sorted(self.boxes.items())]

    def add_alias(self, domain, name, address):
        self.writes.append(("add_alias", address))

    def remove_alias(self, domain, name, address):
        self.writes.append(("remove_alias", address))

    def check_password(self, password, name, domain, display_name=None):
        if "bad" in password:
            raise InvalidInputError("password does not meet the memory rules")

    def get_permissions(self, domain, name):
        if name not in self.boxes:
            raise NotFoundError("does not exist", obj=name)
        return [{"grantee": g, "permission": p, "key": g} for g, p in sorted(self.boxes[name]["perms"].items())]

    def resolve_grantee(self, domain, grantee_address):
        self.resolved.append(grantee_address)
        found = self.boxes.get(grantee_address.split("@")[0])
        return {"key": found["primary_address"], "address": found["primary_address"]} if found else None

    def set_permission(self, domain, name, grantee, permission, current):  # pylint: disable=redefined-outer-name
        self.writes.append(("put" if current else "post", grantee["address"], permission))

    def revoke_permission(self, domain, name, grantee, current):
        self.writes.append(("delete", grantee["address"]))

    def get_activesync(self, domain, name):
        return {"server_address": "mex"} if self.boxes[name]["activesync"] else None

    def set_activesync(self, domain, name, enabled):
        self.writes.append(("activesync", enabled))
        self.boxes[name]["activesync"] = enabled


def box(name="alex", **fields):
    record = dict(name=name, domain="example.com", address=name + "@example.com", primary_address=name + "@example.com",
                  display_name="Alex", size=1024, enabled=True, forwarding_address="", first_name="",
                  aliases=["a@example.com"], activesync=False, perms={})
    record.update(fields)
    return record


def params(**kw):
    base = dict((field, None) for field in MAILBOX_FIELDS)
    base.update(name="alex", domain="example.com", state="present", password=None, update_password="on_create",
                login=None, service_user_id=None)
    base.update(kw)
    return base


def test_compare_ignores_address_case_and_absent_versus_empty_text():
    before = {"forwarding_address": "Boss@Example.com", "first_name": None, "enabled": "true", "size": "1024"}
    assert changed_fields(before, {"forwarding_address": "boss@example.com", "first_name": "", "enabled": True,
                                   "size": 1024, "display_name": None}) == {}
    assert changed_fields(before, {"size": 2048}) == {"size": 2048}


@pytest.mark.parametrize("check_mode", [True, False])
def test_create_predicts_exactly_and_check_mode_writes_nothing(check_mode):
    client = MemoryClient()
    outcome = mailbox.run(client, params(display_name="Alex", password="Pw-1234-x", size=1024), check_mode)
    assert outcome.changed is True
    assert outcome.diff["before"] == {"state": "absent"}
    assert outcome.diff["after"] == {"display_name": "Alex", "size": 1024, "state": "present", "password": "<changed>"}
    assert client.writes == ([] if check_mode else [("create", "alex", {"display_name": "Alex", "size": 1024}, "Pw-1234-x")])
    assert "Pw-1234-x" not in repr(outcome.result) + repr(outcome.diff)


def test_create_without_required_fields_fails_before_writing():
    client = MemoryClient()
    with pytest.raises(InvalidInputError, match="needs password, size"):
        mailbox.run(client, params(display_name="Alex"), False)
    assert client.writes == []


def test_unchanged_mailbox_reports_no_change_and_ignores_password_on_create():
    client = MemoryClient({"alex": box()})
    outcome = mailbox.run(client, params(display_name="Alex", password="Other-pw-1", size=1024), False)
    assert outcome.changed is False and client.writes == []
    assert outcome.diff["before"] == outcome.diff["after"]


def test_update_sends_only_the_difference_and_diffs_only_managed_fields():
    client = MemoryClient({"alex": box()})
    outcome = mailbox.run(client, params(display_name="Alex", enabled=False, forwarding_address="Boss@example.com"), False)
    assert outcome.changed is True
    # Addresses are checked and sent in lower case.
    assert client.writes == [("update", "alex", {"enabled": False, "forwarding_address": "boss@example.com"}, None)]
    assert outcome.diff["before"] == {"display_name": "Alex", "enabled": True, "forwarding_address": "", "state": "present"}
    assert outcome.diff["after"] == {"display_name": "Alex", "enabled": False, "forwarding_address": "boss@example.com",
                                     "state": "present"}


def test_update_password_always_always_changes_and_shows_only_a_marker():
    client = MemoryClient({"alex": box()})
    outcome = mailbox.run(client, params(password="New-pw-123", update_password="always"), True)
    assert outcome.changed is True and client.writes == []
    assert outcome.diff["before"]["password"] == "<hidden>" and outcome.diff["after"]["password"] == "<changed>"


def test_unsupported_option_fails_before_any_read():
    client = MemoryClient({"alex": box()})
    client.get_mailbox = None  # any read would now blow up
    with pytest.raises(NotSupportedError, match="options custom_id, owa not supported by provider memory"):
        mailbox.run(client, params(custom_id="E1", owa=True), False)


def test_immutable_field_change_is_refused():
    client = MemoryClient({"alex": box()})
    client.update_immutable = frozenset(["display_name"])
    with pytest.raises(NotSupportedError, match="cannot change display_name"):
        mailbox.run(client, params(display_name="Renamed"), False)
    assert client.writes == []


def test_absent_deletes_once_then_is_unchanged():
    client = MemoryClient({"alex": box()})
    assert mailbox.run(client, params(state="absent"), False).changed is True
    assert mailbox.run(client, params(state="absent"), False).changed is False
    assert client.writes == [("delete", "alex")]


def test_a_removal_is_pinned_to_the_mailbox_it_was_planned_for():
    # an approved removal (the offboard role's remove stage) must not match a new mailbox given the old one's name
    def removal(record):
        [step] = mailbox.run(MemoryClient({"alex": record}), params(state="absent"), True).steps
        return step.line()

    assert removal(box(display_name="Alex Old", size=1024)) == 'remove alex: mailbox=[null,"Alex Old",1024]'
    assert removal(box(display_name="Alex New", size=4096)) != removal(box(display_name="Alex Old", size=1024))
    assert removal(box(mailbox_id="17")) != removal(box(mailbox_id="18"))


def alias_params(**kw):
    base = dict(mailbox="alex", domain="example.com", aliases=[], state="present", exclusive=False)
    base.update(kw)
    return base


def test_alias_present_adds_only_missing_case_insensitively():
    client = MemoryClient({"alex": box()})
    outcome = alias.run(client, alias_params(aliases=["A@Example.com", "alex.s@example.com", "ALEX@example.com"]), False)
    assert client.writes == [("add_alias", "alex.s@example.com")]
    assert outcome.result["aliases"] == ["a@example.com", "alex.s@example.com"]
    assert outcome.result["addresses"][0] == "alex@example.com"


def test_alias_exclusive_removes_unlisted_but_never_the_primary():
    client = MemoryClient({"alex": box(aliases=["a@example.com", "old@example.com"])})
    outcome = alias.run(client, alias_params(aliases=["a@example.com"], exclusive=True), True)
    assert outcome.changed and outcome.result["removed"] == ["old@example.com"] and client.writes == []
    with pytest.raises(InvalidInputError, match="primary address"):
        alias.run(client, alias_params(aliases=["alex@example.com"], state="absent"), False)


def test_alias_on_missing_mailbox_names_it():
    with pytest.raises(NotFoundError) as caught:
        alias.run(MemoryClient(), alias_params(aliases=["x@example.com"]), False)
    assert "alex@example.com" in str(caught.value)


def test_alias_rejects_what_is_not_an_address():
    for bad in ("no-at-sign", "a/b@example.com", "x@exampel", "a..b@example.com", "x?@example.com"):
        client = MemoryClient({"alex": box()})
        client.get_mailbox = None  # any read would now blow up: the check comes first
        with pytest.raises(InvalidInputError, match="invalid alias"):
            alias.run(client, alias_params(aliases=[bad]), False)


def perm_params(**kw):
    base = dict(mailbox="alex", domain="example.com", grantee="bob", permission="full_access", state="present")
    base.update(kw)
    return base


def test_permission_upgrade_is_an_edit_and_partial_revoke_leaves_the_rest():
    client = MemoryClient({"alex": box(perms={"bob@example.com": "full_access"}), "bob": box("bob")})
    outcome = permission.run(client, perm_params(permission="both"), False)
    assert outcome.changed and client.writes == [("put", "bob@example.com", "both")]
    client = MemoryClient({"alex": box(perms={"bob@example.com": "both"}), "bob": box("bob")})
    outcome = permission.run(client, perm_params(permission="send_as", state="absent"), False)
    assert client.writes == [("put", "bob@example.com", "full_access")]
    assert outcome.result["permission"] == "full_access"


def test_permission_unchanged_and_missing_grantee():
    client = MemoryClient({"alex": box(perms={"bob@example.com": "full_access"}), "bob": box("bob")})
    assert permission.run(client, perm_params(), False).changed is False and client.writes == []
    assert client.resolved == []  # found in the list by its address: no read of the grantee
    with pytest.raises(NotFoundError, match="grantee carol@example.com does not exist"):
        permission.run(client, perm_params(grantee="carol"), False)
    assert client.writes == [] and client.resolved == ["carol@example.com"]


def test_permission_matches_the_grantee_by_mailbox_not_by_the_text_of_an_address():
    # bob's grant is listed under his primary address; the task names him by another address of his.
    bob = box("bob", primary_address="robert@example.com")
    client = MemoryClient({"alex": box(perms={"robert@example.com": "full_access"}), "bob": bob})
    outcome = permission.run(client, perm_params(grantee="bob@example.com"), False)
    assert outcome.changed is False and client.writes == []
    assert outcome.result["grantee"] == "robert@example.com"
    outcome = permission.run(client, perm_params(grantee="bob", state="absent"), False)
    assert outcome.changed and client.writes == [("delete", "robert@example.com")]


def test_check_mode_predicts_against_a_mailbox_an_earlier_task_would_create():
    client = MemoryClient({"bob": box("bob")})
    outcome = permission.run(client, perm_params(grantee="carol"), True)
    assert outcome.changed and outcome.result["permission"] == "full_access"
    assert any("alex@example.com" in w and "check mode assumes" in w for w in outcome.warnings)
    assert any("grantee carol@example.com does not exist" in w for w in outcome.warnings)
    outcome = alias.run(client, alias_params(aliases=["x@example.com"]), True)
    assert outcome.changed and outcome.result["added"] == ["x@example.com"] and outcome.warnings
    assert client.writes == []


def test_activesync_check_mode_predicts_and_real_run_returns_setup_info():
    client = MemoryClient({"alex": box()})
    assert activesync.run(client, dict(mailbox="alex", domain="example.com", state="present"), True).changed
    assert client.writes == []
    outcome = activesync.run(client, dict(mailbox="alex", domain="example.com", state="present"), False)
    assert outcome.result == {"enabled": True, "activesync": {"server_address": "mex"}}
    assert activesync.run(client, dict(mailbox="alex", domain="example.com", state="present"), False).changed is False


def test_info_include_unsupported_fails_and_sort_works():
    client = MemoryClient({"b": box("b", size=5), "a": box("a", size=9)})
    out = info.run(client, dict(domain="example.com", name=None, enabled=None, name_startswith=None, name_contains=None,
                                fields=[], details=True, include=[], sort_by="size", sort_order="desc"), True)
    assert [r["name"] for r in out.result["mailboxes"]] == ["a", "b"] and out.changed is False
    client.info_includes = frozenset()
    with pytest.raises(NotSupportedError, match="include=permissions"):
        info.run(client, dict(domain="example.com", name=None, include=["permissions"], fields=[], details=False), False)
