"""Rackspace client: signature, mapping both ways, paging, error extraction, scope checks, grants by identity,
the transport as the client uses it, defensive reading, checks before any request, pacing."""

import re

import pytest
import requests

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    RetryExhaustedError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils import permission
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.payload import UnexpectedAnswer
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers import rackspace
from tests.unit.plugins.fakes import response, script_transport

SEED_SHOW = {
    "name": "apiexmailbox90", "displayName": "API Test", "size": 2048, "currentUsage": 0, "isHidden": False,
    "isPublicFolderAdmin": True, "enabled": True, "lastLogin": "2/12/2006 1:00:00 AM",
    "contactInfo": {"firstName": "API", "lastName": "Test", "jobTitle": "Dev", "company": "My Company",
                    "department": "R&D", "businessNumber": "111-1111", "homeNumber": "222-2222",
                    "mobileNumber": "333-3333", "faxNumber": "444-4444", "pagerNumber": "1234",
                    "addressLine1": "123 Main Street", "city": "Blacksburg", "state": "VA", "zip": "24060",
                    "country": "USA", "notes": "My Notes", "customID": "0123456789"},
    "emailForwardingAddress": "apiexmailbox8@apidomain24.com", "saveForwardedEmail": False,
    "emailAddressList": [{"address": "apiexmailbox90@apidomain92.com", "replyTo": True},
                         {"address": "API90@apidomain92.com", "replyTo": False}],
    "hasBlackBerryMobileService": False, "hasActiveSyncMobileService": True,
    "samAccountName": "apiexmailbox90_53B5B", "visibleInRackspaceEmailCompanyDirectory": False,
}

PARAMS = dict(provider="rackspace", api_url="http://127.0.0.1:1/v1", api_user="user-key", api_secret="TOP-secret-key",
              account=None, validate_certs=True, timeout=5.0, retries=2, retry_budget=10.0)


def client_with(*script):
    client = rackspace.RackspaceClient(dict(PARAMS))
    session, clock = script_transport(client, *script)
    return client, session, clock


def test_signature_matches_the_providers_known_answer_vector():
    assert rackspace.signature("eGbq9/2hcZsRlr1JV1Pi", "Rackspace Management Interface", "20010308143725",
                               "QHOvchm/40czXhJ1OxfxK7jDHr3t") == "46VIwd66mOFGG8IkbgnLlXnfnkU="


def test_every_request_is_signed_afresh_with_a_utc_timestamp():
    client, session, _clock = client_with(response(200, SEED_SHOW), response(200, SEED_SHOW))
    client.get_mailbox("apidomain92.com", "apiexmailbox90")
    client.get_mailbox("apidomain92.com", "apiexmailbox90")
    for call in session.calls:
        user, stamp, digest = call["headers"]["X-Api-Signature"].split(":")
        assert user == "user-key" and re.match(r"^\d{14}$", stamp)
        assert digest == rackspace.signature("user-key", rackspace.USER_AGENT, stamp, "TOP-secret-key")
        assert call["headers"]["Accept"] == "application/json"
    assert session.calls[0]["url"] == "http://127.0.0.1:1/v1/customers/me/domains/apidomain92.com/ex/mailboxes/apiexmailbox90"


def test_show_maps_nested_contact_info_to_canonical_fields():
    record = rackspace.from_show(SEED_SHOW, "apidomain92.com")
    assert record["display_name"] == "API Test" and record["size"] == 2048
    assert record["public_folder_admin"] is True and record["hidden"] is False and record["directory_visible"] is False
    assert record["first_name"] == "API" and record["state_province"] == "VA" and record["postal_code"] == "24060"
    assert record["street"] == "123 Main Street" and record["business_phone"] == "111-1111" and record["custom_id"] == "0123456789"
    assert record["notes"] == "My Notes" and record["pager"] == "1234"
    assert record["forwarding_address"] == "apiexmailbox8@apidomain24.com"
    assert record["primary_address"] == "apiexmailbox90@apidomain92.com"
    assert record["aliases"] == ["api90@apidomain92.com"]
    assert record["activesync"] is True and record["sam_account_name"] == "apiexmailbox90_53B5B"


