"""Odin client: XML-RPC calls, the status envelope, id resolution, MB<->KB, permission merging, errors."""

import xmlrpc.client

import pytest
import requests

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    ProviderError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import values_equal
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers import odin
from tests.unit.plugins.fakes import response, script_transport

URL = "https://oa.example.com:8440/RPC2"
SECRET = "TOP-secret-staff-pw"
PASSWORD = "Mailbox-Pw-9!"
PARAMS = dict(provider="odin", api_url=URL, api_user="staff", api_secret=SECRET, account="1000042",
              validate_certs=True, timeout=5.0, retries=2, retry_budget=10.0)

ALICE_INFO = {"mailbox_id": 100, "user_id": 500, "login": "alice@example.com", "display_name": "Alice Example",
              "alias": "alice", "owa": True, "mapi": True, "active_sync": False, "imap4": False, "pop3": True,
              "size": 3072, "warning_limit": 1887436, "prohibit_send_limit": 1992294, "size_limit": 2097152,
              "incoming_item_max_size": 10240, "outgoing_item_max_size": 10240, "recipient_list_max_size": 5000,
              "message_retention": 14, "show_in_address_book": True, "status": 0}
ALICE_ADDRESSES = [{"email_address": "Alice@Example.com", "is_primary": True},
                   {"email_address": "al@example.com", "is_primary": False}]
ALICE_LOOKUP = {"mailbox_id": 100, "email_addresses": ALICE_ADDRESSES}
DIRECTORY = [{"mailbox_id": 100, "email_address": "alice@example.com", "size": 3072, "user_id": 500,
              "display_name": "Alice Example", "login": "alice@example.com", "alias": "alice"},
             {"mailbox_id": 101, "email_address": "bob@example.com", "size": 1536, "user_id": 501,
              "display_name": "Bob", "login": "bob@example.com", "alias": "bob"},
             {"mailbox_id": 102, "email_address": "carol@example.org", "size": 0, "user_id": 502,
              "display_name": "Carol", "login": "carol", "alias": "carol"}]


def ok(result=None):
    envelope = {"status": 0}
    if result is not None:
        envelope["result"] = result
    return response(200, xmlrpc.client.dumps((envelope,), methodresponse=True), {"Content-Type": "text/xml"})


def failed(message, extype_id=1):
    envelope = {"status": -1, "error_message": message, "extype_id": extype_id, "module_id": "Exchange",
                "properties": {}}
    return response(200, xmlrpc.client.dumps((envelope,), methodresponse=True), {"Content-Type": "text/xml"})


def client_with(*script, **overrides):
    client = odin.OdinClient(dict(PARAMS, **overrides))
    session, _clock = script_transport(client, *script)
    return client, session


def sent(session):
    """[(method name, the one struct argument)] of every request made."""
    calls = []
    for call in session.calls:
        params, method = xmlrpc.client.loads(call["data"])
        assert len(params) == 1 and isinstance(params[0], dict), "every call takes exactly one struct"
        calls.append((method, params[0]))
    return calls


def names(session):
    return [method for method, _args in sent(session)]


# --- units ---------------------------------------------------------------------------------


def test_megabytes_become_kilobytes_exactly():
    assert odin.mb_to_kb(1) == 1024 and odin.mb_to_kb(2048) == 2097152


def test_whole_megabytes_read_back_as_int_and_anything_else_as_the_exact_float():
    assert odin.kb_to_mb(2097152) == 2048 and isinstance(odin.kb_to_mb(2097152), int)
    assert odin.kb_to_mb(1572865) == 1536 + 1 / 1024.0
    assert odin.kb_to_mb(500) == 500 / 1024.0
    assert odin.kb_to_mb(None) is None and odin.kb_to_mb(0) == 0


def test_a_fractional_size_never_compares_equal_to_its_truncation():
    # 1536 MB and 1 KB is not 1536 MB: a rerun must not report it unchanged.
    assert not values_equal("size", odin.kb_to_mb(1572865), 1536)
    assert values_equal("size", odin.kb_to_mb(1572864), 1536)


# --- checks made before any request ----------------------------------------------------------


