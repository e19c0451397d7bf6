"""Odin client: XML-RPC calls, the status envelope, the subscription's directory (what exists and belongs to it),
MB<->KB, permission merging by mailbox id, errors, defensive reading."""

import xmlrpc.client

import pytest
import requests

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    ProviderError,
    RetryExhaustedError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import values_equal
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.payload import UnexpectedAnswer
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
# pem.exchange.getMailboxes of subscription 1000042: the directory every decision of existence and ownership comes from.
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


DOMAINS = [{"domain_id": 1, "domain_name": "example.com"}, {"domain_id": 2, "domain_name": "example.org"},
           {"domain_id": 3, "domain_name": "new.example"}]
SUBSCRIPTION = "subscription 1000042"


def client_with(*script, **overrides):
    client = odin.OdinClient(dict(PARAMS, **overrides))
    session, _clock = script_transport(client, *script)
    return client, session


def client_and_clock(*script, **overrides):
    client = odin.OdinClient(dict(PARAMS, **overrides))
    session, clock = script_transport(client, *script)
    return client, session, clock


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
    (dict(api_url="oa.example.com:8440/RPC2"), "api_url 'oa.example.com:8440/RPC2' is not an http\\(s\\) URL with a host"),
    (dict(api_url="https://oa.example.com:port/RPC2"), "is not an http\\(s\\) URL with a host"),
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
    client, session = client_with(ok(DIRECTORY), ok(ALICE_INFO), ok(ALICE_ADDRESSES))
    client.get_mailbox("example.com", "alice")
    call = session.calls[0]
    assert call["method"] == "POST" and call["url"] == URL
    assert call["headers"]["Content-Type"] == "text/xml"
    assert call["auth"] == ("staff", SECRET)
    assert call["timeout"] == 5.0 and call["verify"] is True and call["allow_redirects"] is False
    # need=None: the directory, then everything getMailboxInfo and getEmailAddresses add
    assert sent(session) == [("pem.exchange.getMailboxes", {"subscription_id": 1000042}),
                             ("pem.exchange.getMailboxInfo", {"mailbox_id": 100}),
                             ("pem.exchange.getEmailAddresses", {"mailbox_id": 100})]


def test_without_api_user_no_authentication_is_sent():
    client, session = client_with(ok(DIRECTORY), ok(ALICE_INFO), ok(ALICE_ADDRESSES), api_user=None, api_secret=None)
    client.get_mailbox("example.com", "alice")
    assert all("auth" not in call for call in session.calls)


def test_unset_members_are_left_out_because_xml_rpc_has_no_nil():
    body = odin.encode_call("pem.exchange.addMailbox", {"alias": "a", "new_user": {"login": "a", "password": None},
                                                        "alt_email_addresses": None})
    params, method = xmlrpc.client.loads(body)
    assert method == "pem.exchange.addMailbox" and params == ({"alias": "a", "new_user": {"login": "a"}},)


# --- the envelope and errors ---------------------------------------------------------------------


def test_status_minus_one_is_a_refused_call_carrying_the_error_message():
    client, _session = client_with(ok(DIRECTORY), ok(ALICE_INFO), failed("Size limit exceeds the subscription"))
    before = client.get_mailbox("example.com", "alice", need=("size",))
    with pytest.raises(odin.RefusedCall) as raised:
        client.update_mailbox("example.com", "alice", {"size": 999999}, None, before)
    assert isinstance(raised.value, ProviderError)
    assert str(raised.value) == ("odin: alice@example.com: pem.exchange.modifyMailbox refused: "
                                 "Size limit exceeds the subscription")
    assert raised.value.provider_message == "Size limit exceeds the subscription"


def test_an_unknown_mailbox_is_decided_by_the_directory_alone():
    # ghost is in no directory entry of a domain that has mailboxes: absent, with the one directory read.
    client, session = client_with(ok(DIRECTORY))
    assert client.get_mailbox("example.com", "ghost") is None
    assert names(session) == ["pem.exchange.getMailboxes"]
    client, session = client_with(ok(DIRECTORY))
    with pytest.raises(NotFoundError) as raised:
        client.get_permissions("example.com", "ghost")
    assert str(raised.value) == "odin: ghost@example.com: mailbox does not exist in subscription 1000042"
    client, session = client_with(ok(DIRECTORY))
    with pytest.raises(NotFoundError, match="^odin: ghost@example.com: mailbox does not exist in subscription 1000042$"):
        client.get_activesync("example.com", "ghost")
    assert names(session) == ["pem.exchange.getMailboxes"]