def test_form_is_flat_with_string_booleans_and_maps_back_to_the_same_record():
    canonical = rackspace.from_show(SEED_SHOW, "apidomain92.com")
    settable = dict((field, canonical[field]) for field in rackspace.WIRE_NAMES)
    form = rackspace.to_form(settable)
    assert form["isPublicFolderAdmin"] == "true" and form["saveForwardedEmail"] == "false"
    assert form["firstName"] == "API" and form["zip"] == "24060" and form["size"] == "2048"
    assert not any(key.startswith("contactInfo") for key in form)
    # Rebuild a show body from the flat form: every field survives the round trip.
    contact_wire = dict(rackspace.CONTACT_FIELDS).values()
    show = {"name": "apiexmailbox90", "contactInfo": dict((k, v) for k, v in form.items() if k in contact_wire)}
    show.update((k, v) for k, v in form.items() if k not in contact_wire)
    # What a show always carries besides the settable fields.
    show.update((k, SEED_SHOW[k]) for k in ("emailAddressList", "hasActiveSyncMobileService",
                                            "hasBlackBerryMobileService"))
    again = rackspace.from_show(show, "apidomain92.com")
    assert dict((f, again[f]) for f in settable) == settable


@pytest.mark.parametrize("member, value, message", [
    ("enabled", None, "the answer gave nothing where enabled should be true or false"),
    ("isHidden", "maybe", "the answer gave a text where isHidden should be true or false"),
    ("size", None, "the answer gave nothing where size should be a number"),
    ("size", "2 GB", "the answer gave a text where size should be a number"),
    ("emailAddressList", None, "the answer gave nothing where emailAddressList should be a list"),
    ("hasActiveSyncMobileService", None,
     "the answer gave nothing where hasActiveSyncMobileService should be true or false"),
])
def test_a_show_missing_or_garbling_what_it_always_carries_is_an_error_naming_it(member, value, message):
    show = dict(SEED_SHOW)
    if value is None:
        del show[member]
    else:
        show[member] = value
    with pytest.raises(UnexpectedAnswer) as raised:
        rackspace.from_show(show, "apidomain92.com", obj="apiexmailbox90@apidomain92.com")
    assert "rackspace: apiexmailbox90@apidomain92.com: %s" % message in str(raised.value)


def test_a_show_without_contact_information_leaves_the_contact_fields_out_not_empty():
    record = rackspace.from_show(dict((k, v) for k, v in SEED_SHOW.items() if k != "contactInfo"), "apidomain92.com")
    assert not set(dict(rackspace.CONTACT_FIELDS)) & set(record)
    assert record["display_name"] == "API Test" and set(record) & set(rackspace.RackspaceClient.unreadable) == set()


def test_index_pages_with_size_250_until_total_is_reached():
    def page(offset, count, total):
        return response(200, {"offset": offset, "size": 250, "total": total,
                              "mailboxes": [{"name": "u%04d" % (offset + i), "displayName": "U"} for i in range(count)]})
    client, session, _clock = client_with(page(0, 250, 1000), page(250, 250, 1000), page(500, 250, 1000), page(750, 250, 1000))
    found = client.list_mailboxes("example.com", {"enabled": True, "name_startswith": "u", "fields": ["size", "activesync"]})
    assert len(found) == 1000 and found[999]["name"] == "u0999"
    assert [call["params"]["offset"] for call in session.calls] == [0, 250, 500, 750]
    assert all(call["params"]["size"] == 250 for call in session.calls)
    assert session.calls[0]["params"]["enabled"] == "true" and session.calls[0]["params"]["startswith"] == "u"
    assert session.calls[0]["params"]["fields"] == "size,hasActiveSyncMobileService"