@pytest.mark.parametrize("overrides, message", [
    (dict(api_url=None), "api_url is required for provider odin"),
    (dict(api_url=""), "api_url is required for provider odin"),
    (dict(account=None), "account is required for provider odin"),
    (dict(account="sub-42"), "account must be the Odin subscription ID"),
    (dict(service_user_id=7, password=PASSWORD), "password cannot be set together with service_user_id"),
    (dict(service_user_id=7, display_name="Alex"), "display_name cannot be set together with service_user_id"),
])
def test_bad_connection_or_create_options_fail_before_any_request(overrides, message):
    with pytest.raises(InvalidInputError, match=message) as raised:
        odin.OdinClient(dict(PARAMS, **overrides))
    assert PASSWORD not in str(raised.value) and SECRET not in str(raised.value)


def test_the_capabilities_match_what_odin_can_do():
    client = odin.OdinClient(dict(PARAMS))
    assert client.mailbox_options == frozenset(["display_name", "size", "hidden", "primary_address", "owa", "mapi",
                                                "imap4", "pop3", "login", "service_user_id"])
    assert client.create_requires == ("size",)
    assert client.update_immutable == frozenset(["display_name"]) and client.password_updatable is False
    assert client.features == frozenset(["alias", "permission", "activesync"])
    assert client.info_includes == frozenset(["aliases", "permissions", "activesync"])
    assert "enabled" not in client.info_options and "name_startswith" not in client.info_options


# --- the wire ----------------------------------------------------------------------------------


def test_a_call_is_one_struct_posted_as_text_xml_with_basic_auth():
    client, session = client_with(ok(ALICE_LOOKUP), ok(ALICE_INFO))
    client.get_mailbox("example.com", "alice")
    call = session.calls[0]
    assert call["method"] == "POST" and call["url"] == URL
    assert call["headers"]["Content-Type"] == "text/xml"
    assert call["auth"] == ("staff", SECRET)
    assert call["timeout"] == 5.0 and call["verify"] is True
    assert sent(session) == [("pem.exchange.getMailboxByEmailAddress", {"email_address": "alice@example.com"}),
                             ("pem.exchange.getMailboxInfo", {"mailbox_id": 100})]


def test_without_api_user_no_authentication_is_sent():
    client, session = client_with(ok(ALICE_LOOKUP), ok(ALICE_INFO), api_user=None, api_secret=None)
    client.get_mailbox("example.com", "alice")
    assert "auth" not in session.calls[0]


def test_unset_members_are_left_out_because_xml_rpc_has_no_nil():
    body = odin.encode_call("pem.exchange.addMailbox", {"alias": "a", "new_user": {"login": "a", "password": None},
                                                        "alt_email_addresses": None})
    params, method = xmlrpc.client.loads(body)
    assert method == "pem.exchange.addMailbox" and params == ({"alias": "a", "new_user": {"login": "a"}},)


# --- the envelope and errors ---------------------------------------------------------------------


def test_status_minus_one_is_a_clear_failure_carrying_the_error_message():
    client, _session = client_with(ok(ALICE_LOOKUP), ok(ALICE_INFO), failed("Size limit exceeds the subscription"))
    before = client.get_mailbox("example.com", "alice")
    with pytest.raises(ProviderError) as raised:
        client.update_mailbox("example.com", "alice", {"size": 999999}, None, before)
    text = str(raised.value)
    assert text.startswith("odin: alice@example.com: pem.exchange.modifyMailbox refused")
    assert "Size limit exceeds the subscription" in text
    assert raised.value.provider_message == "Size limit exceeds the subscription"


def test_an_unknown_mailbox_is_not_found_naming_the_address():
    client, session = client_with(failed("Mailbox with e-mail address ghost@example.com not found", 2))
    assert client.get_mailbox("example.com", "ghost") is None
    client, session = client_with(failed("Mailbox with e-mail address ghost@example.com not found", 2))
    with pytest.raises(NotFoundError, match="odin: ghost@example.com: mailbox does not exist"):
        client.get_permissions("example.com", "ghost")
    client, session = client_with(failed("Mailbox with e-mail address ghost@example.com not found", 2))
    with pytest.raises(NotFoundError, match="ghost@example.com"):
        client.get_activesync("example.com", "ghost")
    assert names(session) == ["pem.exchange.getMailboxByEmailAddress"]


