"""Rackspace client: signature, mapping both ways, paging, error extraction."""

import re

import pytest

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import AuthError, NotFoundError, ProviderError
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
    again = rackspace.from_show(show, "apidomain92.com")
    assert dict((f, again[f]) for f in settable) == settable


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
    assert rackspace.error_message(response(500, "<html>oops</html>")) == "<html>oops</html>"


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


def test_unknown_mailbox_reads_as_absent_but_a_missing_mailbox_under_activesync_is_an_error():
    client, _s, _c = client_with(response(404, {"itemNotFoundFault": {"message": "Mailbox ghost not found"}}),
                                 response(404, {"itemNotFoundFault": {"message": "Mailbox ghost not found"}}),
                                 response(404, {"itemNotFoundFault": {
                                     "message": "User a@example.com has no active ActiveSync Mobile Service."}}))
    assert client.get_mailbox("example.com", "ghost") is None
    with pytest.raises(NotFoundError):
        client.get_activesync("example.com", "ghost")
    assert client.get_activesync("example.com", "a") is None


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


def test_permission_spellings_are_normalised():
    client, _s, _c = client_with(response(200, {"offset": 0, "size": 250, "total": 3, "permissions": [
        {"emailAddress": "Joe@Example.com", "permissionType": "fullAccess"},
        {"emailAddress": "ann@example.com", "permissionType": "SendAs"},
        {"emailAddress": "bob@example.com", "permissionType": "Both"}]}))
    assert client.get_permissions("example.com", "jane") == [
        {"grantee": "joe@example.com", "permission": "full_access"},
        {"grantee": "ann@example.com", "permission": "send_as"},
        {"grantee": "bob@example.com", "permission": "both"}]