WORDINGS = ["Mailbox with e-mail address alice@example.com not found", "Object does not exist", "no such mailbox",
            "Internal error: database unavailable", ""]


@pytest.mark.parametrize("wording", WORDINGS)
def test_status_minus_one_with_any_wording_is_never_taken_for_absence(wording):
    # alice is in the directory; a refused getMailboxInfo is a failure, whatever its message says.
    client, session = client_with(ok(DIRECTORY), failed(wording, 2))
    with pytest.raises(odin.RefusedCall) as raised:
        client.get_mailbox("example.com", "alice", need=("size",))
    assert raised.value.provider_message == (wording or "no error message given")
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.getMailboxInfo"]


@pytest.mark.parametrize("wording", WORDINGS)
def test_a_refused_directory_read_is_an_unknown_subscription_never_an_empty_one(wording):
    client, session = client_with(failed(wording, 2))
    with pytest.raises(UnknownScopeError) as raised:
        client.get_mailbox("example.com", "alice")
    assert str(raised.value).startswith("odin: cannot list the mailboxes of subscription 1000042 (check account)")
    assert names(session) == ["pem.exchange.getMailboxes"]
    client, session = client_with(failed(wording, 2))
    with pytest.raises(UnknownScopeError, match=r"cannot list the mailboxes of subscription 1000042 \(check account\)"):
        client.list_mailboxes("example.com", {})


def test_the_lookup_by_address_is_never_used_to_find_a_mailbox():
    # Not in the directory: absent, even though a lookup would have found it (it may be another subscription's).
    client, session = client_with(ok(DIRECTORY), ok(ALICE_LOOKUP))
    assert client.get_mailbox("example.com", "dave") is None
    assert "pem.exchange.getMailboxByEmailAddress" not in names(session)
    assert len(session.script) == 1  # the lookup answer was never asked for


def test_an_unknown_domain_is_an_error_after_one_domain_list_read():
    client, session = client_with(ok(DIRECTORY), ok(DOMAINS))
    with pytest.raises(UnknownScopeError) as raised:
        client.get_mailbox("nowhere.net", "alex")
    assert str(raised.value) == ("odin: domain nowhere.net is not a domain of subscription 1000042 "
                                 "(check domain and account)")
    # + the domain list: no directory entry has its primary address in nowhere.net
    assert sent(session) == [("pem.exchange.getMailboxes", {"subscription_id": 1000042}),
                             ("pem.getDomainList", {"subscription_id": 1000042})]


def test_a_domain_of_the_subscription_without_mailboxes_reads_as_absent_and_its_list_is_read_once():
    client, session = client_with(ok(DIRECTORY), ok(DOMAINS))
    assert client.get_mailbox("new.example", "alex") is None
    assert client.get_mailbox("New.Example", "bea") is None
    assert client.get_mailbox("example.com", "ghost") is None  # a domain with mailboxes needs no list
    assert names(session) == ["pem.exchange.getMailboxes", "pem.getDomainList"]


def test_errors_before_the_directory_is_read_name_the_subscription():
    client, session = client_with(response(401, "Authentication required"))
    with pytest.raises(AuthError) as raised:
        client.get_mailbox("example.com", "alice")
    assert str(raised.value) == ("odin: subscription 1000042: authentication refused (check api_user and api_secret) "
                                 "(HTTP 401)")
    assert raised.value.status == 401 and len(session.calls) == 1  # not retried
    client, session = client_with(response(403, "Forbidden"))
    with pytest.raises(AuthError, match="^odin: subscription 1000042: access refused "
                                        r"\(is this client network allowed, may this login use the API\?\)"):
        client.get_mailbox("example.com", "alice")
    assert len(session.calls) == 1


def test_an_xml_rpc_fault_is_a_clear_provider_error():
    fault = xmlrpc.client.dumps(xmlrpc.client.Fault(-32601, "method not found"), methodresponse=True)
    client, _session = client_with(response(200, fault, {"Content-Type": "text/xml"}))
    with pytest.raises(ProviderError, match="^odin: subscription 1000042: pem.exchange.getMailboxes failed with "
                                            "XML-RPC fault -32601: method not found"):
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