def test_a_lookup_failing_for_another_reason_is_not_taken_for_absence():
    # Otherwise exchange_mailbox would try to create a mailbox that may well exist.
    client, _session = client_with(failed("Internal error: database unavailable"))
    with pytest.raises(ProviderError, match="database unavailable"):
        client.get_mailbox("example.com", "alice")


def test_an_xml_rpc_fault_is_a_clear_provider_error():
    fault = xmlrpc.client.dumps(xmlrpc.client.Fault(-32601, "method not found"), methodresponse=True)
    client, _session = client_with(response(200, fault, {"Content-Type": "text/xml"}))
    with pytest.raises(ProviderError, match="XML-RPC fault -32601: method not found"):
        client.get_mailbox("example.com", "alice")


@pytest.mark.parametrize("body", ["<html><body>Welcome to the control panel</body></html>", "", '{"status": 0}'])
def test_an_answer_that_is_not_xml_rpc_is_a_clear_provider_error(body):
    client, _session = client_with(response(200, body, {"Content-Type": "text/html"}))
    with pytest.raises(ProviderError, match="not XML-RPC .*is api_url the XML-RPC address"):
        client.get_mailbox("example.com", "alice")


def test_an_answer_without_the_status_envelope_is_a_clear_provider_error():
    plain = xmlrpc.client.dumps(({"mailbox_id": 100},), methodresponse=True)
    client, _session = client_with(response(200, plain, {"Content-Type": "text/xml"}))
    with pytest.raises(ProviderError, match="has no status envelope"):
        client.get_mailbox("example.com", "alice")


def test_http_401_is_an_authentication_error_and_is_not_retried():
    client, session = client_with(response(401, "Authentication required"))
    with pytest.raises(AuthError) as raised:
        client.get_mailbox("example.com", "alice")
    assert raised.value.status == 401 and "check api_user and api_secret" in str(raised.value)
    assert len(session.calls) == 1


def test_other_http_errors_are_provider_errors_with_the_status():
    client, _session = client_with(response(500, "boom", reason="Internal Server Error"))
    with pytest.raises(ProviderError) as raised:
        client.get_mailbox("example.com", "alice")
    assert raised.value.status == 500


def test_no_secret_appears_in_any_error_message():
    answers = [failed("Password does not meet the password policy"), response(401, ""),
               response(200, "<html>login</html>")]
    for answer in answers:
        client, _session = client_with(answer)
        with pytest.raises((ProviderError, AuthError)) as raised:
            client.create_mailbox("example.com", "alex", {"size": 1024, "display_name": "Alex"}, PASSWORD)
        text = str(raised.value) + repr(raised.value.details())
        assert PASSWORD not in text and SECRET not in text


# --- ids -------------------------------------------------------------------------------------


def test_an_unchanged_mailbox_costs_one_lookup_and_one_info_read():
    client, session = client_with(ok(ALICE_LOOKUP), ok(ALICE_INFO))
    record = client.get_mailbox("example.com", "alice")
    assert names(session) == ["pem.exchange.getMailboxByEmailAddress", "pem.exchange.getMailboxInfo"]
    assert record["mailbox_id"] == 100


def test_the_id_is_resolved_once_per_run():
    client, session = client_with(ok(ALICE_LOOKUP), ok(ALICE_INFO), ok(None), ok(ALICE_INFO), ok(ALICE_ADDRESSES),
                                  ok(dict(ALICE_INFO, active_sync=True)))
    before = client.get_mailbox("example.com", "alice")
    client.update_mailbox("example.com", "alice", {"pop3": False}, None, before)
    client.get_mailbox("example.com", "alice")
    assert client.get_activesync("example.com", "alice") == {"enabled": True}
    assert names(session) == ["pem.exchange.getMailboxByEmailAddress", "pem.exchange.getMailboxInfo",
                              "pem.exchange.modifyMailbox", "pem.exchange.getMailboxInfo",
                              "pem.exchange.getEmailAddresses", "pem.exchange.getMailboxInfo"]
    assert sent(session)[2][1] == {"mailbox_id": 100, "pop3": False}


