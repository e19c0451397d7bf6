"""The Rackspace sandbox, driven over real HTTP on 127.0.0.1."""

import json
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from urllib3.util import SKIP_HEADER

REPO_ROOT = Path(__file__).resolve().parents[2]
# tests/unit has no package marker, so make `tests.sandbox` importable however pytest is run.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.sandbox import start_sandbox  # noqa: E402
from tests.sandbox.rackspace import compute_signature, signature_header  # noqa: E402
from tests.unit.sandbox_cli import run_cli  # noqa: E402

USER_KEY = "test-user-key"
SECRET_KEY = "test-secret-key"
USER_AGENT = "mailops-tests/1.0"
DOMAIN = "example.com"
OTHER_DOMAIN = "example.org"
GOOD_PASSWORD = "Tr1cky!pass"
TIMEOUT = 10
THROTTLED = {"unauthorizedFault": {"message": "Exceeded request limits", "code": 403}}

BASE_FIXTURE = {
    "customer": "987654",
    "domains": {
        DOMAIN: {"mailboxes": [
            {"name": "alice", "displayName": "Alice Example", "size": 2048},
            {"name": "bob", "displayName": "Bob Example", "size": 1024, "enabled": False},
            {"name": "carol", "displayName": "Carol Example"},
        ]},
        OTHER_DOMAIN: {"mailboxes": [{"name": "dave", "displayName": "Dave Other"}]},
    },
}
UNLIMITED = {"GET": None, "WRITE": None}
# urllib3 adds its own User-Agent unless told to skip it.
NO_USER_AGENT = {"User-Agent": SKIP_HEADER}


class Client:
    """A minimal signed client, as the collection's own would be."""

    def __init__(self, api_url, customer="me", domain=DOMAIN, user_key=USER_KEY, secret_key=SECRET_KEY):
        self.base = "%s/customers/%s/domains/%s/" % (api_url, customer, domain)
        self.user_key = user_key
        self.secret_key = secret_key
        self.session = requests.Session()

    def headers(self, accept="application/json", when=None):
        return {
            "User-Agent": USER_AGENT,
            "Accept": accept,
            "X-Api-Signature": signature_header(self.user_key, self.secret_key, USER_AGENT, when),
        }

    def call(self, method, route, data=None, headers=None, **kwargs):
        merged = self.headers()
        merged.update(headers or {})
        return self.session.request(method, self.base + route, data=data, headers=merged,
                                    timeout=TIMEOUT, **kwargs)

    def get(self, route, **kwargs):
        return self.call("GET", route, **kwargs)

    def post(self, route, data=None, **kwargs):
        return self.call("POST", route, data=data, **kwargs)

    def put(self, route, data=None, **kwargs):
        return self.call("PUT", route, data=data, **kwargs)

    def delete(self, route, **kwargs):
        return self.call("DELETE", route, **kwargs)