def test_other_http_errors_are_provider_errors_with_the_status():
    client, session = client_with(response(404, "no such path", reason="Not Found"))
    with pytest.raises(ProviderError) as raised:
        client.get_mailbox("example.com", "alice")
    assert raised.value.status == 404
    assert "pem.exchange.getMailboxes: no XML-RPC service at api_url (check it" in str(raised.value)
    assert len(session.calls) == 1


def test_http_500_is_transient_for_reads_and_gives_up_after_the_retries():
    client, session = client_with(response(500, "boom", reason="Internal Server Error"), ok(DIRECTORY))
    assert client.get_mailbox("example.com", "ghost") is None
    assert len(session.calls) == 2
    client, session = client_with(*[response(500, "boom", reason="Internal Server Error")] * 3)
    with pytest.raises(RetryExhaustedError, match="gave up after 2 retries: transient HTTP 500") as raised:
        client.get_mailbox("example.com", "alice")
    assert raised.value.status == 500 and len(session.calls) == 3


@pytest.mark.parametrize("cut", [requests.exceptions.ChunkedEncodingError("cut"),
                                 requests.exceptions.ContentDecodingError("garbled")])
def test_an_answer_cut_off_or_garbled_is_transient_for_a_read(cut):
    client, session = client_with(cut, ok(DIRECTORY))
    assert client.get_mailbox("example.com", "ghost") is None
    assert len(session.calls) == 2


def test_http_429_is_waited_out_for_its_retry_after():
    client, session, clock = client_and_clock(response(429, "slow down", {"Retry-After": "4"}), ok(DIRECTORY))
    assert client.get_mailbox("example.com", "ghost") is None
    assert len(session.calls) == 2 and clock.sleeps == [4.0]


def test_a_redirect_is_not_followed_and_the_credentials_stay():
    client, session = client_with(response(302, "", {"Location": "https://elsewhere.example.net/RPC2"}))
    with pytest.raises(ProviderError) as raised:
        client.get_mailbox("example.com", "alice")
    assert str(raised.value) == ("odin: subscription 1000042: the API redirected the call; not followed, so the "
                                 "credentials stay with https://oa.example.com:8440/RPC2 (check api_url) (HTTP 302)")
    assert len(session.calls) == 1 and session.calls[0]["allow_redirects"] is False


def test_no_secret_appears_in_any_error_message():
    answers = [failed("Password does not meet the password policy"), response(401, ""),
               response(200, "<html>login</html>")]
    for answer in answers:
        client, session = client_with(ok(DIRECTORY), answer)
        with pytest.raises((ProviderError, AuthError)) as raised:
            client.create_mailbox("example.com", "alex", {"size": 1024, "display_name": "Alex"}, PASSWORD)
        text = str(raised.value) + repr(raised.value.details())
        assert PASSWORD not in text and SECRET not in text
        assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.addMailbox"]


# --- answers read defensively -------------------------------------------------------------------


@pytest.mark.parametrize("directory, message", [
    ({"mailbox_id": 100}, "the answer gave an object where getMailboxes should be a list"),
    (["alice@example.com"], "the answer gave a text where a getMailboxes entry should be an object"),
    ([dict((k, v) for k, v in DIRECTORY[0].items() if k != "mailbox_id")],
     "the answer gave nothing where mailbox_id should be a whole number"),
    ([dict(DIRECTORY[0], mailbox_id=1.5)], "the answer gave a number where mailbox_id should be a whole number"),
    ([dict(DIRECTORY[0], mailbox_id="one")], "the answer gave a text where mailbox_id should be a number"),
    ([dict(DIRECTORY[0], email_address=["alice@example.com"])], "where email_address should be a text"),
    ([dict(DIRECTORY[0], size="lots")], "subscription 1000042: the answer gave a text where size should be a number"),
])
def test_a_directory_of_the_wrong_shape_is_an_unexpected_answer_never_a_crash(directory, message):
    client, _session = client_with(ok(directory))
    with pytest.raises(UnexpectedAnswer) as raised:
        client.get_mailbox("example.com", "alice")
    assert isinstance(raised.value, ProviderError) and message in str(raised.value)