def test_a_remembered_id_whose_mailbox_has_gone_is_looked_up_again():
    client, session = client_with(ok(ALICE_LOOKUP), ok(ALICE_INFO), failed("Mailbox 100 not found", 2),
                                  ok({"mailbox_id": 177, "email_addresses": ALICE_ADDRESSES}),
                                  ok(dict(ALICE_INFO, mailbox_id=177)))
    client.get_mailbox("example.com", "alice")
    assert client.get_mailbox("example.com", "alice")["mailbox_id"] == 177
    assert names(session)[2:] == ["pem.exchange.getMailboxInfo", "pem.exchange.getMailboxByEmailAddress",
                                  "pem.exchange.getMailboxInfo"]


def test_a_lookup_answering_only_the_id_is_completed_by_get_email_addresses():
    client, session = client_with(ok({"mailbox_id": 100}), ok(ALICE_INFO), ok(ALICE_ADDRESSES))
    record = client.get_mailbox("example.com", "alice")
    assert record["aliases"] == ["al@example.com"]
    assert names(session)[-1] == "pem.exchange.getEmailAddresses"


# --- the canonical record ---------------------------------------------------------------------


def test_get_mailbox_info_maps_to_the_canonical_record():
    record = odin.from_info(dict(ALICE_INFO, show_in_address_book=False, size_limit=1572865), ALICE_ADDRESSES,
                            "example.com", "alice")
    assert record["name"] == "alice" and record["domain"] == "example.com" and record["address"] == "alice@example.com"
    assert record["display_name"] == "Alice Example"
    assert record["size"] == 1572865 / 1024.0 and record["current_usage"] == 3
    assert record["hidden"] is True
    assert record["primary_address"] == "alice@example.com" and record["aliases"] == ["al@example.com"]
    assert record["activesync"] is False
    assert (record["owa"], record["mapi"], record["imap4"], record["pop3"]) == (True, True, False, True)
    assert (record["mailbox_id"], record["user_id"], record["login"]) == (100, 500, "alice@example.com")
    assert "password" not in record


# --- writes -------------------------------------------------------------------------------------


def test_create_builds_new_user_from_the_task_with_protocols_on_by_default():
    client, session = client_with(ok({"mailbox_id": 150}))
    client.create_mailbox("example.com", "Alex", {"size": 2048, "display_name": "Alex Smith", "pop3": False}, PASSWORD)
    (method, args), = sent(session)
    assert method == "pem.exchange.addMailbox"
    assert args == {"alias": "Alex", "primary_email_address": "alex@example.com", "size_limit": 2097152,
                    "owa": True, "mapi": True, "imap4": True, "pop3": False, "active_sync": False,
                    "new_user": {"subscription_id": 1000042, "login": "alex@example.com", "password": PASSWORD,
                                 "display_name": "Alex Smith"}}
    assert client._ids["alex@example.com"] == 150


def test_create_for_an_existing_service_user_sends_user_id_only():
    client, session = client_with(ok({"mailbox_id": 151}), ok(None), service_user_id=77)
    client.create_mailbox("example.com", "alex", {"size": 10, "service_user_id": 77, "hidden": True,
                                                  "primary_address": "a.smith@example.com"}, None)
    (_m, args), (method, modify) = sent(session)
    assert args["user_id"] == 77 and "new_user" not in args
    assert args["primary_email_address"] == "a.smith@example.com"
    assert args["alt_email_addresses"] == ["alex@example.com"]  # still found by name@domain
    assert method == "pem.exchange.modifyMailbox" and modify == {"mailbox_id": 151, "show_in_address_book": False}


def test_create_uses_the_login_option():
    client, session = client_with(ok({"mailbox_id": 152}))
    client.create_mailbox("example.com", "alex", {"size": 10, "login": "asmith"}, None)
    assert sent(session)[0][1]["new_user"] == {"subscription_id": 1000042, "login": "asmith"}


