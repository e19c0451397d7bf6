"""The Odin sandbox over real XML-RPC on 127.0.0.1: xmlrpc.client.ServerProxy and the vendor's osaapi."""

import json
import signal
import subprocess
import sys
import xmlrpc.client
from pathlib import Path

import pytest
import requests

from tests.sandbox import start_sandbox
from tests.sandbox.odin import OdinState

osaapi = pytest.importorskip("osaapi")

REPO_ROOT = Path(__file__).resolve().parents[2]
STAFF, STAFF_PW = "staff", "staff-Secret-1"
SUB, OTHER_SUB = 1000042, 2000
TIMEOUT = 10
FIXTURE = {
    "subscriptions": {
        str(SUB): {"domains": ["example.com", "example.org"], "mailboxes": [
            {"email_address": "alice@example.com", "display_name": "Alice Example", "size_limit": 2097152,
             "size": 3000, "pop3": False, "email_addresses": ["al@example.com", "alice@example.org"],
             "full_access": ["bob"], "send_as": ["bob@example.com"], "send_on_behalf": ["carol@example.com"],
             "active_sync": True, "mailbox_id": 100},
            {"email_address": "bob@example.com", "display_name": "Bob", "show_in_address_book": False},
            {"email_address": "carol@example.com", "login": "carol"},
        ]},
        str(OTHER_SUB): {"domains": ["other.test"], "mailboxes": [{"email_address": "dave@other.test"}]},
    },
    "users": [{"login": "svc.free", "display_name": "Free User", "subscription_id": SUB, "user_id": 900},
              {"login": "svc.unbound", "display_name": "Unbound User"}],
}
NEW_MAILBOX = {"alias": "erin", "primary_email_address": "erin@example.com", "owa": True, "mapi": True,
               "active_sync": False, "imap4": True, "pop3": True, "size_limit": 1048576}


@pytest.fixture
def sandbox():
    with start_sandbox("odin", api_user=STAFF, api_secret=STAFF_PW, fixture=FIXTURE) as sb:
        yield sb


def proxy(sb, user=STAFF, password=STAFF_PW, path="/RPC2"):
    base = "http://%s:%s@127.0.0.1:%d%s" % (user, password, sb.port, path) if user else \
        "http://127.0.0.1:%d%s" % (sb.port, path)
    return xmlrpc.client.ServerProxy(base)


def ok(envelope):
    assert envelope["status"] == 0, envelope
    return envelope.get("result")


def refused(envelope, *fragments):
    assert envelope["status"] == -1, envelope
    assert set(envelope) == {"status", "error_message", "extype_id", "module_id", "properties"}
    for fragment in fragments:
        assert fragment in envelope["error_message"], envelope
    return envelope


def exchange(sb):
    return proxy(sb).pem.exchange


# --- the endpoint -----------------------------------------------------------------------------


def test_the_url_and_the_root_path_both_answer(sandbox):
    assert sandbox.url == "http://127.0.0.1:%d/RPC2" % sandbox.port
    for path in ("/RPC2", "/"):
        assert ok(proxy(sandbox, path=path).pem.exchange.getMailboxInfo({"mailbox_id": 100}))["alias"] == "alice"


def test_other_paths_and_methods_are_http_errors(sandbox):
    assert requests.post(sandbox.url.replace("/RPC2", "/api"), data="x", auth=(STAFF, STAFF_PW),
                         timeout=TIMEOUT).status_code == 404
    answer = requests.get(sandbox.url, auth=(STAFF, STAFF_PW), timeout=TIMEOUT)
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"


@pytest.mark.parametrize("user, password", [(None, None), (STAFF, "wrong"), ("intruder", STAFF_PW)])
def test_basic_authentication_is_required_when_configured(sandbox, user, password):
    with pytest.raises(xmlrpc.client.ProtocolError) as raised:
        proxy(sandbox, user, password).pem.exchange.getMailboxes({"subscription_id": SUB})
    assert raised.value.errcode == 401
    assert raised.value.headers["WWW-Authenticate"].startswith("Basic ")
    assert [entry["status"] for entry in sandbox.requests()] == [401] and sandbox.writes() == []