@pytest.mark.parametrize("info, message", [
    ([ALICE_INFO], "the answer gave a list where getMailboxInfo should be an object"),
    (dict(ALICE_INFO, size_limit="2 GB"), "alice@example.com: the answer gave a text where size_limit should be a number"),
    (dict(ALICE_INFO, owa="perhaps"), "the answer gave a text where owa should be true or false"),
    (dict(ALICE_INFO, display_name={"text": "x"}), "where display_name should be a text"),
    # What getMailboxInfo always carries: missing is a broken answer, never "off", "shown" or "no limit".
    (dict((k, v) for k, v in ALICE_INFO.items() if k != "size_limit"),
     "alice@example.com: the answer gave nothing where size_limit should be a number"),
    (dict((k, v) for k, v in ALICE_INFO.items() if k != "owa"),
     "alice@example.com: the answer gave nothing where owa should be true or false"),
    (dict((k, v) for k, v in ALICE_INFO.items() if k != "show_in_address_book"),
     "alice@example.com: the answer gave nothing where show_in_address_book should be true or false"),
    (dict((k, v) for k, v in ALICE_INFO.items() if k != "active_sync"),
     "alice@example.com: the answer gave nothing where active_sync should be true or false"),
])
def test_mailbox_info_of_the_wrong_shape_is_an_unexpected_answer(info, message):
    client, _session = client_with(ok(DIRECTORY), ok(info))
    with pytest.raises(UnexpectedAnswer) as raised:
        client.get_mailbox("example.com", "alice", need=("size", "owa"))
    assert message in str(raised.value)


def test_addresses_of_the_wrong_kind_are_an_error_never_no_aliases():
    client, _session = client_with(ok(DIRECTORY), ok(ALICE_INFO), ok(""))
    with pytest.raises(UnexpectedAnswer, match="where the e-mail addresses should be a list"):
        client.get_mailbox("example.com", "alice")


def test_a_full_record_leaves_out_only_what_the_api_cannot_read():
    client, _session = client_with(ok(DIRECTORY), ok(ALICE_INFO), ok(ALICE_ADDRESSES))
    record = client.get_mailbox("example.com", "alice")
    assert record["aliases"] == ["al@example.com"] and record["hidden"] is False and record["size"] == 2048
    assert set(record) & set(odin.OdinClient.unreadable) == set()


# --- the directory and what each read costs ---------------------------------------------------------------


def test_an_unchanged_exchange_mailbox_costs_the_directory_and_one_info_read():
    client, session = client_with(ok(DIRECTORY), ok(ALICE_INFO))
    record = client.get_mailbox("example.com", "alice", need=("display_name", "size", "hidden", "owa", "primary_address"))
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.getMailboxInfo"]
    assert record["mailbox_id"] == 100 and record["size"] == 2048 and "aliases" not in record


def test_fields_the_directory_carries_cost_no_further_read():
    client, session = client_with(ok(DIRECTORY))
    record = client.get_mailbox("example.com", "bob", need=("display_name", "primary_address", "current_usage"))
    assert names(session) == ["pem.exchange.getMailboxes"]
    assert (record["display_name"], record["primary_address"], record["current_usage"]) == ("Bob", "bob@example.com", 1.5)


def test_aliases_cost_the_directory_and_get_email_addresses_only():
    client, session = client_with(ok(DIRECTORY), ok(ALICE_ADDRESSES))
    record = client.get_mailbox("example.com", "alice", need=("aliases", "primary_address"))
    assert sent(session) == [("pem.exchange.getMailboxes", {"subscription_id": 1000042}),
                             ("pem.exchange.getEmailAddresses", {"mailbox_id": 100})]
    assert record["aliases"] == ["al@example.com"] and record["primary_address"] == "alice@example.com"


def test_the_directory_is_read_once_per_run():
    client, session = client_with(ok(DIRECTORY), ok(ALICE_INFO), ok(None), ok(ALICE_INFO), ok(ALICE_ADDRESSES),
                                  ok(dict(ALICE_INFO, active_sync=True)))
    before = client.get_mailbox("example.com", "alice", need=("pop3",))
    client.update_mailbox("example.com", "alice", {"pop3": False}, None, before)
    client.get_mailbox("example.com", "alice")
    assert client.get_activesync("example.com", "alice") == {"enabled": True}
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.getMailboxInfo",
                              "pem.exchange.modifyMailbox", "pem.exchange.getMailboxInfo",
                              "pem.exchange.getEmailAddresses", "pem.exchange.getMailboxInfo"]
    assert sent(session)[2][1] == {"mailbox_id": 100, "pop3": False}