def test_error_message_comes_from_the_header_then_the_fault_body():
    assert rackspace.error_message(response(400, {"x": 1}, {"x-error-message": "Invalid user name"})) == "Invalid user name"
    assert rackspace.error_message(response(404, {"itemNotFoundFault": {"message": "Mailbox nope not found", "code": 404}})) \
        == "Mailbox nope not found"
    # an HTML page (a proxy's, a wrong URL's) is named, never pasted whole into a message
    assert rackspace.error_message(response(500, "<html>oops</html>")) == "an HTML page (no Content-Type)"
    assert rackspace.error_message(response(500, "plain words")) == "plain words"


@pytest.mark.parametrize("status, body, error", [
    (400, {"validationFault": {"message": "Password must be at least 8 characters long"}}, ProviderError),
    (403, {"unauthorizedFault": {"message": "Authentication failed"}}, AuthError),
])
def test_errors_carry_provider_object_status_and_message_but_no_secret(status, body, error):
    client, _session, _clock = client_with(response(status, body))
    with pytest.raises(error) as caught:
        client.update_mailbox("example.com", "alex", {"display_name": "A"}, "Pw-0f-alex!", None)
    text = str(caught.value)
    assert "rackspace" in text and "alex@example.com" in text and "HTTP %d" % status in text
    assert list(body.values())[0]["message"] in text
    assert "TOP-secret-key" not in text and "Pw-0f-alex!" not in text


NOT_FOUND = {"itemNotFoundFault": {"message": "Mailbox ghost not found"}}
ONE_MAILBOX = {"offset": 0, "size": 1, "total": 3, "mailboxes": [{"name": "a", "displayName": "A"}]}


def routes(session):
    """(method, path below the customer, query) of every request, for exact request sequences."""
    prefix = "http://127.0.0.1:1/v1/customers/"
    return [(call["method"], call["url"][len(prefix):], call.get("params")) for call in session.calls]


def test_an_absent_mailbox_costs_one_domain_check_and_a_known_domain_is_not_checked_again():
    client, session, _c = client_with(response(404, NOT_FOUND), response(200, ONE_MAILBOX), response(404, NOT_FOUND))
    assert client.get_mailbox("example.com", "ghost") is None
    assert client.get_mailbox("example.com", "ghost2") is None
    assert routes(session) == [
        ("GET", "me/domains/example.com/ex/mailboxes/ghost", None),
        # + the domain check: the mailbox is absent, so one index read of size 1 tells absent from unknown
        ("GET", "me/domains/example.com/ex/mailboxes", {"size": 1, "offset": 0}),
        # the domain is known to exist now: no second check
        ("GET", "me/domains/example.com/ex/mailboxes/ghost2", None)]


def test_a_domain_seen_in_a_show_is_not_checked_when_another_mailbox_is_absent():
    client, session, _c = client_with(response(200, SEED_SHOW), response(404, NOT_FOUND))
    assert client.get_mailbox("apidomain92.com", "apiexmailbox90")["name"] == "apiexmailbox90"
    assert client.get_mailbox("apidomain92.com", "ghost") is None
    assert [path for _m, path, _q in routes(session)] == ["me/domains/apidomain92.com/ex/mailboxes/apiexmailbox90",
                                                          "me/domains/apidomain92.com/ex/mailboxes/ghost"]


@pytest.mark.parametrize("account, shown", [(None, "me"), ("123456", "123456")])
def test_an_unknown_domain_or_customer_is_an_error_never_absent(account, shown):
    client = rackspace.RackspaceClient(dict(PARAMS, account=account))
    session, _clock = script_transport(client, response(404, NOT_FOUND),
                                       response(404, {"itemNotFoundFault": {"message": "Domain not found"}}))
    with pytest.raises(UnknownScopeError) as caught:
        client.get_mailbox("nowhere.net", "ghost")
    assert str(caught.value) == ("rackspace: domain nowhere.net is not a hosted Exchange domain of customer %s "
                                 "(check domain and account): Domain not found (HTTP 404)" % shown)
    assert [(m, path) for m, path, _q in routes(session)] == [
        ("GET", "%s/domains/nowhere.net/ex/mailboxes/ghost" % shown), ("GET", "%s/domains/nowhere.net/ex/mailboxes" % shown)]