def test_without_api_user_no_authentication_is_asked():
    with start_sandbox("odin") as sb:
        assert ok(proxy(sb, user=None).pem.exchange.getMailboxes({"subscription_id": 1000})) == []
        assert sb.state.subscriptions[1000].domains == ["example.com"]  # the default installation


def test_a_body_that_is_not_an_xml_rpc_call_gets_a_fault(sandbox):
    answer = requests.post(sandbox.url, data="<html/>", headers={"Content-Type": "text/xml"},
                           auth=(STAFF, STAFF_PW), timeout=TIMEOUT)
    assert answer.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(answer.content)
    assert raised.value.faultCode == -32700
    wrong_type = requests.post(sandbox.url, data=xmlrpc.client.dumps(({},), "pem.getUserByLogin"),
                               headers={"Content-Type": "application/json"}, auth=(STAFF, STAFF_PW), timeout=TIMEOUT)
    assert wrong_type.status_code == 400


def test_every_method_takes_exactly_one_struct(sandbox):
    server = proxy(sandbox)
    refused(server.pem.exchange.getMailboxInfo(100), "exactly one parameter, a struct")
    refused(server.pem.exchange.getMailboxInfo({"mailbox_id": 100}, {"mailbox_id": 101}), "got 2 parameters")
    refused(server.pem.exchange.getMailboxInfo(), "got 0 parameters")
    refused(server.pem.exchange.noSuchMethod({}), "Method pem.exchange.noSuchMethod is not supported")
    refused(server.pem.exchange.getMailboxInfo({"mailbox_id": 100, "verbose": True}), "unknown parameter verbose")
    refused(server.pem.exchange.getMailboxInfo({"mailbox_id": "100"}), "must be an integer")


# --- mailboxes ----------------------------------------------------------------------------------


def test_fixture_mailboxes_read_back_through_every_read_method(sandbox):
    api = exchange(sandbox)
    info = ok(api.getMailboxInfo({"mailbox_id": 100}))
    assert info["display_name"] == "Alice Example" and info["size_limit"] == 2097152 and info["size"] == 3000
    assert info["pop3"] is False and info["owa"] is True and info["active_sync"] is True
    assert info["show_in_address_book"] is True and info["login"] == "alice@example.com"
    assert info["warning_limit"] < info["prohibit_send_limit"] < info["size_limit"]
    found = ok(api.getMailboxByEmailAddress({"email_address": "ALICE@example.org"}))
    assert found["mailbox_id"] == 100
    assert found["email_addresses"] == ok(api.getEmailAddresses({"mailbox_id": 100})) == [
        {"email_address": "alice@example.com", "is_primary": True},
        {"email_address": "al@example.com", "is_primary": False},
        {"email_address": "alice@example.org", "is_primary": False}]
    listing = ok(api.getMailboxes({"subscription_id": SUB}))
    assert [(m["email_address"], m["alias"]) for m in listing] == [
        ("alice@example.com", "alice"), ("bob@example.com", "bob"), ("carol@example.com", "carol")]
    assert set(listing[0]) == {"mailbox_id", "email_address", "size", "user_id", "display_name", "login", "alias"}
    assert listing[2]["login"] == "carol"
    assert ok(api.getMailboxInfo({"mailbox_id": listing[1]["mailbox_id"]}))["show_in_address_book"] is False


def test_unknown_ids_and_addresses_answer_status_minus_one(sandbox):
    api = exchange(sandbox)
    assert refused(api.getMailboxInfo({"mailbox_id": 4242}), "Mailbox 4242 not found")["extype_id"] == 2
    refused(api.getMailboxByEmailAddress({"email_address": "ghost@example.com"}), "ghost@example.com not found")
    refused(api.getMailboxes({"subscription_id": 1}), "Subscription 1 not found")
    refused(api.modifyMailbox({"mailbox_id": 4242, "pop3": True}), "not found")
    refused(api.removeMailbox({"mailbox_id": 4242}), "not found")
    refused(proxy(sandbox).pem.getUserByLogin({"login": "nobody"}), "not found")