def test_an_ambiguous_create_is_read_back_not_resent():
    client, session = client_with(requests.exceptions.ConnectionError("reset"), ok({"mailbox_id": 153}))
    client.create_mailbox("example.com", "alex", {"size": 10}, None)
    assert names(session) == ["pem.exchange.addMailbox", "pem.exchange.getMailboxByEmailAddress"]
    assert client._ids["alex@example.com"] == 153


def test_reads_are_retried_after_a_transient_failure():
    client, session = client_with(response(503, "busy"), ok(ALICE_LOOKUP), ok(ALICE_INFO))
    assert client.get_mailbox("example.com", "alice")["mailbox_id"] == 100
    assert len(session.calls) == 3


def test_update_sends_only_the_changes_in_kilobytes_and_changes_the_primary_address():
    client, session = client_with(ok(None), ok(None))
    before = {"mailbox_id": 100}
    client.update_mailbox("example.com", "alice", {"size": 3000, "hidden": True, "owa": False,
                                                   "primary_address": "A.Example@example.com"}, None, before)
    assert sent(session) == [
        ("pem.exchange.modifyMailbox", {"mailbox_id": 100, "size_limit": 3072000, "show_in_address_book": False,
                                        "owa": False}),
        ("pem.exchange.changePrimaryEmailAddress", {"mailbox_id": 100, "email_address": "a.example@example.com"})]


def test_display_name_and_password_are_never_sent_in_an_update():
    client, session = client_with()
    with pytest.raises(NotSupportedError, match="display_name"):
        client.update_mailbox("example.com", "alice", {"display_name": "New"}, None, {"mailbox_id": 100})
    with pytest.raises(NotSupportedError, match="password"):
        client.update_mailbox("example.com", "alice", {}, PASSWORD, {"mailbox_id": 100})
    assert session.calls == []


def test_delete_removes_by_id_and_forgets_it():
    client, session = client_with(ok(None))
    client._ids["alice@example.com"] = 100
    client.delete_mailbox("example.com", "alice", {"mailbox_id": 100})
    assert sent(session) == [("pem.exchange.removeMailbox", {"mailbox_id": 100})]
    assert "alice@example.com" not in client._ids


def test_aliases_are_added_and_removed_by_id():
    client, session = client_with(ok(ALICE_LOOKUP), ok(None), ok(None))
    client.add_alias("example.com", "alice", "alias1@example.com")
    client.remove_alias("example.com", "alice", "al@example.com")
    assert sent(session)[1:] == [
        ("pem.exchange.addEmailAddresses", {"mailbox_id": 100, "email_addresses": ["alias1@example.com"]}),
        ("pem.exchange.removeEmailAddresses", {"mailbox_id": 100, "email_addresses": ["al@example.com"]})]


def test_the_address_the_mailbox_is_found_by_is_never_removed():
    client, session = client_with()
    with pytest.raises(InvalidInputError, match="finds the mailbox by"):
        client.remove_alias("example.com", "alice", "alice@example.com")
    assert session.calls == []


# --- permissions ----------------------------------------------------------------------------------


def trustee(mailbox_id, permission):
    return {"trustee": {"mailbox_id": mailbox_id, "display_name": "x"}, "permission": permission}


def test_permissions_merge_full_access_and_send_as_into_canonical_grants():
    client, session = client_with(
        ok(ALICE_LOOKUP),
        ok([trustee(101, 1), trustee(102, 1), {"trustee": {"distribution_list_id": 9, "display_name": "DL"},
                                               "permission": 1}]),
        ok([trustee(101, 1), trustee(102, 2), trustee(105, 1)]),
        ok(DIRECTORY))
    granted = client.get_permissions("example.com", "alice")
    assert granted == [{"grantee": "bob@example.com", "permission": "both"},
                       {"grantee": "carol@example.org", "permission": "full_access"},
                       {"grantee": "mailbox-id:105", "permission": "send_as"}]
    # One directory read for every trustee; 105 is outside the subscription, so it is named by its id.
    assert names(session) == ["pem.exchange.getMailboxByEmailAddress", "pem.exchange.getMailboxPermissions",
                              "pem.exchange.getDeliveryPermissions", "pem.exchange.getMailboxes"]