def test_a_listing_of_an_unknown_domain_is_the_same_error_not_an_empty_list():
    client, session, _c = client_with(response(404, {"itemNotFoundFault": {"message": "Domain not found"}}))
    with pytest.raises(UnknownScopeError, match=r"^rackspace: domain nowhere\.net is not a hosted Exchange domain of "
                                                r"customer me \(check domain and account\)"):
        client.list_mailboxes("nowhere.net", {})
    assert len(session.calls) == 1


@pytest.mark.parametrize("wording", ["User a@example.com has no active ActiveSync Mobile Service.", "Mailbox a not found",
                                     ""])
def test_activesync_404_is_decided_by_the_mailbox_show_not_by_the_wording(wording):
    # 404 then the show answers 200: the mailbox exists, so it has no service, whatever the 404 said.
    client, session, _c = client_with(response(404, {"itemNotFoundFault": {"message": wording}}),
                                      response(200, dict(SEED_SHOW, name="a")))
    assert client.get_activesync("example.com", "a") is None
    assert [path for _m, path, _q in routes(session)] == ["me/domains/example.com/ex/mailboxes/a/activesyncmobileservice",
                                                          "me/domains/example.com/ex/mailboxes/a"]


@pytest.mark.parametrize("wording", ["User ghost@example.com has no active ActiveSync Mobile Service.",
                                     "Mailbox ghost not found"])
def test_activesync_of_a_missing_mailbox_is_not_found_whatever_the_404_says(wording):
    client, session, _c = client_with(response(404, {"itemNotFoundFault": {"message": wording}}),
                                      response(404, NOT_FOUND), response(200, ONE_MAILBOX))
    with pytest.raises(NotFoundError) as caught:
        client.get_activesync("example.com", "ghost")
    assert str(caught.value) == "rackspace: ghost@example.com: mailbox does not exist (HTTP 404)"
    assert [path for _m, path, _q in routes(session)] == [
        "me/domains/example.com/ex/mailboxes/ghost/activesyncmobileservice", "me/domains/example.com/ex/mailboxes/ghost",
        "me/domains/example.com/ex/mailboxes"]  # + the domain check: the mailbox is absent


def test_activesync_setup_info_maps_to_canonical_keys():
    client, _s, _c = client_with(response(200, {"emailAddress": "a@example.com", "serverAddress": "mex09.emailsrvr.com",
                                                "userName": "a@example.com", "domainAddress": "example.com"}))
    assert client.get_activesync("example.com", "a") == {
        "email_address": "a@example.com", "server_address": "mex09.emailsrvr.com", "user_name": "a@example.com",
        "domain_address": "example.com"}


def test_throttle_is_recognised_only_with_the_documented_message():
    throttled = response(403, {"unauthorizedFault": {"message": "Exceeded request limits"}})
    assert rackspace.is_throttle(throttled)
    assert rackspace.is_throttle(response(403, None, {"x-error-message": "Exceeded request limits"}))
    assert not rackspace.is_throttle(response(403, {"unauthorizedFault": {"message": "Authentication failed"}}))


def test_a_throttled_write_is_waited_out_and_sent_again():
    throttled = response(403, {"unauthorizedFault": {"message": "Exceeded request limits"}})
    client, session, clock = client_with(throttled, throttled, response(200))
    client.create_mailbox("example.com", "alex", {"display_name": "Alex", "size": 1024}, "Pw-0f-alex!")
    assert [call["method"] for call in session.calls] == ["POST", "POST", "POST"]
    assert len(clock.sleeps) == 2 and clock.sleeps[1] > clock.sleeps[0] / 2
    body = session.calls[0]["data"]
    assert "displayName=Alex" in body and "size=1024" in body
    assert session.calls[0]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"