def test_add_mailbox_with_a_new_user_stores_kilobytes_and_the_flags(sandbox):
    api = exchange(sandbox)
    args = dict(NEW_MAILBOX, new_user={"subscription_id": SUB, "login": "erin@example.com", "password": "Erin-pw-123",
                                       "display_name": "Erin E"},
                alt_email_addresses=["e@example.com"], pop3=False)
    mailbox_id = ok(api.addMailbox(args))["mailbox_id"]
    info = ok(api.getMailboxInfo({"mailbox_id": mailbox_id}))
    assert info["size_limit"] == 1048576 and info["display_name"] == "Erin E" and info["pop3"] is False
    assert info["login"] == "erin@example.com"
    assert [a["email_address"] for a in ok(api.getEmailAddresses({"mailbox_id": mailbox_id}))] == [
        "erin@example.com", "e@example.com"]
    assert sandbox.state.users[info["user_id"]].password == "Erin-pw-123"
    user = ok(proxy(sandbox).pem.getUserByLogin({"login": "erin@example.com"}))
    assert user == {"user_id": info["user_id"]}


def test_user_id_and_new_user_are_mutually_exclusive(sandbox):
    api = exchange(sandbox)
    both = dict(NEW_MAILBOX, user_id=900, new_user={"subscription_id": SUB, "login": "erin"})
    refused(api.addMailbox(both), "mutually exclusive")
    refused(api.addMailbox(dict(NEW_MAILBOX)), "mutually exclusive")
    assert sandbox.state.holder("erin@example.com") is None


def test_an_existing_new_user_login_is_reused(sandbox):
    api = exchange(sandbox)
    users_before = dict(sandbox.state.users)
    mailbox_id = ok(api.addMailbox(dict(NEW_MAILBOX, new_user={"subscription_id": SUB, "login": "svc.free",
                                                               "password": "Ignored-pw-1"})))["mailbox_id"]
    info = ok(api.getMailboxInfo({"mailbox_id": mailbox_id}))
    assert info["user_id"] == 900 and info["display_name"] == "Free User"
    assert sandbox.state.users.keys() == users_before.keys()
    assert sandbox.state.users[900].password != "Ignored-pw-1"  # the existing user is used as it is
    # A user has one mailbox: reusing carol's login again is refused.
    again = dict(NEW_MAILBOX, alias="erin2", primary_email_address="erin2@example.com",
                 new_user={"subscription_id": SUB, "login": "carol"})
    refused(api.addMailbox(again), "already has a mailbox")


def test_add_mailbox_for_an_existing_service_user(sandbox):
    server = proxy(sandbox)
    user_id = ok(server.pem.addUser({"login": "svc.new", "subscription_id": SUB, "display_name": "Svc New"}))["user_id"]
    mailbox_id = ok(server.pem.exchange.addMailbox(dict(NEW_MAILBOX, user_id=user_id)))["mailbox_id"]
    assert ok(server.pem.exchange.getMailboxInfo({"mailbox_id": mailbox_id}))["user_id"] == user_id
    unbound = ok(server.pem.getUserByLogin({"login": "svc.unbound"}))["user_id"]
    second = dict(NEW_MAILBOX, alias="frank", primary_email_address="frank@example.com", user_id=unbound)
    refused(server.pem.exchange.addMailbox(second), "pem.bindUserToSubscription")
    assert ok(server.pem.bindUserToSubscription({"user_id": unbound, "subscription_id": SUB})) is None
    ok(server.pem.exchange.addMailbox(second))
    refused(server.pem.exchange.addMailbox(dict(NEW_MAILBOX, user_id=4242)), "Service user 4242 not found")