def test_a_mailbox_gone_since_the_directory_was_read_is_a_failure_not_absent():
    # The refusal's wording says "not found"; that is still not read as absence.
    client, session = client_with(ok(DIRECTORY), ok(ALICE_INFO), failed("Mailbox 100 not found", 2))
    client.get_mailbox("example.com", "alice", need=("size",))
    with pytest.raises(odin.RefusedCall, match="pem.exchange.getMailboxInfo refused: Mailbox 100 not found"):
        client.get_mailbox("example.com", "alice", need=("size",))
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.getMailboxInfo", "pem.exchange.getMailboxInfo"]


def test_name_at_domain_is_found_by_the_exchange_alias_after_a_primary_address_change():
    renamed = [dict(DIRECTORY[0], email_address="a.example@example.com")] + DIRECTORY[1:]
    addresses = [{"email_address": "a.example@example.com", "is_primary": True},
                 {"email_address": "alice@example.com", "is_primary": False}]
    client, session = client_with(ok(renamed), ok(addresses))
    record = client.get_mailbox("example.com", "alice", need=("display_name", "primary_address"))
    assert record["mailbox_id"] == 100 and record["primary_address"] == "a.example@example.com"
    assert sent(session) == [("pem.exchange.getMailboxes", {"subscription_id": 1000042}),
                             ("pem.exchange.getEmailAddresses", {"mailbox_id": 100})]


def test_an_exchange_alias_without_name_at_domain_among_its_addresses_is_not_the_mailbox():
    renamed = [dict(DIRECTORY[0], email_address="a.example@example.com")] + DIRECTORY[1:]
    client, session = client_with(ok(renamed), ok([{"email_address": "a.example@example.com", "is_primary": True}]))
    assert client.get_mailbox("example.com", "alice") is None
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.getEmailAddresses"]


# --- the canonical record ---------------------------------------------------------------------


def test_get_mailbox_info_maps_to_the_canonical_record():
    entry = odin.directory_entry(DIRECTORY[0], "alice@example.com")
    record = odin.from_info(dict(ALICE_INFO, show_in_address_book=False, size_limit=1572865), entry, ALICE_ADDRESSES,
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


def test_a_record_from_the_directory_alone_carries_only_what_the_directory_says():
    entry = odin.directory_entry(DIRECTORY[1], "bob@example.com")
    record = odin.from_info(None, entry, None, "example.com", "bob")
    assert record == {"name": "bob", "domain": "example.com", "address": "bob@example.com", "display_name": "Bob",
                      "primary_address": "bob@example.com", "current_usage": 1.5, "mailbox_id": 101, "user_id": 501,
                      "login": "bob@example.com"}


# --- writes -------------------------------------------------------------------------------------


def test_create_builds_new_user_from_the_task_with_protocols_on_by_default():
    client, session = client_with(ok(DIRECTORY), ok({"mailbox_id": 150}))
    client.create_mailbox("example.com", "Alex", {"size": 2048, "display_name": "Alex Smith", "pop3": False}, PASSWORD)
    (_directory, _args), (method, args) = sent(session)
    assert method == "pem.exchange.addMailbox"
    assert args == {"alias": "Alex", "primary_email_address": "alex@example.com", "size_limit": 2097152,
                    "owa": True, "mapi": True, "imap4": True, "pop3": False, "active_sync": False,
                    "new_user": {"subscription_id": 1000042, "login": "alex@example.com", "password": PASSWORD,
                                 "display_name": "Alex Smith"}}
    # The new mailbox joins this run's directory: found again without a read.
    assert client.get_mailbox("example.com", "alex", need=("display_name",))["mailbox_id"] == 150
    assert len(session.calls) == 2


def test_create_for_an_existing_service_user_sends_user_id_only():
    client, session = client_with(ok(DIRECTORY), ok({"mailbox_id": 151}), ok(None), service_user_id=77)
    client.create_mailbox("example.com", "alex", {"size": 10, "service_user_id": 77, "hidden": True,
                                                  "primary_address": "A.Smith@example.com"}, None)
    (_d, _a), (_m, args), (method, modify) = sent(session)
    assert args["user_id"] == 77 and "new_user" not in args
    assert args["primary_email_address"] == "a.smith@example.com"
    assert args["alt_email_addresses"] == ["alex@example.com"]  # still found by name@domain
    assert method == "pem.exchange.modifyMailbox" and modify == {"mailbox_id": 151, "show_in_address_book": False}


def test_create_uses_the_login_option():
    client, session = client_with(ok(DIRECTORY), ok({"mailbox_id": 152}))
    client.create_mailbox("example.com", "alex", {"size": 10, "login": "asmith"}, None)
    assert sent(session)[1][1]["new_user"] == {"subscription_id": 1000042, "login": "asmith"}


def test_a_primary_address_in_a_domain_of_no_subscription_of_ours_is_refused_before_the_create():
    client, session = client_with(ok(DIRECTORY), ok(DOMAINS))
    with pytest.raises(UnknownScopeError, match="the domain of primary address foreign.net is not a domain of "
                                                r"subscription 1000042 \(check domain and account\)"):
        client.create_mailbox("example.com", "alex", {"size": 10, "primary_address": "alex@foreign.net"}, None)
    assert names(session) == ["pem.exchange.getMailboxes", "pem.getDomainList"]


def test_an_ambiguous_create_is_read_back_not_resent():
    created = DIRECTORY + [{"mailbox_id": 153, "email_address": "alex@example.com", "size": 0, "user_id": 503,
                            "display_name": "", "login": "alex@example.com", "alias": "alex"}]
    client, session = client_with(ok(DIRECTORY), requests.exceptions.ConnectionError("reset"), ok(created))
    client.create_mailbox("example.com", "alex", {"size": 10}, None)
    # + the fresh directory read: it tells whether the create took effect
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.addMailbox", "pem.exchange.getMailboxes"]
    assert client.get_mailbox("example.com", "alex", need=())["mailbox_id"] == 153


def test_a_create_that_failed_with_http_500_is_read_back_and_sent_again_when_absent():
    client, session = client_with(ok(DIRECTORY), response(500, "boom"), ok(DIRECTORY), ok({"mailbox_id": 154}))
    client.create_mailbox("example.com", "alex", {"size": 10}, None)
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.addMailbox", "pem.exchange.getMailboxes",
                              "pem.exchange.addMailbox"]