def test_permission_spellings_are_normalised_and_each_grant_is_keyed_by_the_grantees_primary_address():
    client, _s, _c = client_with(response(200, {"offset": 0, "size": 250, "total": 3, "permissions": [
        {"emailAddress": "Joe@Example.com", "permissionType": "fullAccess"},
        {"emailAddress": "ann@example.com", "permissionType": "SendAs"},
        {"emailAddress": "bob@example.com", "permissionType": "Both"}]}))
    assert client.get_permissions("example.com", "jane") == [
        {"grantee": "joe@example.com", "permission": "full_access", "key": "joe@example.com"},
        {"grantee": "ann@example.com", "permission": "send_as", "key": "ann@example.com"},
        {"grantee": "bob@example.com", "permission": "both", "key": "bob@example.com"}]


def test_a_grantee_resolves_to_its_mailboxs_primary_address_with_one_show():
    robert = dict(SEED_SHOW, name="bob", emailAddressList=[{"address": "Robert@Example.com", "replyTo": True},
                                                           {"address": "bob@example.com", "replyTo": False}])
    client, session, _c = client_with(response(200, robert))
    assert client.resolve_grantee("example.com", "bob@example.com") == {"key": "robert@example.com",
                                                                        "address": "robert@example.com"}
    assert [path for _m, path, _q in routes(session)] == ["me/domains/example.com/ex/mailboxes/bob"]


def test_a_missing_grantee_is_none_and_a_grantee_in_an_unknown_domain_is_an_error():
    client, session, _c = client_with(response(404, NOT_FOUND), response(200, ONE_MAILBOX))
    assert client.resolve_grantee("example.com", "nobody@example.com") is None
    assert [path for _m, path, _q in routes(session)] == ["me/domains/example.com/ex/mailboxes/nobody",
                                                          "me/domains/example.com/ex/mailboxes"]  # + the domain check
    client, session, _c = client_with(response(404, NOT_FOUND), response(404, NOT_FOUND))
    with pytest.raises(UnknownScopeError, match="domain other.org is not a hosted Exchange domain of customer me"):
        client.resolve_grantee("example.com", "x@other.org")
    assert [path for _m, path, _q in routes(session)] == ["me/domains/other.org/ex/mailboxes/x",
                                                          "me/domains/other.org/ex/mailboxes"]


def test_a_grant_names_a_same_domain_grantee_by_name_and_others_by_address():
    client, session, _c = client_with(response(200), response(200), response(200))
    client.set_permission("example.com", "jane", {"key": "bob@example.com", "address": "bob@example.com"}, "both", None)
    client.set_permission("example.com", "jane", {"key": "x@other.org", "address": "x@other.org"}, "send_as",
                          "full_access")
    client.revoke_permission("example.com", "jane", {"key": "bob@example.com", "address": "bob@example.com"}, "both")
    assert [(m, path) for m, path, _q in routes(session)] == [
        ("POST", "me/domains/example.com/ex/mailboxes/jane/permissions/bob"),
        ("PUT", "me/domains/example.com/ex/mailboxes/jane/permissions/x@other.org"),
        ("DELETE", "me/domains/example.com/ex/mailboxes/jane/permissions/bob")]
    assert [call.get("data") for call in session.calls] == ["permission=both", "permission=sendAs", None]


def test_an_ambiguous_grant_is_read_back_by_the_grantees_identity():
    # The list names the grantee by its primary address (the key), not by the address the task used.
    listed = {"offset": 0, "size": 250, "total": 1,
              "permissions": [{"emailAddress": "Robert@example.com", "permissionType": "fullAccess"}]}
    client, session, _c = client_with(requests.exceptions.ConnectionError("reset"), response(200, listed))
    client.set_permission("example.com", "jane", {"key": "robert@example.com", "address": "robert@example.com"},
                          "full_access", None)
    assert [m for m, _p, _q in routes(session)] == ["POST", "GET"]  # read back, found: not re-sent


# --- the transport as the client uses it --------------------------------------------------------


def test_a_redirect_is_never_followed_and_names_where_it_pointed():
    client, session, _c = client_with(response(302, headers={"Location": "https://elsewhere.example.net/v1/x"}))
    with pytest.raises(ProviderError) as caught:
        client.get_mailbox("example.com", "alex")
    assert str(caught.value) == ("rackspace: alex@example.com: the API redirected to https://elsewhere.example.net; not "
                                 "followed, so the credentials stay with http://127.0.0.1:1/v1 (check api_url) (HTTP 302)")
    assert len(session.calls) == 1 and session.calls[0]["allow_redirects"] is False