def fault(response, status, wrapper=None):
    """Assert an error answer's shape and return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert len(body) == 1
    (key, value), = body.items()
    if wrapper:
        assert key == wrapper
    assert value["code"] == status
    assert response.headers["x-error-message"] == value["message"]
    return value["message"]


@pytest.fixture
def sandbox():
    sb = start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY, fixture=BASE_FIXTURE,
                       limits=UNLIMITED)
    yield sb
    sb.stop()


@pytest.fixture
def client(sandbox):
    return Client(sandbox.url)


def new_mailbox(client, name, **fields):
    data = {"displayName": "New User", "password": GOOD_PASSWORD, "size": "1024"}
    data.update(fields)
    return client.post("ex/mailboxes/" + name, data=data)


# ----- authentication --------------------------------------------------------------------

def test_signature_known_answer_vector():
    assert compute_signature(
        "eGbq9/2hcZsRlr1JV1Pi", "Rackspace Management Interface", "20010308143725",
        "QHOvchm/40czXhJ1OxfxK7jDHr3t",
    ) == "46VIwd66mOFGG8IkbgnLlXnfnkU="


def test_signature_header_shape():
    key, timestamp, digest = signature_header("k", "s", "ua", when=0).split(":")
    assert (key, timestamp) == ("k", "19700101000000")
    assert len(digest) == 28


def test_good_signature_is_accepted(client):
    response = client.get("ex/mailboxes")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("customer", ["me", "987654"])
def test_customer_me_and_number_are_the_same_account(sandbox, customer):
    assert Client(sandbox.url, customer=customer).get("ex/mailboxes/alice").json()["name"] == "alice"


@pytest.mark.parametrize("signature", [
    lambda: signature_header("other-key", SECRET_KEY, USER_AGENT),
    lambda: signature_header(USER_KEY, "wrong-secret", USER_AGENT),
    lambda: signature_header(USER_KEY, SECRET_KEY, USER_AGENT, time.time() - 6 * 60),
    lambda: signature_header(USER_KEY, SECRET_KEY, USER_AGENT, time.time() + 6 * 60),
    lambda: signature_header(USER_KEY, SECRET_KEY, "another agent"),
    lambda: "%s:2024-01-01:%s" % (USER_KEY, "x" * 28),
    lambda: "garbage",
], ids=["wrong-key", "wrong-secret", "stale", "future", "agent-mismatch", "bad-timestamp", "malformed"])
def test_bad_signatures_are_refused_with_403(client, signature):
    response = client.get("ex/mailboxes", headers={"X-Api-Signature": signature()})
    message = fault(response, 403, "unauthorizedFault")
    assert message != "Exceeded request limits"


def test_missing_signature_is_refused(client):
    response = client.get("ex/mailboxes", headers={"X-Api-Signature": None})
    fault(response, 403, "unauthorizedFault")


def test_signature_within_five_minutes_is_accepted(client):
    response = client.get("ex/mailboxes", headers=client.headers(when=time.time() - 4 * 60))
    assert response.status_code == 200


def test_missing_user_agent_is_a_bad_request(client):
    response = client.get("ex/mailboxes", headers=NO_USER_AGENT)
    assert "User-Agent" in fault(response, 400, "badRequestFault")


def test_get_needs_an_accept_header(client):
    fault(client.get("ex/mailboxes", headers={"Accept": None}), 406)
    fault(client.get("ex/mailboxes", headers={"Accept": "*/*"}), 406)


def test_text_xml_answers_minimal_xml(client):
    response = client.get("ex/mailboxes/alice", headers={"Accept": "text/xml"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert '<mailbox xmlns:xsi=' in response.text
    assert "<emailAddressList><emailAddress><address>alice@example.com</address>" in response.text


def test_unknown_customer_domain_and_mailbox_are_404(sandbox, client):
    assert "111111" in fault(Client(sandbox.url, customer="111111").get("ex/mailboxes"), 404, "itemNotFoundFault")
    assert "nowhere.net" in fault(Client(sandbox.url, domain="nowhere.net").get("ex/mailboxes"), 404)
    assert "ghost" in fault(client.get("ex/mailboxes/ghost"), 404, "itemNotFoundFault")
    assert "ghost" in fault(client.put("ex/mailboxes/ghost", data={"city": "X"}), 404)
    assert "ghost" in fault(client.delete("ex/mailboxes/ghost"), 404)


def test_wrong_method_is_405(client):
    response = client.call("PATCH", "ex/mailboxes/alice", data={"city": "X"})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


# ----- request bodies --------------------------------------------------------------------

def test_non_form_write_is_rejected(sandbox, client):
    response = client.post("ex/mailboxes/erin", json={"displayName": "Erin", "password": GOOD_PASSWORD, "size": 1})
    assert "x-www-form-urlencoded" in fault(response, 415)
    assert sandbox.state.mailbox(DOMAIN, "erin") is None


def test_boolean_fields_take_true_or_false_in_any_case(client):
    assert client.put("ex/mailboxes/alice", data={"isHidden": "TRUE", "enabled": "False"}).status_code == 200
    shown = client.get("ex/mailboxes/alice").json()
    assert (shown["isHidden"], shown["enabled"]) == (True, False)
    message = fault(client.put("ex/mailboxes/alice", data={"isHidden": "yes"}), 400, "validationFault")
    assert "isHidden" in message


# ----- mailboxes -------------------------------------------------------------------------

ALL_FIELDS = {
    "displayName": "Erin Example", "size": "4096", "isHidden": "true", "isPublicFolderAdmin": "true",
    "firstName": "Erin", "lastName": "Example", "company": "ACME", "department": "R&D",
    "jobTitle": "Dev", "addressLine1": "1 Main St", "city": "Blacksburg", "state": "VA",
    "zip": "24060", "country": "USA", "businessNumber": "111", "pagerNumber": "222",
    "homeNumber": "333", "mobileNumber": "444", "faxNumber": "555", "notes": "n", "customID": "c-1",
    "emailForwardingAddress": "erin@elsewhere.net", "saveForwardedEmail": "true",
    "visibleInRackspaceEmailCompanyDirectory": "false", "enabled": "false",
}
CONTACT_KEYS = ("firstName", "lastName", "company", "department", "jobTitle", "addressLine1", "city",
                "state", "zip", "country", "businessNumber", "pagerNumber", "homeNumber",
                "mobileNumber", "faxNumber", "notes", "customID")


def test_create_show_edit_delete_round_trip(sandbox, client):
    assert new_mailbox(client, "erin", password=GOOD_PASSWORD, **ALL_FIELDS).status_code == 200
    shown = client.get("ex/mailboxes/erin").json()
    assert list(shown) == [
        "name", "displayName", "size", "currentUsage", "isHidden", "isPublicFolderAdmin", "enabled",
        "lastLogin", "contactInfo", "emailForwardingAddress", "saveForwardedEmail", "emailAddressList",
        "hasBlackBerryMobileService", "hasActiveSyncMobileService", "samAccountName",
        "visibleInRackspaceEmailCompanyDirectory",
    ]
    assert shown["contactInfo"] == {key: ALL_FIELDS[key] for key in CONTACT_KEYS}
    assert shown["size"] == 4096 and shown["currentUsage"] == 0
    assert shown["isHidden"] is True and shown["isPublicFolderAdmin"] is True and shown["enabled"] is False
    assert shown["emailForwardingAddress"] == "erin@elsewhere.net" and shown["saveForwardedEmail"] is True
    assert shown["visibleInRackspaceEmailCompanyDirectory"] is False
    assert shown["emailAddressList"] == [{"address": "erin@example.com", "replyTo": True}]
    assert shown["hasActiveSyncMobileService"] is False and shown["hasBlackBerryMobileService"] is False
    assert shown["samAccountName"].startswith("erin_") and len(shown["samAccountName"]) <= 20
    assert "password" not in shown
    assert sandbox.state.mailbox(DOMAIN, "erin").password == GOOD_PASSWORD

    assert client.put("ex/mailboxes/erin", data={"homeNumber": "8005551234", "emailForwardingAddress": ""}
                      ).status_code == 200
    edited = client.get("ex/mailboxes/erin").json()
    assert edited["contactInfo"]["homeNumber"] == "8005551234"
    assert edited["contactInfo"]["city"] == "Blacksburg"
    assert edited["emailForwardingAddress"] == ""

    assert client.put("ex/mailboxes/erin", data={"password": "N3w!Secret"}).status_code == 200
    assert sandbox.state.mailbox(DOMAIN, "erin").password == "N3w!Secret"

    assert client.delete("ex/mailboxes/erin").status_code == 200
    fault(client.get("ex/mailboxes/erin"), 404, "itemNotFoundFault")


@pytest.mark.parametrize("name, fields, message", [
    ("-leading", {}, "Invalid user name"),
    ("has space", {}, "Invalid user name"),
    ("x" * 65, {}, "Invalid user name"),
    ("erin", {"displayName": ""}, "Invalid display name"),
    ("erin", {"displayName": "   "}, "Invalid display name"),
    ("erin", {"displayName": "Erin <boss>"}, "Invalid display name"),
    ("erin", {"displayName": 'Erin "E"'}, "Invalid display name"),
    ("erin", {"displayName": "x" * 257}, "Invalid display name"),
    ("erin", {"password": "Ab1!"}, "Password must be at least 8 characters long"),
    ("erin", {"password": "alllowercase1"}, "at least 3 of"),
    ("erin", {"password": "Xerin123!"}, "must not contain the user name"),
    ("erin", {"password": "New User1!", "displayName": "New User"}, "must not contain the user name or display name"),
    ("alice", {}, "The email address alice@example.com is already in use"),
    ("ALICE", {}, "The email address ALICE@example.com is already in use"),
    ("erin", {"size": "0"}, "Invalid size"),
    ("erin", {"size": "big"}, "Invalid size"),
    ("erin", {"isHidden": "maybe"}, "isHidden"),
    ("erin", {"emailForwardingAddress": "not-an-address"}, "forwarding"),
])
def test_add_validation_messages(sandbox, client, name, fields, message):
    response = new_mailbox(client, name, **fields)
    assert message in fault(response, 400)
    assert sandbox.state.mailbox(DOMAIN, "erin") is None


def test_add_needs_required_fields(client):
    message = fault(client.post("ex/mailboxes/erin", data={"displayName": "Erin"}), 400)
    assert "password" in message and "size" in message
    assert "Missing" in fault(client.post("ex/mailboxes/erin"), 400)


def test_add_refuses_unknown_and_read_only_fields(client):
    assert "Unknown field colour" in fault(new_mailbox(client, "erin", colour="blue"), 400)
    assert "read-only" in fault(new_mailbox(client, "erin", lastLogin="now"), 400)


def test_name_already_used_as_alias_is_in_use(client):
    assert client.post("ex/mailboxes/alice/emailaddresses/erin@example.com").status_code == 200
    assert fault(new_mailbox(client, "erin"), 400) == "The email address erin@example.com is already in use"


def test_edit_validates_fields(client):
    assert "Unknown field" in fault(client.put("ex/mailboxes/alice", data={"nickname": "al"}), 400)
    assert "8 characters" in fault(client.put("ex/mailboxes/alice", data={"password": "short"}), 400)
    assert "user name" in fault(client.put("ex/mailboxes/alice", data={"password": "Alice-2024!"}), 400)
    assert "Invalid display name" in fault(client.put("ex/mailboxes/alice", data={"displayName": ""}), 400)
    assert "No fields" in fault(client.put("ex/mailboxes/alice"), 400)


def test_recently_deleted_mailbox_is_recoverable(client):
    client.post("ex/mailboxes/alice/emailaddresses/al@example.com")
    assert client.delete("ex/mailboxes/alice").status_code == 200
    response = client.get("ex/mailboxes/alice")
    fault(response, 404)
    assert response.json()["itemNotFoundFault"]["additionalData"] == {"isRecoverable": True}
    assert client.post("ex/mailboxes/alice", data={"recoverDeleted": "true"}).status_code == 200
    restored = client.get("ex/mailboxes/alice").json()
    assert restored["displayName"] == "Alice Example"
    assert restored["emailAddressList"] == [{"address": "alice@example.com", "replyTo": True}]
    fault(client.post("ex/mailboxes/zed", data={"recoverDeleted": "true"}), 404)


# ----- index, paging, filters ------------------------------------------------------------

def test_paging_through_1000_generated_mailboxes():
    fixture = {"domains": {DOMAIN: {"generate": {"prefix": "user", "count": 1000, "size": 512}}}}
    with start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY, fixture=fixture) as sb:
        client = Client(sb.url)
        names = []
        for page in range(4):
            body = client.get("ex/mailboxes", params={"size": 250, "offset": page * 250}).json()
            assert (body["offset"], body["size"], body["total"]) == (page * 250, 250, 1000)
            assert len(body["mailboxes"]) == 250
            names += [row["name"] for row in body["mailboxes"]]
        assert names == ["user%04d" % number for number in range(1, 1001)]
        tail = client.get("ex/mailboxes", params={"size": 250, "offset": 1000}).json()
        assert tail["mailboxes"] == [] and tail["total"] == 1000
        assert "250" in fault(client.get("ex/mailboxes", params={"size": 251}), 400)
        assert len(sb.requests()) == 6


def test_index_defaults_and_fields(client):
    body = client.get("ex/mailboxes").json()
    assert (body["offset"], body["size"], body["total"]) == (0, 50, 3)
    assert body["mailboxes"][0] == {"name": "alice", "displayName": "Alice Example"}
    client.post("ex/mailboxes/alice/activesyncmobileservice")
    row = client.get("ex/mailboxes", params={"fields": "hasActiveSyncMobileService,size,currentUsage"}
                     ).json()["mailboxes"][0]
    assert row == {"name": "alice", "displayName": "Alice Example", "size": 2048, "currentUsage": 0,
                   "hasActiveSyncMobileService": True}
    assert "colour" in fault(client.get("ex/mailboxes", params={"fields": "colour"}), 400)


def test_index_filters(client):
    def names(**params):
        return [row["name"] for row in client.get("ex/mailboxes", params=params).json()["mailboxes"]]

    assert names(enabled="false") == ["bob"]
    assert names(enabled="true") == ["alice", "carol"]
    assert names(startswith="CA") == ["carol"]
    assert names(contains="o") == ["bob", "carol"]
    assert "not both" in fault(client.get("ex/mailboxes", params={"startswith": "a", "contains": "b"}), 400)
    fault(client.get("ex/mailboxes", params={"enabled": "yes"}), 400)
    fault(client.get("ex/mailboxes", params={"offset": -1}), 400)


# ----- alias addresses -------------------------------------------------------------------

def test_alias_addresses(client):
    route = "ex/mailboxes/alice/emailaddresses/"
    assert client.post(route + "al@example.com").status_code == 200
    assert client.post(route + "alice@example.org").status_code == 200  # another domain of the customer
    shown = client.get("ex/mailboxes/alice").json()["emailAddressList"]
    assert shown == [
        {"address": "alice@example.com", "replyTo": True},
        {"address": "al@example.com", "replyTo": False},
        {"address": "alice@example.org", "replyTo": False},
    ]
    in_use = "The email address al@example.com is already in use"
    assert fault(client.post(route + "al@example.com"), 400) == in_use
    assert fault(client.post("ex/mailboxes/bob/emailaddresses/al@example.com"), 400) == in_use
    assert "already in use" in fault(client.post(route + "bob@example.com"), 400)
    assert "already in use" in fault(client.post(route + "dave@example.org"), 400)
    assert "foreign.net" in fault(client.post(route + "al@foreign.net"), 400)
    assert "Invalid email address" in fault(client.post(route + "no-at-sign"), 400)

    assert "nothere@example.com" in fault(client.delete(route + "nothere@example.com"), 404)
    assert "primary" in fault(client.delete(route + "alice@example.com"), 400)
    assert client.delete(route + "AL@example.com").status_code == 200
    assert len(client.get("ex/mailboxes/alice").json()["emailAddressList"]) == 2


def test_alias_address_may_be_percent_encoded(client):
    assert client.post("ex/mailboxes/alice/emailaddresses/al%40example.com").status_code == 200
    assert client.get("ex/mailboxes/alice").json()["emailAddressList"][1]["address"] == "al@example.com"


# ----- permissions -----------------------------------------------------------------------

def test_permissions(client):
    route = "ex/mailboxes/alice/permissions"
    assert client.get(route).json() == {"offset": 0, "size": 50, "total": 0, "permissions": []}
    assert client.post(route + "/bob", data={"permission": "fullaccess"}).status_code == 200
    assert client.post(route + "/dave@example.org", data={"permission": "SendAs"}).status_code == 200
    assert client.get(route).json()["permissions"] == [
        {"emailAddress": "bob@example.com", "permissionType": "fullAccess"},
        {"emailAddress": "dave@example.org", "permissionType": "sendAs"},
    ]
    assert "already" in fault(client.post(route + "/bob", data={"permission": "both"}), 400)
    assert client.put(route + "/bob@example.com", data={"permission": "BOTH"}).status_code == 200
    assert client.get(route).json()["permissions"][0]["permissionType"] == "both"

    assert "ghost" in fault(client.post(route + "/ghost", data={"permission": "both"}), 404)
    assert "Invalid permission" in fault(client.post(route + "/carol", data={"permission": "owner"}), 400)
    assert "permission" in fault(client.post(route + "/carol"), 400)
    assert "no permission" in fault(client.put(route + "/carol", data={"permission": "both"}), 404)
    assert "no permission" in fault(client.delete(route + "/carol"), 404)
    assert "itself" in fault(client.post(route + "/alice", data={"permission": "both"}), 400)

    assert client.delete(route + "/bob").status_code == 200
    assert client.get(route).json()["total"] == 1


# ----- ActiveSync ------------------------------------------------------------------------

def test_activesync(client):
    route = "ex/mailboxes/carol/activesyncmobileservice"
    missing = "User carol@example.com has no active ActiveSync Mobile Service."
    assert fault(client.get(route), 404, "itemNotFoundFault") == missing
    assert client.post(route).status_code == 200
    assert fault(client.post(route), 400) == "User carol@example.com has ActiveSync Mobile Service already"
    shown = client.get(route).json()
    assert list(shown) == ["emailAddress", "serverAddress", "userName", "domainAddress"]
    assert shown["emailAddress"] == "carol@example.com"
    assert client.get("ex/mailboxes/carol").json()["hasActiveSyncMobileService"] is True
    client.post("ex/mailboxes/alice/activesyncmobileservice")
    assert client.get("ex/activesyncmobileservices").json() == {
        "offset": 0, "size": 50, "total": 2, "mailboxes": ["alice", "carol"]}
    assert client.delete(route).status_code == 200
    assert fault(client.delete(route), 404) == missing
    assert client.get("ex/mailboxes/carol").json()["hasActiveSyncMobileService"] is False


# ----- delete cascade --------------------------------------------------------------------

def test_delete_cascades_addresses_permissions_and_activesync(sandbox, client):
    client.post("ex/mailboxes/alice/emailaddresses/al@example.com")
    client.post("ex/mailboxes/alice/activesyncmobileservice")
    client.post("ex/mailboxes/alice/permissions/bob", data={"permission": "fullAccess"})
    client.post("ex/mailboxes/carol/permissions/alice", data={"permission": "sendAs"})
    client.post("ex/mailboxes/carol/permissions/bob", data={"permission": "sendAs"})

    assert client.delete("ex/mailboxes/alice").status_code == 200
    assert client.get("ex/activesyncmobileservices").json()["mailboxes"] == []
    assert client.get("ex/mailboxes/carol/permissions").json()["permissions"] == [
        {"emailAddress": "bob@example.com", "permissionType": "sendAs"}]
    assert client.post("ex/mailboxes/bob/emailaddresses/al@example.com").status_code == 200
    assert new_mailbox(client, "alice").status_code == 200
    fresh = client.get("ex/mailboxes/alice").json()
    assert fresh["hasActiveSyncMobileService"] is False
    assert client.get("ex/mailboxes/alice/permissions").json()["total"] == 0


# ----- spam settings ---------------------------------------------------------------------

def test_spam_settings(client):
    route = "ex/mailboxes/alice/spam/settings"
    assert client.get(route).json() == {"filterLevel": "on", "sendToDomainQuarantine": False, "quarantineOwner": ""}
    assert client.put(route, data={"filterLevel": "Exclusive", "sendToDomainQuarantine": "true"}).status_code == 200
    assert client.get(route).json()["filterLevel"] == "exclusive"
    fault(client.put(route, data={"filterLevel": "max"}), 400)


# ----- throttling ------------------------------------------------------------------------

def test_throttling_with_a_tiny_window():
    # time_scale 0.05 -> 3 s windows
    with start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY, time_scale=0.05,
                       limits={"GET": 5, "WRITE": 3}) as sb:
        client = Client(sb.url, domain=DOMAIN)
        answers = [client.get("ex/mailboxes").status_code for _attempt in range(5)]
        assert answers == [200] * 5
        throttled = client.get("ex/mailboxes")
        assert throttled.status_code == 403
        assert throttled.json() == THROTTLED
        assert throttled.headers["x-error-message"] == "Exceeded request limits"
        assert "Retry-After" not in throttled.headers

        # writes have their own budget; failed calls use it up too
        assert client.delete("ex/mailboxes/ghost").status_code == 404
        assert client.delete("ex/mailboxes/ghost", headers=NO_USER_AGENT).status_code == 400
        assert new_mailbox(client, "erin").status_code == 200
        assert new_mailbox(client, "frank").json() == THROTTLED

        deadline = time.monotonic() + 10
        while new_mailbox(client, "frank").status_code == 403:
            assert time.monotonic() < deadline, "throttle window never reopened"
            time.sleep(0.25)
        assert client.get("ex/mailboxes/frank").status_code == 200


def test_default_limits_are_60_gets_per_minute():
    with start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY) as sb:
        assert sb.provider.limits == {"GET": 60, "WRITE": 30}
        client = Client(sb.url)
        statuses = [client.get("ex/mailboxes").status_code for _attempt in range(61)]
        assert statuses == [200] * 60 + [403]


def test_throttle_counts_per_api_user(sandbox):
    sandbox.provider.limits = {"GET": 2, "WRITE": 2}
    stranger = Client(sandbox.url, user_key="someone-else")
    assert [stranger.get("ex/mailboxes").status_code for _attempt in range(3)] == [403, 403, 403]
    assert stranger.get("ex/mailboxes").json() == THROTTLED
    assert Client(sandbox.url).get("ex/mailboxes").status_code == 200


# ----- request log, fixtures, lifecycle ---------------------------------------------------

def test_request_log(tmp_path):
    log_path = tmp_path / "requests.jsonl"
    with start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY, fixture=BASE_FIXTURE,
                       log_path=str(log_path)) as sb:
        client = Client(sb.url)
        client.get("ex/mailboxes", params={"size": "10"})
        client.put("ex/mailboxes/alice", data={"city": "Austin"})
        entries = sb.requests()
        assert [(e["method"], e["status"]) for e in entries] == [("GET", 200), ("PUT", 200)]
        get, put = entries
        assert set(get) == {"method", "path", "query", "headers", "body", "form", "status", "time"}
        assert get["path"] == "/v1/customers/me/domains/example.com/ex/mailboxes"
        assert get["query"] == {"size": "10"} and get["form"] is None and get["body"] == ""
        assert get["headers"]["user-agent"] == USER_AGENT
        assert put["form"] == {"city": "Austin"} and put["body"] == "city=Austin"
        assert put["time"] >= get["time"]
        assert sb.writes() == [put]
        sb.clear_log()
        assert sb.requests() == []
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [line["method"] for line in lines] == ["GET", "PUT"]


def test_fixture_loading_from_files(tmp_path):
    fixture = {
        "customer": "555",
        "domains": {DOMAIN: {"mailboxes": [
            {"name": "alice", "displayName": "Alice", "size": 100, "currentUsage": 42,
             "lastLogin": "2/12/2010 1:00:00 AM", "contactInfo": {"city": "Blacksburg"}, "lastName": "Liddell",
             "aliases": ["a@example.com"], "activeSync": True,
             "permissions": [{"grantee": "bob", "permission": "fullAccess"}]},
            {"name": "bob", "isHidden": "true"},
        ]}},
    }
    yaml = pytest.importorskip("yaml")
    for path, text in ((tmp_path / "f.json", json.dumps(fixture)), (tmp_path / "f.yaml", yaml.safe_dump(fixture))):
        path.write_text(text)
        with start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY, fixture=str(path)) as sb:
            client = Client(sb.url, customer="555")
            alice = client.get("ex/mailboxes/alice").json()
            assert (alice["size"], alice["currentUsage"], alice["lastLogin"]) == (100, 42, "2/12/2010 1:00:00 AM")
            assert alice["contactInfo"]["city"] == "Blacksburg" and alice["contactInfo"]["lastName"] == "Liddell"
            assert alice["emailAddressList"][1] == {"address": "a@example.com", "replyTo": False}
            assert alice["hasActiveSyncMobileService"] is True
            assert client.get("ex/mailboxes/alice/permissions").json()["permissions"] == [
                {"emailAddress": "bob@example.com", "permissionType": "fullAccess"}]
            assert client.get("ex/mailboxes/bob").json()["isHidden"] is True


@pytest.mark.parametrize("fixture", [
    {"domains": {DOMAIN: {"mailboxes": [{"name": "a", "colour": "red"}]}}},
    {"domains": {DOMAIN: {"mailboxes": [{"name": "a"}, {"name": "A"}]}}},
    {"domains": {DOMAIN: {"mailboxes": [{"name": "a", "permissions": [{"grantee": "zz", "permission": "both"}]}]}}},
    {"domains": {DOMAIN: {"mailboxes": [{"name": "a", "aliases": ["b@example.com"]}, {"name": "b"}]}}},
    {"customers": "1"},
])
def test_bad_fixtures_are_refused(fixture):
    with pytest.raises(ValueError):
        start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY, fixture=fixture)


def test_default_fixture_has_one_empty_domain():
    with start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY) as sb:
        assert sb.state.customer == "123456"
        assert Client(sb.url, customer="123456").get("ex/mailboxes").json()["total"] == 0


def test_state_can_be_seeded_directly(sandbox, client):
    with sandbox.lock:
        sandbox.state.add_mailbox(DOMAIN, {"name": "zoe", "displayName": "Zoe", "aliases": ["z@example.com"]})
    assert client.get("ex/mailboxes/zoe").json()["emailAddressList"][1]["address"] == "z@example.com"


def test_start_sandbox_refuses_bad_arguments():
    with pytest.raises(ValueError):
        start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY, host="0.0.0.0")
    with pytest.raises(ValueError):
        start_sandbox("nosuchprovider", api_user=USER_KEY, api_secret=SECRET_KEY)
    with pytest.raises(ValueError):
        start_sandbox("rackspace", api_user=USER_KEY)


def test_concurrent_creates_of_one_name_succeed_once(sandbox):
    statuses = []

    def create():
        statuses.append(new_mailbox(Client(sandbox.url), "race").status_code)

    threads = [threading.Thread(target=create) for _attempt in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert sorted(statuses) == [200] + [400] * 11


def test_stop_frees_the_port_even_with_open_keep_alive_connections():
    sb = start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY)
    client = Client(sb.url)
    assert client.get("ex/mailboxes").status_code == 200  # leaves a pooled connection open
    port = sb.port
    started = time.monotonic()
    sb.stop()
    sb.stop()
    assert time.monotonic() - started < 5
    with pytest.raises(requests.ConnectionError):
        requests.get(sb.url, timeout=2)
    with start_sandbox("rackspace", api_user=USER_KEY, api_secret=SECRET_KEY, port=port) as again:
        assert again.port == port


def test_cli_start_serve_and_stop(tmp_path):
    pidfile = tmp_path / "sandbox.pid"
    log_path = tmp_path / "log.jsonl"
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps(BASE_FIXTURE))
    with run_cli("rackspace", "--port", "0", "--api-user", USER_KEY, "--api-secret", SECRET_KEY,
                 "--fixture", str(fixture), "--log", str(log_path), "--time-scale", "1",
                 "--pidfile", str(pidfile)) as process:
        line = process.stdout.readline()
        assert line.startswith("sandbox rackspace listening on http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1].strip()
        assert url.endswith("/v1")
        assert int(pidfile.read_text()) == process.pid
        response = Client(url).get("ex/mailboxes/alice")
        assert response.json()["displayName"] == "Alice Example"
        assert json.loads(log_path.read_text().splitlines()[0])["status"] == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=TIMEOUT) == 0
        assert not pidfile.exists()


def test_cli_stops_on_sigint():
    with run_cli("rackspace", "--api-user", USER_KEY, "--api-secret", SECRET_KEY) as process:
        assert "listening on" in process.stdout.readline()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=TIMEOUT) == 0


def test_cli_refuses_a_non_loopback_host():
    with run_cli("rackspace", "--host", "0.0.0.0", "--api-user", USER_KEY, "--api-secret", SECRET_KEY) as process:
        assert process.wait(timeout=TIMEOUT) == 2
        assert "loopback" in process.stderr.read()