def test_reads_are_retried_after_a_transient_failure():
    client, session = client_with(response(503, "busy"), ok(DIRECTORY), ok(ALICE_INFO), ok(ALICE_ADDRESSES))
    assert client.get_mailbox("example.com", "alice")["mailbox_id"] == 100
    assert len(session.calls) == 4


def test_update_sends_only_the_changes_in_kilobytes_and_changes_the_primary_address():
    client, session = client_with(ok(DIRECTORY), ok(None), ok(None))
    before = client.get_mailbox("example.com", "alice", need=())
    client.update_mailbox("example.com", "alice", {"size": 3000, "hidden": True, "owa": False,
                                                   "primary_address": "A.Example@example.com"}, None, before)
    assert sent(session)[1:] == [
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
    client, session = client_with(ok(DIRECTORY), ok(None))
    before = client.get_mailbox("example.com", "alice", need=())
    client.delete_mailbox("example.com", "alice", before)
    assert sent(session)[1:] == [("pem.exchange.removeMailbox", {"mailbox_id": 100})]
    assert 100 not in client._directory
    assert client.get_mailbox("example.com", "alice", need=()) is None  # from this run's directory: no read
    assert len(session.calls) == 2


def test_aliases_are_added_and_removed_by_id():
    client, session = client_with(ok(DIRECTORY), ok(None), ok(None))
    client.add_alias("example.com", "alice", "alias1@example.com")
    client.remove_alias("example.com", "alice", "al@example.com")
    assert sent(session) == [
        ("pem.exchange.getMailboxes", {"subscription_id": 1000042}),
        ("pem.exchange.addEmailAddresses", {"mailbox_id": 100, "email_addresses": ["alias1@example.com"]}),
        ("pem.exchange.removeEmailAddresses", {"mailbox_id": 100, "email_addresses": ["al@example.com"]})]


def test_an_alias_in_a_domain_of_no_subscription_of_ours_is_refused_before_the_write():
    client, session = client_with(ok(DIRECTORY), ok(DOMAINS))
    with pytest.raises(InvalidInputError, match="alice@foreign.net: the alias's domain foreign.net is not a domain of subscription 1000042"):
        client.add_alias("example.com", "alice", "alice@foreign.net")
    assert names(session) == ["pem.exchange.getMailboxes", "pem.getDomainList"]


def test_the_address_the_mailbox_is_found_by_is_never_removed():
    client, session = client_with()
    assert client.protected_addresses("example.com", "alice") == ["alice@example.com"]
    with pytest.raises(InvalidInputError, match="finds the mailbox by"):
        client.remove_alias("example.com", "alice", "alice@example.com")
    assert session.calls == []


# --- permissions ----------------------------------------------------------------------------------


def trustee(mailbox_id, permission):
    return {"trustee": {"mailbox_id": mailbox_id, "display_name": "x"}, "permission": permission}


def test_permissions_merge_full_access_and_send_as_into_canonical_grants_keyed_by_mailbox_id():
    client, session = client_with(
        ok(DIRECTORY),
        ok([trustee(101, 1), trustee(102, 1), {"trustee": {"distribution_list_id": 9, "display_name": "DL"},
                                               "permission": 1}]),
        ok([trustee(101, 1), trustee(102, 2), trustee(105, 1)]))
    granted = client.get_permissions("example.com", "alice")
    assert granted == [{"grantee": "bob@example.com", "permission": "both", "key": 101},
                       {"grantee": "carol@example.org", "permission": "full_access", "key": 102},
                       {"grantee": "mailbox-id:105", "permission": "send_as", "key": 105}]
    # The directory names every trustee; 105 is outside the subscription, so it is named by its id.
    assert sent(session) == [("pem.exchange.getMailboxes", {"subscription_id": 1000042}),
                             ("pem.exchange.getMailboxPermissions", {"mailbox_id": 100}),
                             ("pem.exchange.getDeliveryPermissions", {"mailbox_id": 100})]


def test_a_grantee_in_the_directory_resolves_without_a_lookup():
    client, session = client_with(ok(DIRECTORY))
    assert client.resolve_grantee("example.com", "bob@example.com") == {"key": 101, "address": "bob@example.com"}
    assert names(session) == ["pem.exchange.getMailboxes"]


def test_a_grantee_named_by_another_of_its_addresses_resolves_to_its_mailbox():
    client, session = client_with(ok(DIRECTORY), ok({"mailbox_id": 101, "email_addresses": []}))
    assert client.resolve_grantee("example.com", "robert@example.com") == {"key": 101, "address": "bob@example.com"}
    assert sent(session)[1] == ("pem.exchange.getMailboxByEmailAddress", {"email_address": "robert@example.com"})


def test_a_grantee_of_another_subscription_is_refused():
    client, session = client_with(ok(DIRECTORY), ok({"mailbox_id": 900, "email_addresses": []}))
    # Refused, in check mode too (no task of this run can create it in ours); the message says no more than that.
    with pytest.raises(InvalidInputError) as raised:
        client.resolve_grantee("example.com", "eve@example.com")
    assert str(raised.value) == "odin: grantee eve@example.com is not a mailbox of subscription 1000042; refused"
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.getMailboxByEmailAddress"]


@pytest.mark.parametrize("wording", WORDINGS)
def test_a_grantee_the_lookup_refuses_does_not_exist_whatever_the_wording(wording):
    client, session = client_with(ok(DIRECTORY), failed(wording, 2))
    assert client.resolve_grantee("example.com", "nobody@example.com") is None
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.getMailboxByEmailAddress"]


def test_a_grant_to_a_mailbox_outside_the_directory_is_refused_before_any_write():
    client, session = client_with(ok(DIRECTORY))
    with pytest.raises(InvalidInputError, match="grantee eve@other.net is not a mailbox of subscription 1000042; refused"):
        client.set_permission("example.com", "alice", {"key": 900, "address": "eve@other.net"}, "full_access", None)
    with pytest.raises(InvalidInputError, match="is not a mailbox of subscription 1000042"):
        client.revoke_permission("example.com", "alice", {"key": 900, "address": "eve@other.net"}, "full_access")
    assert names(session) == ["pem.exchange.getMailboxes"]


def test_full_access_upgraded_to_both_adds_only_the_send_as_grant():
    client, session = client_with(ok(DIRECTORY), ok(None))
    client.set_permission("example.com", "alice", {"key": 101, "address": "bob@example.com"}, "both", "full_access")
    assert sent(session)[1:] == [("pem.exchange.grantDeliveryPermissions",
                                  {"mailbox_id": 100, "permissions": [{"trustee": {"mailbox_id": 101}, "permission": 1}]})]


def test_a_new_full_access_grant_uses_grant_mailbox_permissions():
    client, session = client_with(ok(DIRECTORY), ok(None))
    client.set_permission("example.com", "alice", {"key": 101, "address": "bob@example.com"}, "full_access", None)
    assert sent(session)[1:] == [("pem.exchange.grantMailboxPermissions",
                                  {"mailbox_id": 100, "permissions": [{"trustee": {"mailbox_id": 101}, "permission": 1}]})]


def test_an_ambiguous_grant_is_read_back_by_the_trustees_id():
    client, session = client_with(ok(DIRECTORY), requests.exceptions.ConnectionError("reset"), ok([trustee(101, 1)]))
    client.set_permission("example.com", "alice", {"key": 101, "address": "bob@example.com"}, "full_access", None)
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.grantMailboxPermissions",
                              "pem.exchange.getMailboxPermissions"]