def test_http_429_is_waited_out_for_its_retry_after_and_sent_again():
    client, session, clock = client_with(response(429, headers={"Retry-After": "7"}), response(200, SEED_SHOW))
    assert client.get_mailbox("apidomain92.com", "apiexmailbox90")["display_name"] == "API Test"
    assert len(session.calls) == 2 and clock.sleeps == [7.0]


@pytest.mark.parametrize("failure", [response(500, "<html>oops</html>", reason="Internal Server Error"),
                                     requests.exceptions.ChunkedEncodingError("cut off"),
                                     requests.exceptions.ContentDecodingError("garbled")])
def test_a_500_or_a_cut_off_answer_is_transient_for_a_read(failure):
    client, session, clock = client_with(failure, response(200, SEED_SHOW))
    assert client.get_mailbox("apidomain92.com", "apiexmailbox90")["name"] == "apiexmailbox90"
    assert len(session.calls) == 2 and len(clock.sleeps) == 1


def test_a_500_on_a_create_is_read_back_not_re_sent():
    client, session, _c = client_with(response(500, "oops"), response(200, dict(SEED_SHOW, name="alex")))
    client.create_mailbox("example.com", "alex", {"display_name": "Alex", "size": 1024}, "Pw-0f-alex!")
    assert [(m, path) for m, path, _q in routes(session)] == [("POST", "me/domains/example.com/ex/mailboxes/alex"),
                                                              ("GET", "me/domains/example.com/ex/mailboxes/alex")]


def test_reads_that_keep_failing_give_up_with_the_reason():
    client, session, _c = client_with(*[requests.exceptions.ChunkedEncodingError("cut")] * 3)
    with pytest.raises(RetryExhaustedError, match="gave up after 2 retries: the answer from http://127.0.0.1:1 was cut "
                                                  "off or garbled"):
        client.get_mailbox("example.com", "alex")
    assert len(session.calls) == 3


@pytest.mark.parametrize("url", ["127.0.0.1:8080/v1", "ftp://api.example.com", "https://", "https://api.example.com:x/v1",
                                 "https://api example.com"])
def test_a_malformed_api_url_is_refused_before_any_request(url):
    with pytest.raises(InvalidInputError, match="is not an http\\(s\\) URL with a host"):
        rackspace.RackspaceClient(dict(PARAMS, api_url=url))


@pytest.mark.parametrize("account", ["me/../other", "12a", "../me", " "])
def test_an_account_that_is_no_customer_number_is_refused_before_any_request(account):
    with pytest.raises(InvalidInputError, match='account must be a Rackspace customer number or "me"'):
        rackspace.RackspaceClient(dict(PARAMS, account=account))


def test_an_unset_account_is_the_callers_own():
    assert rackspace.RackspaceClient(dict(PARAMS, account="")).account == "me"
    assert rackspace.RackspaceClient(dict(PARAMS, account=" 123 ")).account == "123"


# --- answers read defensively --------------------------------------------------------------------


@pytest.mark.parametrize("answer, message", [
    (response(200, "<html><body>Sign in</body></html>", {"Content-Type": "text/html"}),
     "answered HTTP 200 with something that is not JSON (Content-Type text/html)"),
    (response(200, [SEED_SHOW]), "the answer gave a list where the mailbox should be an object"),
    (response(200, dict(SEED_SHOW, size="big")), "the answer gave a text where size should be a number"),
    (response(200, dict(SEED_SHOW, emailAddressList={"address": "x"})),
     "the answer gave an object where emailAddressList should be a list"),
    (response(200, dict(SEED_SHOW, contactInfo=["x"])), "the answer gave a list where contactInfo should be an object"),
    (response(200, dict(SEED_SHOW, hasActiveSyncMobileService="maybe")),
     "the answer gave a text where hasActiveSyncMobileService should be true or false"),
])
def test_an_answer_of_the_wrong_shape_is_an_unexpected_answer_never_a_crash(answer, message):
    client, _s, _c = client_with(answer)
    with pytest.raises(UnexpectedAnswer) as caught:
        client.get_mailbox("apidomain92.com", "apiexmailbox90")
    assert isinstance(caught.value, ProviderError) and message in str(caught.value)