@pytest.mark.parametrize("change, message", [
    ({"size_limit": 0}, "size_limit must be at least 1"),
    ({"size_limit": "1024"}, "size_limit must be an integer"),
    ({"owa": "yes"}, "owa must be a boolean"),
    ({"primary_email_address": "erin@elsewhere.test"}, "does not belong to subscription"),
    ({"primary_email_address": "bob@example.com"}, "already in use"),
    ({"primary_email_address": "not an address"}, "Invalid e-mail address"),
    ({"alt_email_addresses": ["al@example.com"]}, "already in use"),
    ({"alias": "bob"}, "alias bob is already in use"),
    ({"skip_initialization": 1, "mark_migrated": "no"}, "mark_migrated must be a boolean"),
])
def test_add_mailbox_validation(sandbox, change, message):
    args = dict(NEW_MAILBOX, new_user={"subscription_id": SUB, "login": "erin"}, **change)
    refused(exchange(sandbox).addMailbox(args), message)
    assert sandbox.state.user_by_login("erin") is None  # nothing half-done
    missing = dict(NEW_MAILBOX, new_user={"subscription_id": SUB, "login": "erin"})
    del missing["size_limit"]
    refused(exchange(sandbox).addMailbox(missing), "missing required parameter size_limit")


def test_a_weak_password_is_refused(sandbox):
    args = dict(NEW_MAILBOX, new_user={"subscription_id": SUB, "login": "erin", "password": "short"})
    refused(exchange(sandbox).addMailbox(args), "password policy")


def test_modify_mailbox_takes_only_its_documented_parameters(sandbox):
    api = exchange(sandbox)
    assert ok(api.modifyMailbox({"mailbox_id": 100, "size_limit": 3145728, "show_in_address_book": False,
                                 "active_sync": False, "imap4": False})) is None
    info = ok(api.getMailboxInfo({"mailbox_id": 100}))
    assert (info["size_limit"], info["show_in_address_book"], info["active_sync"], info["imap4"]) == (
        3145728, False, False, False)
    # No documented method changes the display name (or a password) after creation.
    refused(api.modifyMailbox({"mailbox_id": 100, "display_name": "Renamed"}), "unknown parameter display_name")
    refused(api.modifyMailbox({"mailbox_id": 100, "password": "N3w-password"}), "unknown parameter password")
    assert ok(api.getMailboxInfo({"mailbox_id": 100}))["display_name"] == "Alice Example"


def test_change_primary_email_address_keeps_the_old_one(sandbox):
    api = exchange(sandbox)
    ok(api.changePrimaryEmailAddress({"mailbox_id": 100, "email_address": "a.example@example.com"}))
    addresses = ok(api.getEmailAddresses({"mailbox_id": 100}))
    assert addresses[0] == {"email_address": "a.example@example.com", "is_primary": True}
    assert {"email_address": "alice@example.com", "is_primary": False} in addresses
    ok(api.changePrimaryEmailAddress({"mailbox_id": 100, "email_address": "al@example.com"}))
    assert ok(api.getMailboxes({"subscription_id": SUB}))[0]["email_address"] == "al@example.com"
    refused(api.changePrimaryEmailAddress({"mailbox_id": 100, "email_address": "bob@example.com"}), "already in use")