def test_revoke_removes_what_is_there_and_gives_send_on_behalf_back():
    client, session = client_with(ok(DIRECTORY), ok([trustee(101, 1)]), ok([trustee(101, 1), trustee(101, 2)]),
                                  ok(None), ok(None), ok(None))
    assert client.get_permissions("example.com", "alice") == [{"grantee": "bob@example.com", "permission": "both",
                                                               "key": 101}]
    client.revoke_permission("example.com", "alice", {"key": 101, "address": "bob@example.com"}, "both")
    assert sent(session)[3:] == [
        ("pem.exchange.revokeMailboxPermissions", {"mailbox_id": 100, "trustees": [{"mailbox_id": 101}]}),
        ("pem.exchange.revokeDeliveryPermissions", {"mailbox_id": 100, "trustees": [{"mailbox_id": 101}]}),
        ("pem.exchange.grantDeliveryPermissions",
         {"mailbox_id": 100, "permissions": [{"trustee": {"mailbox_id": 101}, "permission": 2}]})]


# --- listing and ActiveSync ------------------------------------------------------------------------


def test_listing_keeps_the_domain_and_reads_details_only_for_the_fields_asked():
    client, session = client_with(ok(DIRECTORY))
    listed = client.list_mailboxes("example.com", {"fields": ["current_usage"]})
    assert listed == [
        {"name": "alice", "domain": "example.com", "address": "alice@example.com", "mailbox_id": 100,
         "display_name": "Alice Example", "primary_address": "alice@example.com", "current_usage": 3},
        {"name": "bob", "domain": "example.com", "address": "bob@example.com", "mailbox_id": 101,
         "display_name": "Bob", "primary_address": "bob@example.com", "current_usage": 1.5}]
    assert sent(session) == [("pem.exchange.getMailboxes", {"subscription_id": 1000042})]
    client, session = client_with(ok(DIRECTORY), ok(ALICE_INFO), ok(dict(ALICE_INFO, mailbox_id=101, active_sync=True)))
    listed = client.list_mailboxes("example.com", {"fields": ["size", "activesync"]})
    assert [(m["size"], m["activesync"]) for m in listed] == [(2048, False), (2048, True)]
    assert sent(session)[1:] == [("pem.exchange.getMailboxInfo", {"mailbox_id": 100}),
                                 ("pem.exchange.getMailboxInfo", {"mailbox_id": 101})]