@pytest.mark.parametrize("page, message", [
    ({"offset": 0, "total": 1, "permissions": {"emailAddress": "a@b.com"}}, "permissions should be a list"),
    ({"offset": 0, "total": 1, "permissions": [["a@b.com", "both"]]}, "a permission entry should be an object"),
    ({"offset": 0, "total": 1, "permissions": [{"permissionType": "both"}]}, "emailAddress should be a non-empty text"),
    ([], "a page of permissions should be an object"),
])
def test_a_permission_list_of_the_wrong_shape_is_an_unexpected_answer(page, message):
    client, _s, _c = client_with(response(200, page))
    with pytest.raises(UnexpectedAnswer, match=message):
        client.get_permissions("example.com", "jane")


# --- checks made before any request ---------------------------------------------------------------


@pytest.mark.parametrize("password, phrase", [
    ("Sh0rt!x", "be at least 8 characters long"),
    ("alllowercase1", "contain 3 of: upper-case letters, lower-case letters, digits, symbols"),
    ("ALLUPPER!!!!", "contain 3 of"),
    ("Xalex.smith9!", "not contain the mailbox name or display name"),
    ("Qz9!alex smith", "not contain the mailbox name or display name"),
])
def test_rackspace_password_rules_are_checked_without_a_request(password, phrase):
    client, session, _c = client_with()
    with pytest.raises(InvalidInputError) as caught:
        client.check_password(password, "alex.smith", "example.com", "Alex Smith")
    text = str(caught.value)
    assert "Rackspace password rules" in text and phrase in text and password not in text
    client.check_password("Qz9!longer-pw", "alex.smith", "example.com", "Alex Smith")
    assert session.calls == []


@pytest.mark.parametrize("check, value, message", [
    ("check_name", "../alex", "invalid mailbox name '../alex'"),
    ("check_name", "alex.", "invalid mailbox name 'alex.'"),
    ("check_name", "a..b", "invalid mailbox name 'a..b'"),
    ("check_name", "x" * 65, "invalid mailbox name"),
    ("check_domain", "example", "invalid domain 'example'"),
    ("check_domain", "exa mple.com", "invalid domain 'exa mple.com'"),
    ("check_address", "a/b@example.com", "invalid e-mail address 'a/b@example.com'"),
    ("check_address", "a%2f@example.com", "invalid e-mail address 'a%2f@example.com'"),
    ("check_address", "a@b", "invalid e-mail address 'a@b'"),
])
def test_names_are_validated_before_they_reach_a_url(check, value, message):
    client, session, _c = client_with()
    with pytest.raises(InvalidInputError, match="^rackspace: " + re.escape(message)):
        getattr(client, check)(value)
    assert session.calls == []


def test_valid_names_pass_and_domains_and_addresses_come_back_lower_cased():
    client, _s, _c = client_with()
    assert client.check_name("Alex.Smith_2-x") == "Alex.Smith_2-x"
    assert client.check_domain("Example.COM") == "example.com"
    assert client.check_address("Alex.Smith+news@Example.COM") == "alex.smith+news@example.com"
    assert client.check_grantee("bob", "example.com") == "bob@example.com"
    assert client.check_grantee("Bob@Other.ORG", "example.com") == "bob@other.org"


# --- pacing ------------------------------------------------------------------------------------------


def test_the_client_paces_itself_inside_the_documented_limits_by_default():
    client, _s, _c = client_with()
    assert client.transport.pacer.limits == {"read": 60, "write": 30}
    assert client.transport.pacer.window > 60.0
    options = dict(PARAMS, max_reads_per_minute=10, max_writes_per_minute=5, rate_window=30.0)
    pacer = rackspace.RackspaceClient(options).transport.pacer
    assert pacer.limits == {"read": 10, "write": 5} and 30.0 < pacer.window < 31.0