def test_email_addresses_are_added_and_removed_all_or_nothing(sandbox):
    api = exchange(sandbox)
    ok(api.addEmailAddresses({"mailbox_id": 100, "email_addresses": ["ali@example.com", "ALI2@example.org"]}))
    current = [a["email_address"] for a in ok(api.getEmailAddresses({"mailbox_id": 100}))]
    assert current[-2:] == ["ali@example.com", "ali2@example.org"]
    refused(api.addEmailAddresses({"mailbox_id": 100, "email_addresses": ["ok@example.com", "bob@example.com"]}),
            "bob@example.com is already in use")
    refused(api.addEmailAddresses({"mailbox_id": 100, "email_addresses": ["al@example.com"]}), "already assigned")
    refused(api.addEmailAddresses({"mailbox_id": 100, "email_addresses": ["x@other.test"]}), "does not belong")
    assert sandbox.state.holder("ok@example.com") is None
    refused(api.removeEmailAddresses({"mailbox_id": 100, "email_addresses": ["ali@example.com", "alice@example.com"]}),
            "primary e-mail address alice@example.com cannot be removed")
    assert sandbox.state.holder("ali@example.com") is not None
    refused(api.removeEmailAddresses({"mailbox_id": 100, "email_addresses": ["nope@example.com"]}), "not found")
    ok(api.removeEmailAddresses({"mailbox_id": 100, "email_addresses": ["ali@example.com"]}))
    assert sandbox.state.holder("ali@example.com") is None


def test_permissions_full_access_and_delivery(sandbox):
    api = exchange(sandbox)
    bob = sandbox.state.holder("bob@example.com").mailbox_id
    carol = sandbox.state.holder("carol@example.com").mailbox_id
    assert ok(api.getMailboxPermissions({"mailbox_id": 100})) == [
        {"trustee": {"mailbox_id": bob, "display_name": "Bob"}, "permission": 1}]
    assert [(p["trustee"]["mailbox_id"], p["permission"]) for p in ok(api.getDeliveryPermissions({"mailbox_id": 100}))] \
        == [(bob, 1), (carol, 2)]
    to_carol = [{"trustee": {"mailbox_id": carol}, "permission": 1}]
    ok(api.grantMailboxPermissions({"mailbox_id": 100, "permissions": to_carol}))
    ok(api.grantDeliveryPermissions({"mailbox_id": 100, "permissions": to_carol}))
    assert sandbox.state.mailboxes[100].delivery[carol] == {1, 2}
    # Revoking delivery names only the trustee: all its delivery permissions go.
    ok(api.revokeDeliveryPermissions({"mailbox_id": 100, "trustees": [{"mailbox_id": carol}]}))
    assert carol not in sandbox.state.mailboxes[100].delivery
    ok(api.revokeMailboxPermissions({"mailbox_id": 100, "trustees": [{"mailbox_id": carol}, {"mailbox_id": bob}]}))
    assert ok(api.getMailboxPermissions({"mailbox_id": 100})) == []
    refused(api.revokeMailboxPermissions({"mailbox_id": 100, "trustees": [{"mailbox_id": bob}]}), "no such permission")


@pytest.mark.parametrize("entry, message", [
    ({"trustee": {"mailbox_id": 100}, "permission": 1}, "its own trustee"),
    ({"trustee": {"mailbox_id": 4242}, "permission": 1}, "Mailbox 4242 not found"),
    ({"trustee": {"distribution_list_id": 5}, "permission": 1}, "distribution lists are not simulated"),
    ({"trustee": {"mailbox_id": "dave"}, "permission": 1}, "must be an integer"),
    ({"trustee": {"mailbox_id": 101}, "permission": 3}, "Unknown mailbox permission 3"),
])
def test_grant_validation(sandbox, entry, message):
    refused(exchange(sandbox).grantMailboxPermissions({"mailbox_id": 100, "permissions": [entry]}), message)


def test_a_trustee_of_another_subscription_is_refused(sandbox):
    dave = sandbox.state.holder("dave@other.test").mailbox_id
    refused(exchange(sandbox).grantDeliveryPermissions(
        {"mailbox_id": 100, "permissions": [{"trustee": {"mailbox_id": dave}, "permission": 1}]}),
        "not in the subscription")