def test_full_access_upgraded_to_both_adds_only_the_send_as_grant():
    bob = {"mailbox_id": 101, "email_addresses": [{"email_address": "bob@example.com", "is_primary": True}]}
    client, session = client_with(ok(ALICE_LOOKUP), ok(bob), ok(None))
    client.set_permission("example.com", "alice", "bob@example.com", "both", "full_access")
    assert sent(session)[2] == ("pem.exchange.grantDeliveryPermissions",
                                {"mailbox_id": 100, "permissions": [{"trustee": {"mailbox_id": 101}, "permission": 1}]})
    assert len(session.calls) == 3


def test_a_new_full_access_grant_uses_grant_mailbox_permissions():
    client, session = client_with(ok(None))
    client._ids.update({"alice@example.com": 100, "bob@example.com": 101})
    client.set_permission("example.com", "alice", "bob@example.com", "full_access", None)
    assert sent(session) == [("pem.exchange.grantMailboxPermissions",
                              {"mailbox_id": 100, "permissions": [{"trustee": {"mailbox_id": 101}, "permission": 1}]})]


def test_revoke_removes_what_is_there_and_gives_send_on_behalf_back():
    client, session = client_with(ok([trustee(101, 1)]), ok([trustee(101, 1), trustee(101, 2)]), ok(DIRECTORY),
                                  ok(None), ok(None), ok(None))
    client._ids.update({"alice@example.com": 100, "bob@example.com": 101})
    assert client.get_permissions("example.com", "alice") == [{"grantee": "bob@example.com", "permission": "both"}]
    client.revoke_permission("example.com", "alice", "bob@example.com", "both")
    assert sent(session)[3:] == [
        ("pem.exchange.revokeMailboxPermissions", {"mailbox_id": 100, "trustees": [{"mailbox_id": 101}]}),
        ("pem.exchange.revokeDeliveryPermissions", {"mailbox_id": 100, "trustees": [{"mailbox_id": 101}]}),
        ("pem.exchange.grantDeliveryPermissions",
         {"mailbox_id": 100, "permissions": [{"trustee": {"mailbox_id": 101}, "permission": 2}]})]


def test_a_missing_grantee_is_not_found():
    client, _session = client_with(failed("Mailbox with e-mail address nobody@example.com not found", 2))
    assert client.grantee_exists("example.com", "nobody@example.com") is False


# --- listing and ActiveSync ------------------------------------------------------------------------


def test_listing_keeps_the_domain_and_reads_details_only_for_the_fields_asked():
    client, session = client_with(ok(DIRECTORY))
    listed = client.list_mailboxes("example.com", {"fields": ["current_usage"]})
    assert listed == [
        {"name": "alice", "domain": "example.com", "address": "alice@example.com", "display_name": "Alice Example",
         "current_usage": 3},
        {"name": "bob", "domain": "example.com", "address": "bob@example.com", "display_name": "Bob",
         "current_usage": 1.5}]
    assert sent(session) == [("pem.exchange.getMailboxes", {"subscription_id": 1000042})]
    client, session = client_with(ok(DIRECTORY), ok(ALICE_INFO), ok(dict(ALICE_INFO, mailbox_id=101, active_sync=True)))
    listed = client.list_mailboxes("example.com", {"fields": ["size", "activesync"]})
    assert [(m["size"], m["activesync"]) for m in listed] == [(2048, False), (2048, True)]
    assert names(session).count("pem.exchange.getMailboxInfo") == 2


def test_a_listing_field_odin_cannot_fill_fails_before_any_request():
    client, session = client_with()
    with pytest.raises(NotSupportedError, match="fields=blackberry"):
        client.list_mailboxes("example.com", {"fields": ["size", "blackberry"]})
    assert session.calls == []


def test_activesync_is_the_active_sync_flag():
    client, session = client_with(ok(ALICE_LOOKUP), ok(ALICE_INFO), ok(None))
    assert client.get_activesync("example.com", "alice") is None
    client.set_activesync("example.com", "alice", True)
    assert sent(session)[-1] == ("pem.exchange.modifyMailbox", {"mailbox_id": 100, "active_sync": True})