def test_the_61st_read_of_a_minute_waits_for_the_window():
    client, session, clock = client_with(*[response(200, SEED_SHOW)] * 61)
    for _read in range(60):
        client.get_mailbox("apidomain92.com", "apiexmailbox90")
    assert clock.sleeps == []
    client.get_mailbox("apidomain92.com", "apiexmailbox90")
    assert len(session.calls) == 61 and len(clock.sleeps) == 1 and 60.0 < clock.sleeps[0] <= 61.5


def test_writes_are_paced_apart_from_reads():
    client, session, clock = client_with(*[response(200)] * 31)
    for number in range(31):
        client.update_mailbox("example.com", "alex", {"display_name": "A%d" % number}, None, None)
    assert len(session.calls) == 31 and len(clock.sleeps) == 1 and clock.sleeps[0] > 60.0


# --- mailbox_permission over this client: grants matched by the grantee's mailbox ---------------------------------


def permission_params(**overrides):
    base = dict(domain="example.com", mailbox="jane", grantee="bob", permission="full_access", state="present")
    base.update(overrides)
    return base


ROBERT = dict(SEED_SHOW, name="bob", emailAddressList=[{"address": "robert@example.com", "replyTo": True},
                                                       {"address": "bob@example.com", "replyTo": False}])
GRANTED_TO_ROBERT = {"offset": 0, "size": 250, "total": 1,
                     "permissions": [{"emailAddress": "Robert@example.com", "permissionType": "fullAccess"}]}


def test_a_grant_listed_under_the_grantees_primary_address_is_the_same_grant():
    # The task names bob by name; the list names his grant by his primary address robert@: one show tells.
    client, session, _c = client_with(response(200, GRANTED_TO_ROBERT), response(200, ROBERT))
    outcome = permission.run(client, permission_params(), False)
    assert outcome.changed is False
    assert outcome.result == {"permission": "full_access", "grantee": "robert@example.com",
                              "permissions": [{"grantee": "robert@example.com", "permission": "full_access"}]}
    assert routes(session) == [
        ("GET", "me/domains/example.com/ex/mailboxes/jane/permissions", {"size": 250, "offset": 0}),
        ("GET", "me/domains/example.com/ex/mailboxes/bob", None)]


def test_a_grant_found_by_its_text_costs_no_grantee_read_and_an_upgrade_edits_it():
    client, session, _c = client_with(response(200, GRANTED_TO_ROBERT), response(200))
    outcome = permission.run(client, permission_params(grantee="Robert@Example.com", permission="both"), False)
    assert outcome.changed is True and outcome.result["permissions"] == [{"grantee": "robert@example.com",
                                                                          "permission": "both"}]
    assert [(m, path) for m, path, _q in routes(session)] == [
        ("GET", "me/domains/example.com/ex/mailboxes/jane/permissions"),
        ("PUT", "me/domains/example.com/ex/mailboxes/jane/permissions/robert")]
    assert session.calls[1]["data"] == "permission=both"


def test_revoking_by_another_address_of_the_grantee_revokes_its_grant():
    client, session, _c = client_with(response(200, GRANTED_TO_ROBERT), response(200, ROBERT), response(200))
    outcome = permission.run(client, permission_params(state="absent", permission=None), False)
    assert outcome.changed is True and outcome.result["permissions"] == []
    assert [(m, path) for m, path, _q in routes(session)][-1] == (
        "DELETE", "me/domains/example.com/ex/mailboxes/jane/permissions/robert")


def test_check_mode_matches_the_same_way_and_sends_no_write():
    client, session, _c = client_with(response(200, GRANTED_TO_ROBERT), response(200, ROBERT))
    outcome = permission.run(client, permission_params(permission="both"), True)
    assert outcome.changed is True and outcome.diff["before"] == {"grantee": "robert@example.com",
                                                                  "permission": "full_access"}
    assert [m for m, _p, _q in routes(session)] == ["GET", "GET"]