def test_remove_mailbox_cascades_but_keeps_the_service_user(sandbox):
    api = exchange(sandbox)
    bob = sandbox.state.holder("bob@example.com")
    ok(api.removeMailbox({"mailbox_id": bob.mailbox_id}))
    assert ok(api.getMailboxPermissions({"mailbox_id": 100})) == []
    assert all(p["trustee"]["mailbox_id"] != bob.mailbox_id for p in ok(api.getDeliveryPermissions({"mailbox_id": 100})))
    refused(api.getMailboxByEmailAddress({"email_address": "bob@example.com"}), "not found")
    assert ok(proxy(sandbox).pem.getUserByLogin({"login": "bob@example.com"}))["user_id"] == bob.user_id
    # ... so the same login gets a new mailbox, under the same user.
    again = dict(NEW_MAILBOX, alias="bob", primary_email_address="bob@example.com",
                 new_user={"subscription_id": SUB, "login": "bob@example.com"})
    new_id = ok(api.addMailbox(again))["mailbox_id"]
    assert new_id != bob.mailbox_id and sandbox.state.mailboxes[new_id].user_id == bob.user_id


def test_service_users(sandbox):
    server = proxy(sandbox)
    refused(server.pem.addUser({"login": "svc.free"}), "already exists")
    user_id = ok(server.pem.addUser({"login": "svc.temp", "password": "Temp-pw-123"}))["user_id"]
    assert ok(server.pem.removeUser({"user_id": user_id})) is None
    refused(server.pem.getUserByLogin({"login": "svc.temp"}), "not found")
    carol = sandbox.state.holder("carol@example.com")
    refused(server.pem.removeUser({"user_id": carol.user_id}), "still has a mailbox")
    refused(server.pem.bindUserToSubscription({"user_id": 900, "subscription_id": OTHER_SUB}), "already bound")


# --- transactions ---------------------------------------------------------------------------------


def test_calls_in_a_transaction_are_buffered_until_commit(sandbox):
    server = proxy(sandbox)
    txn_id = ok(server.txn.Begin({"request_id": "req-1"}))["txn_id"]
    assert ok(server.pem.getRequestStatus({"request_id": "req-1"}))["request_status"] == 1
    ok(server.pem.exchange.modifyMailbox({"mailbox_id": 100, "pop3": True, "txn_id": txn_id}))
    assert ok(server.pem.exchange.getMailboxInfo({"mailbox_id": 100, "txn_id": txn_id}))["pop3"] is True
    assert ok(server.pem.exchange.getMailboxInfo({"mailbox_id": 100}))["pop3"] is False  # not yet visible
    assert ok(server.txn.Commit({"txn_id": txn_id})) is None
    assert ok(server.pem.exchange.getMailboxInfo({"mailbox_id": 100}))["pop3"] is True
    status = ok(server.pem.getRequestStatus({"request_id": "req-1"}))
    assert status == {"request_status": 0, "status_messages": ["done"]}
    refused(server.txn.Commit({"txn_id": txn_id}), "already committed")


def test_rollback_discards_the_transaction(sandbox):
    server = proxy(sandbox)
    txn_id = ok(server.txn.Begin({"request_id": "req-2", "timeout": 60}))["txn_id"]
    args = dict(NEW_MAILBOX, new_user={"subscription_id": SUB, "login": "erin"}, txn_id=txn_id)
    ok(server.pem.exchange.addMailbox(args))
    ok(server.txn.Rollback({"txn_id": txn_id}))
    refused(server.pem.exchange.getMailboxByEmailAddress({"email_address": "erin@example.com"}), "not found")
    assert sandbox.state.user_by_login("erin") is None
    assert ok(server.pem.getRequestStatus({"request_id": "req-2"}))["request_status"] == 2
    refused(server.pem.exchange.getMailboxInfo({"mailbox_id": 100, "txn_id": txn_id}), "already rolled back")
    refused(server.pem.exchange.getMailboxInfo({"mailbox_id": 100, "txn_id": 1}), "Transaction 1 not found")
    refused(server.pem.getRequestStatus({"request_id": "nope"}), "not found")