def test_an_empty_listing_is_checked_against_the_subscriptions_domains():
    client, session = client_with(ok(DIRECTORY), ok(DOMAINS))
    assert client.list_mailboxes("new.example", {}) == []
    assert names(session) == ["pem.exchange.getMailboxes", "pem.getDomainList"]
    client, session = client_with(ok(DIRECTORY), ok(DOMAINS))
    with pytest.raises(UnknownScopeError, match="^odin: domain nowhere.net is not a domain of subscription 1000042 "
                                                r"\(check domain and account\)$"):
        client.list_mailboxes("nowhere.net", {})


def test_a_listing_field_odin_cannot_fill_fails_before_any_request():
    client, session = client_with()
    with pytest.raises(NotSupportedError, match="fields=blackberry"):
        client.list_mailboxes("example.com", {"fields": ["size", "blackberry"]})
    assert session.calls == []


def test_activesync_is_the_active_sync_flag():
    client, session = client_with(ok(DIRECTORY), ok(ALICE_INFO), ok(None))
    assert client.get_activesync("example.com", "alice") is None
    client.set_activesync("example.com", "alice", True)
    assert names(session) == ["pem.exchange.getMailboxes", "pem.exchange.getMailboxInfo", "pem.exchange.modifyMailbox"]
    assert sent(session)[-1] == ("pem.exchange.modifyMailbox", {"mailbox_id": 100, "active_sync": True})