def test_a_commit_after_changes_made_outside_the_transaction_is_refused(sandbox):
    server = proxy(sandbox)
    txn_id = ok(server.txn.Begin({"txn_id": 77}))["txn_id"]
    assert txn_id == 77
    refused(server.txn.Begin({"txn_id": 77}), "already exists")
    ok(server.pem.exchange.modifyMailbox({"mailbox_id": 100, "imap4": False, "txn_id": txn_id}))
    ok(server.pem.exchange.modifyMailbox({"mailbox_id": 100, "owa": False}))
    refused(server.txn.Commit({"txn_id": txn_id}), "conflicts with changes made since it began")
    info = ok(server.pem.exchange.getMailboxInfo({"mailbox_id": 100}))
    assert info["owa"] is False and info["imap4"] is True


def test_a_failed_write_in_a_transaction_changes_nothing(sandbox):
    server = proxy(sandbox)
    txn_id = ok(server.txn.Begin({}))["txn_id"]
    refused(server.pem.exchange.addEmailAddresses({"mailbox_id": 100, "txn_id": txn_id,
                                                   "email_addresses": ["n1@example.com", "bob@example.com"]}))
    assert ok(server.pem.exchange.getEmailAddresses({"mailbox_id": 100, "txn_id": txn_id}))[-1]["email_address"] \
        == "alice@example.org"


# --- the vendor's own client ------------------------------------------------------------------------


def test_osaapi_drives_the_sandbox_unchanged(sandbox):
    api = osaapi.OSA("127.0.0.1", user=STAFF, password=STAFF_PW, port=sandbox.port)
    created = api.exchange.addMailbox(new_user={"subscription_id": SUB, "login": "erin@example.com",
                                                "password": "Erin-pw-123", "display_name": "Erin"}, **NEW_MAILBOX)
    mailbox_id = ok(created)["mailbox_id"]
    assert ok(api.exchange.getMailboxInfo(mailbox_id=mailbox_id))["display_name"] == "Erin"
    assert ok(api.exchange.getMailboxByEmailAddress(email_address="erin@example.com"))["mailbox_id"] == mailbox_id
    ok(api.exchange.addEmailAddresses(mailbox_id=mailbox_id, email_addresses=["e@example.com"]))
    assert len(ok(api.exchange.getEmailAddresses(mailbox_id=mailbox_id))) == 2
    ok(api.exchange.grantMailboxPermissions(mailbox_id=100, permissions=[{"trustee": {"mailbox_id": mailbox_id},
                                                                          "permission": 1}]))
    assert mailbox_id in sandbox.state.mailboxes[100].full_access
    ok(api.exchange.modifyMailbox(mailbox_id=mailbox_id, active_sync=True))
    refused(api.exchange.getMailboxInfo(mailbox_id=4242), "not found")
    assert ok(api.getUserByLogin(login="svc.free")) == {"user_id": 900}
    ok(api.exchange.removeMailbox(mailbox_id=mailbox_id))
    assert [entry["rpc_method"] for entry in sandbox.requests()][:2] == [
        "pem.exchange.addMailbox", "pem.exchange.getMailboxInfo"]


def test_osaapi_transaction_begins_commits_and_waits_for_the_request(sandbox):
    api = osaapi.OSA("127.0.0.1", user=STAFF, password=STAFF_PW, port=sandbox.port)
    with osaapi.Transaction(api, wait=True, timeout=TIMEOUT) as txn_api:
        ok(txn_api.exchange.modifyMailbox(mailbox_id=100, pop3=True))
    assert [entry["rpc_method"] for entry in sandbox.requests()] == [
        "txn.Begin", "pem.exchange.modifyMailbox", "txn.Commit", "pem.getRequestStatus"]
    assert sandbox.requests()[0]["rpc_params"]["request_id"] == api.request_id
    assert sandbox.state.mailboxes[100].pop3 is True


def test_osaapi_without_credentials_is_refused_as_the_server_would(sandbox):
    api = osaapi.OSA("127.0.0.1", port=sandbox.port)
    with pytest.raises(xmlrpc.client.ProtocolError):
        api.exchange.getMailboxes(subscription_id=SUB)


# --- request log, fixtures, command line --------------------------------------------------------------


def test_the_request_log_records_the_rpc_method_and_params(sandbox, tmp_path):
    api = exchange(sandbox)
    api.getMailboxInfo({"mailbox_id": 100})
    api.modifyMailbox({"mailbox_id": 100, "pop3": True})
    api.modifyMailbox({"mailbox_id": 100, "display_name": "x"})
    entries = sandbox.requests()
    assert [(e["method"], e["path"], e["rpc_method"], e["rpc_status"], e["write"]) for e in entries] == [
        ("POST", "/RPC2", "pem.exchange.getMailboxInfo", 0, False),
        ("POST", "/RPC2", "pem.exchange.modifyMailbox", 0, True),
        ("POST", "/RPC2", "pem.exchange.modifyMailbox", -1, True)]
    assert entries[1]["rpc_params"] == {"mailbox_id": 100, "pop3": True}
    assert "<methodName>pem.exchange.modifyMailbox</methodName>" in entries[1]["body"]
    assert entries[0]["headers"]["content-type"] == "text/xml"
    assert [e["rpc_method"] for e in sandbox.writes()] == ["pem.exchange.modifyMailbox"] * 2
    sandbox.clear_log()
    assert sandbox.requests() == []


def test_the_log_file_has_one_json_line_per_call(tmp_path):
    log = tmp_path / "odin.jsonl"
    with start_sandbox("odin", fixture=FIXTURE, log_path=str(log)) as sb:
        proxy(sb, user=None).pem.exchange.getMailboxes({"subscription_id": SUB})
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [line["rpc_method"] for line in lines] == ["pem.exchange.getMailboxes"]


def test_fixture_files_and_bad_fixtures(tmp_path):
    path = tmp_path / "odin.json"
    path.write_text(json.dumps(FIXTURE), encoding="utf-8")
    with start_sandbox("odin", fixture=str(path)) as sb:
        alice = sb.state.mailboxes[100]
        assert alice.addresses == ["alice@example.com", "al@example.com", "alice@example.org"]
        assert alice.full_access == {sb.state.holder("bob@example.com").mailbox_id}
        assert sb.state.users[900].subscription_id == SUB and sb.state.user_by_login("svc.unbound").subscription_id is None
    bad = [
        {"subscriptions": {"1": {"domains": ["a.test"], "mailboxes": [{"email_address": "x@b.test"}]}}},
        {"subscriptions": {"1": {"domains": ["a.test"], "mailboxes": [{"email_address": "x@a.test", "colour": 1}]}}},
        {"subscriptions": {"1": {"domains": ["a.test"],
                                 "mailboxes": [{"email_address": "x@a.test", "full_access": ["ghost"]}]}}},
        {"subscriptions": {"1": {"plans": []}}},
        {"accounts": {}},
    ]
    for fixture in bad:
        with pytest.raises(ValueError):
            start_sandbox("odin", fixture=fixture)
    with pytest.raises(ValueError, match="api_secret"):
        start_sandbox("odin", api_user="staff")


def test_seeding_a_running_sandbox(sandbox):
    with sandbox.lock:
        user = sandbox.state.add_user("seeded", subscription_id=SUB)
        sandbox.state.add_mailbox(SUB, user, "seeded", "seeded@example.com")
    assert ok(exchange(sandbox).getMailboxByEmailAddress({"email_address": "seeded@example.com"}))
    assert isinstance(sandbox.state, OdinState)


def test_command_line_serves_until_sigterm():
    process = subprocess.Popen([sys.executable, "-m", "tests.sandbox", "odin", "--port", "0"], cwd=str(REPO_ROOT),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("sandbox odin listening on http://127.0.0.1:") and line.rstrip().endswith("/RPC2")
        url = line.split()[-1]
        assert ok(xmlrpc.client.ServerProxy(url).pem.exchange.getMailboxes({"subscription_id": 1000})) == []
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)
