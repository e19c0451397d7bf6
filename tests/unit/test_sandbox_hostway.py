"""The Hostway sandbox, driven over real HTTP on 127.0.0.1."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.sandbox import start_sandbox
from tests.sandbox.hostway import password_problem

USER = "hw-user"
SECRET = "hw-secret"
ACCOUNT = "test-account123"
DOMAIN = "test.com"
GOOD_PASSWORD = "Zq9!mailbox"
TIMEOUT = 10
REPO_ROOT = Path(__file__).resolve().parents[2]

FIXTURE = {
    "account": ACCOUNT,
    "domains": {
        DOMAIN: {
            "aliases": ["test-alias.com"],
            "usernames": [
                {"username": "test", "master": 1, "quota": 10, "trialType": "premium", "trialExpiration": "2018-10-28",
                 "displayName": "Test User", "firstName": "Test", "activeSyncEnabled": True},
                {"username": "exchange-mbox", "quota": 2048, "forwards": ["boss@elsewhere.org"]},
                {"username": "mfg-mbox", "platform": "mfg2", "quota": 15, "webmailAccess": "premium"},
            ],
        },
        "disabled.com": {"disabled": True, "usernames": [{"username": "frozen", "quota": 5}]},
    },
}


class Client:
    """HTTP Basic + JSON, as the collection's client speaks to Hostway."""

    def __init__(self, base, user=USER, secret=SECRET, account=ACCOUNT):
        self.base = "%s/accounts/%s/" % (base, account)
        self.session = requests.Session()
        self.session.auth = (user, secret)

    def call(self, method, route, body=None, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        headers = {"Accept": "application/json"}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            headers["Content-Type"] = "application/json; charset=UTF-8"
        headers.update(kwargs.pop("headers", {}))
        return self.session.request(method, self.base + route, headers=headers, timeout=TIMEOUT, **kwargs)

    def get(self, route, **kwargs):
        return self.call("GET", route, **kwargs)


@pytest.fixture
def sandbox():
    sb = start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=FIXTURE)
    yield sb
    sb.stop()


@pytest.fixture
def client(sandbox):
    return Client(sandbox.url)


def rels(body):
    return {link["rel"]: link["href"] for link in body["links"]}


def generated(count, **fields):
    return {"account": ACCOUNT, "domains": {DOMAIN: {"generate": dict(fields, prefix="user", count=count)}}}


# ----- authentication and routing ------------------------------------------------------

@pytest.mark.parametrize("auth", [(USER, "wrong"), ("someone", SECRET), None], ids=["secret", "user", "none"])
def test_bad_or_missing_credentials_are_401(sandbox, auth):
    response = requests.get(sandbox.url + "/accounts/%s/email/%s/usernames" % (ACCOUNT, DOMAIN), auth=auth,
                            timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.json()["unauthorized"]["code"] == 401


def test_unknown_account_domain_username_are_404_item_not_found(sandbox, client):
    for response in (Client(sandbox.url, account="other").get("email/%s/usernames" % DOMAIN),
                     client.get("email/nowhere.net/usernames"),
                     client.get("email/%s/usernames/ghost" % DOMAIN),
                     client.get("email/%s/usernames/ghost/exchange" % DOMAIN)):
        assert response.status_code == 404
        assert response.json()["itemNotFound"]["message"] == "Resource not found"
        assert response.json()["itemNotFound"]["code"] == 404


def test_wrong_method_is_405_and_json_only_is_406(client):
    response = client.call("PATCH", "email/%s/usernames/test/exchange" % DOMAIN, body={})
    assert response.status_code == 405 and "PUT" in response.headers["Allow"]
    assert client.get("email/%s/usernames" % DOMAIN, headers={"Accept": "text/xml"}).status_code == 406


# ----- the seed pages ------------------------------------------------------------------------

def test_list_matches_the_seed_page(sandbox, client):
    body = client.get("email/%s/usernames" % DOMAIN).json()
    assert body["list"][0] == {"username": "exchange-mbox", "master": 0, "quota": 2048}
    assert {"username": "test", "master": 1, "quota": 10, "trialType": "premium",
            "trialExpiration": "2018-10-28"} in body["list"]
    # Unpaged: only a self link, with the trailing slash the seed shows.
    assert body["links"] == [{"href": "%s/accounts/%s/email/%s/usernames/" % (sandbox.url, ACCOUNT, DOMAIN),
                              "rel": "self"}]


def test_details_adds_webmail_access(client):
    rows = client.get("email/%s/usernames" % DOMAIN, params={"details": 1}).json()["list"]
    assert {row["username"]: row["webmailAccess"] for row in rows} == {
        "exchange-mbox": "standard", "mfg-mbox": "premium", "test": "standard"}


def test_username_detail_links_match_the_seed(sandbox, client):
    base = "%s/accounts/%s/email/%s/usernames" % (sandbox.url, ACCOUNT, DOMAIN)
    assert client.get("email/%s/usernames/exchange-mbox" % DOMAIN).json() == {
        "exchange": [{"href": base + "/exchange-mbox/exchange/", "rel": "related"}],
        "secrets": [{"href": base + "/exchange-mbox/secrets/", "rel": "related"}],
        "links": [{"href": base + "/exchange-mbox/", "rel": "self"}],
    }
    assert client.get("email/%s/usernames/mfg-mbox" % DOMAIN).json() == {
        "mailbox": [{"href": base + "/mfg-mbox/mailbox/", "rel": "related"}],
        "secrets": [{"href": base + "/mfg-mbox/secrets/", "rel": "related"}],
        "links": [{"href": base + "/mfg-mbox/", "rel": "self"}],
    }
    # The links lead somewhere, with or without the trailing slash.
    assert client.get("email/%s/usernames/mfg-mbox/mailbox/" % DOMAIN).json()["quota"] == 15
    assert client.get("email/%s/usernames/exchange-mbox/exchange/" % DOMAIN).status_code == 200
    assert client.get("email/%s/usernames/mfg-mbox/exchange" % DOMAIN).status_code == 404


# ----- paging -----------------------------------------------------------------------------

def test_paginated_request_matches_the_seed():
    with start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=generated(5)) as sb:
        body = Client(sb.url).get("email/%s/usernames" % DOMAIN, params={"page": 2, "pageSize": 2}).json()
    assert [row["username"] for row in body["list"]] == ["user3", "user4"]
    base = "%s/accounts/%s/email/%s/usernames" % (sb.url, ACCOUNT, DOMAIN)
    assert body["links"] == [
        {"href": base + "?page=2&pageSize=2", "rel": "self"},
        {"href": base + "?page=1&pageSize=2", "rel": "first"},
        {"href": base + "?page=1&pageSize=2", "rel": "previous"},
        {"href": base + "?page=3&pageSize=2", "rel": "next"},
        {"href": base + "?page=3&pageSize=2", "rel": "last"},
    ]
    assert body["totalCount"] == 5


def test_first_page_has_no_first_previous_and_last_page_no_next_last():
    with start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=generated(5)) as sb:
        client = Client(sb.url)
        first = client.get("email/%s/usernames" % DOMAIN, params={"page": 1, "pageSize": 2}).json()
        last = client.get("email/%s/usernames" % DOMAIN, params={"page": 3, "pageSize": 2}).json()
    assert set(rels(first)) == {"self", "next", "last"}
    assert set(rels(last)) == {"self", "first", "previous"}
    assert [row["username"] for row in last["list"]] == ["user5"]


def test_unpaged_list_over_100_redirects_to_page_size_100():
    with start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=generated(101)) as sb:
        client = Client(sb.url)
        response = client.get("email/%s/usernames" % DOMAIN, params={"filterUsername": "user*"})
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/usernames?page=1&pageSize=100&filterUsername=user%2A")
        followed = client.get("email/%s/usernames" % DOMAIN, params={"filterUsername": "user*"},
                              allow_redirects=True)
        assert len(followed.json()["list"]) == 100 and "next" in rels(followed.json())
        assert [(r["status"], r["query"].get("pageSize")) for r in sb.requests()] == [
            (303, None), (303, None), (200, "100")]
        # Exactly 100 is not "over 100".
        sb.state.domain(DOMAIN).usernames.pop("user101")
        assert client.get("email/%s/usernames" % DOMAIN).status_code == 200


def test_page_size_over_400_redirects_to_400_at_the_same_first_entry():
    with start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=generated(1000)) as sb:
        client = Client(sb.url)
        response = client.get("email/%s/usernames" % DOMAIN, params={"page": 2, "pageSize": 500})
        assert response.status_code == 303
        assert response.headers["Location"].endswith("?page=2&pageSize=400")
        page = client.get("email/%s/usernames" % DOMAIN, params={"page": 1, "pageSize": 400}).json()
        assert len(page["list"]) == 400 and page["totalCount"] == 1000
        assert rels(page)["last"].endswith("page=3&pageSize=400")


@pytest.mark.parametrize("params, field", [
    ({"page": 1}, "pageSize"), ({"pageSize": 10}, "page"), ({"page": 0, "pageSize": 10}, "page"),
    ({"page": 1, "pageSize": "x"}, "pageSize"), ({"sortField": "size"}, "sortField"),
    ({"sortOrder": "up"}, "sortOrder"), ({"details": 2}, "details"), ({"limit": 5}, "limit"),
])
def test_bad_list_parameters_are_400_keyed_by_field(client, params, field):
    response = client.get("email/%s/usernames" % DOMAIN, params=params)
    assert response.status_code == 400 and field in response.json()


def test_filter_username_wildcards_and_sorting(client):
    def names(**params):
        return [row["username"] for row in client.get("email/%s/usernames" % DOMAIN, params=params).json()["list"]]

    assert names(filterUsername="test") == ["test"]
    assert names(filterUsername="TE*") == ["test"]
    assert names(filterUsername="*mbox") == ["exchange-mbox", "mfg-mbox"]
    assert names(filterUsername="*g*") == ["exchange-mbox", "mfg-mbox"]
    assert names(filterUsername="*ch*") == ["exchange-mbox"]
    assert names(sortOrder="desc") == ["test", "mfg-mbox", "exchange-mbox"]
    assert names(sortField="quota") == ["test", "mfg-mbox", "exchange-mbox"]
    assert names(sortField="quota", sortOrder="desc") == ["exchange-mbox", "mfg-mbox", "test"]


def test_conditional_get_answers_304(client):
    first = client.get("email/%s/usernames/test/exchange" % DOMAIN)
    again = client.get("email/%s/usernames/test/exchange" % DOMAIN, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""


# ----- exchange mailboxes ----------------------------------------------------------------

def test_exchange_resource_carries_details_and_contact_fields(client):
    body = client.get("email/%s/usernames/test/exchange" % DOMAIN).json()
    assert body["primarySmtpAddress"] == "test@test.com" and body["quota"] == "10"
    assert body["activeSyncEnabled"] is True and body["owaEnabled"] is True
    assert body["displayName"] == "Test User" and body["firstName"] == "Test" and body["title"] == ""


def test_put_creates_then_updates_and_delete_removes(sandbox, client):
    route = "email/%s/usernames/alex.smith/exchange" % DOMAIN
    created = client.call("PUT", route, body={"password": GOOD_PASSWORD, "displayName": "Alex Smith", "title": "Dev"})
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/usernames/alex.smith/exchange/")
    assert created.json()["displayName"] == "Alex Smith"
    updated = client.call("PUT", route, body={"department": "Finance"})
    assert updated.status_code == 200
    body = client.get(route).json()
    assert (body["displayName"], body["title"], body["department"]) == ("Alex Smith", "Dev", "Finance")
    assert "exchange" in client.get("email/%s/usernames/alex.smith" % DOMAIN).json()
    assert client.call("DELETE", route).status_code == 204
    assert client.get(route).status_code == 404
    assert client.call("DELETE", route).status_code == 404
    assert "alex.smith" not in sandbox.state.domain(DOMAIN).usernames


def test_put_validation_errors_are_keyed_by_field(client):
    route = "email/%s/usernames/new/exchange" % DOMAIN
    assert client.call("PUT", route, body={"displayName": "New"}).json() == {"password": "Required"}
    response = client.call("PUT", route, body={"password": GOOD_PASSWORD, "quota": 10, "owaEnabled": False,
                                               "nickname": "x", "city": 5})
    assert response.status_code == 400
    assert response.json() == {"quota": "Read-only", "owaEnabled": "Read-only", "nickname": "Unknown field",
                               "city": "Must be a string"}
    bad_name = client.call("PUT", "email/%s/usernames/bad%%20name/exchange" % DOMAIN, body={"password": GOOD_PASSWORD})
    assert bad_name.status_code == 400 and "mailboxName" in bad_name.json()
    not_json = client.call("PUT", route, data="password=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 400 and "body" in not_json.json()


@pytest.mark.parametrize("name, password, rule", [
    ("new", "Sh0rt!", "Minimum length 8"),
    ("new", "9abcdefG!", "Should start with a letter"),
    ("new", "Abcdefgh!", "Should have at least one digit"),
    ("new", "abcdefg1!", "Should have at least one capital letter"),
    ("new", "ABCDEFG1!", "Should have at least one lower case letter"),
    ("new", "Abcdefg1_", "Should contain at least one special character"),
    ("new", "Passw0rd!x", "Should not start with the phrase 'pass'"),
    ("new", "AbcDef1!xy", "Should not start with 'abc'"),
    ("new", "Hi-new1!xyz", "Must not contain the username"),
    ("newton", "Newt0wn!xy", "Must not start with the first 3 letters from the username"),
    ("new", "Zq9!test-ok", "Must not contain second-level domain"),
])
def test_password_rules(client, name, password, rule):
    response = client.call("PUT", "email/%s/usernames/%s/exchange" % (DOMAIN, name), body={"password": password})
    assert response.status_code == 400 and response.json() == {"password": rule}
    assert password_problem(GOOD_PASSWORD, name, DOMAIN) is None


def test_a_password_is_used_only_once(client):
    route = "email/%s/usernames/alex/exchange" % DOMAIN
    assert client.call("PUT", route, body={"password": GOOD_PASSWORD}).status_code == 201
    again = client.call("PUT", route, body={"password": GOOD_PASSWORD})
    assert again.status_code == 400 and again.json() == {"password": "Password must not be used more than once"}
    assert client.call("PUT", route, body={"password": "Other9!pw"}).status_code == 200


def test_a_non_exchange_username_is_not_overwritten(sandbox, client):
    response = client.call("PUT", "email/%s/usernames/mfg-mbox/exchange" % DOMAIN, body={"password": GOOD_PASSWORD})
    assert response.status_code == 409 and "conflict" in response.json()
    assert sandbox.state.username(DOMAIN, "mfg-mbox").platform == "mfg2"


def test_a_disabled_domain_answers_409_to_writes(client):
    route = "email/disabled.com/usernames/frozen/exchange"
    assert client.get(route).status_code == 200
    for response in (client.call("DELETE", route),
                     client.call("PUT", route, body={"displayName": "x"}),
                     client.call("POST", "email/disabled.com/usernames/frozen/forwards",
                                 body={"targets": [{"target": "a@b.com"}]})):
        assert response.status_code == 409
        assert response.json() == {"conflict": {"message": "The domain is disabled.", "code": 409}}


# ----- forwards ---------------------------------------------------------------------------

def test_forwards_set_replace_read_and_delete(sandbox, client):
    route = "email/%s/usernames/test/forwards" % DOMAIN
    body = client.get(route).json()
    assert body["targets"] == []
    assert body["links"] == [{"location": "%s/accounts/%s/email/%s/usernames/test/forwards/"
                              % (sandbox.url, ACCOUNT, DOMAIN), "rel": "self"}]
    assert client.call("POST", route, body={"targets": [{"target": "A@x.org"}, {"target": "b@y.org"}]}).status_code == 204
    assert client.get(route).json()["targets"] == [{"target": "a@x.org"}, {"target": "b@y.org"}]
    assert client.call("POST", route, body={"targets": [{"target": "c@z.org"}]}).status_code == 204
    assert client.get(route).json()["targets"] == [{"target": "c@z.org"}]  # POST sets the whole list
    assert client.call("DELETE", route + "/c%40z.org").status_code == 204
    assert client.get(route).json()["targets"] == []
    assert client.call("DELETE", route + "/c@z.org").status_code == 404


def test_forwards_validation_and_delivery_loops(client):
    route = "email/%s/usernames/test/forwards" % DOMAIN
    assert client.call("POST", route, body={}).json() == {"targets": "Required"}
    assert client.call("POST", route, body={"targets": []}).json() == {"targets": "Shorter than minimum length 1"}
    assert client.call("POST", route, body={"targets": [{"target": "nope"}]}).status_code == 400
    for target in ("test@test.com", "TEST@test-alias.com"):
        response = client.call("POST", route, body={"targets": [{"target": target}]})
        assert response.status_code == 409 and "loop" in response.json()["conflict"]["message"]
    assert client.call("POST", route, body={"targets": [{"target": "test@other.org"}]}).status_code == 204


# ----- domain aliases, older family's e-mail aliases -----------------------------------------

def test_domain_aliases_and_older_family_email_alias(sandbox, client):
    assert client.get("email/%s/aliases" % DOMAIN).json()["list"] == ["test-alias.com"]
    route = "exchange/%s/emailAliases" % DOMAIN
    created = client.call("POST", route, body={"emailalias": {"username": "test", "emailForward": "t@test.com"}})
    assert created.status_code == 201
    assert created.headers["Location"].endswith("/accounts/%s/exchange/%s/emailAliases/t@test.com" % (ACCOUNT, DOMAIN))
    again = client.call("POST", route, body={"emailalias": {"username": "test", "emailForward": "t@test.com"}})
    assert again.status_code == 409
    assert client.call("POST", route, body={"emailalias": {"username": "mfg-mbox", "emailForward": "m@test.com"}}
                       ).status_code == 404
    assert client.call("POST", route, body={}).json() == {"emailalias": "Required"}
    assert sandbox.state.domain(DOMAIN).email_aliases == {"t@test.com": "test"}


# ----- framework: log, fixtures, CLI registration ---------------------------------------------

def test_request_log_records_every_request(sandbox, client):
    client.get("email/%s/usernames/test/exchange" % DOMAIN)
    client.call("PUT", "email/%s/usernames/test/exchange" % DOMAIN, body={"city": "Chicago"})
    log = sandbox.requests()
    assert [(entry["method"], entry["status"]) for entry in log] == [("GET", 200), ("PUT", 200)]
    assert json.loads(log[1]["body"]) == {"city": "Chicago"}
    assert sandbox.writes() == log[1:]


def test_fixture_from_a_yaml_file_and_defaults(tmp_path):
    path = tmp_path / "hostway.yml"
    path.write_text("account: acme\ndomains:\n  acme.org:\n    usernames:\n      - {username: ann, quota: 50}\n")
    with start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=str(path)) as sb:
        assert Client(sb.url, account="acme").get("email/acme.org/usernames").json()["list"][0]["quota"] == 50
    with start_sandbox("hostway", api_user=USER, api_secret=SECRET) as sb:
        assert sb.state.account == "test-account123" and sb.state.domain("example.com") is not None


@pytest.mark.parametrize("fixture", [
    {"domains": {DOMAIN: {"usernames": [{"username": "bad name"}]}}},
    {"domains": {DOMAIN: {"usernames": [{"username": "a"}, {"username": "A"}]}}},
    {"domains": {DOMAIN: {"usernames": [{"username": "a", "platform": "imap"}]}}},
    {"domains": {DOMAIN: {"usernames": [{"username": "a", "colour": "red"}]}}},
    {"domains": {DOMAIN: {"mailboxes": []}}},
    {"customer": "1"},
])
def test_bad_fixtures_are_refused(fixture):
    with pytest.raises(ValueError):
        start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=fixture)


def test_credentials_are_required():
    with pytest.raises(ValueError, match="api_user and api_secret"):
        start_sandbox("hostway", api_user=USER, api_secret=None)


def test_cli_serves_hostway(tmp_path):
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps(FIXTURE))
    proc = subprocess.Popen([sys.executable, "-m", "tests.sandbox", "hostway", "--api-user", USER, "--api-secret",
                             SECRET, "--fixture", str(fixture)], stdout=subprocess.PIPE, text=True, cwd=str(REPO_ROOT))
    try:
        line = proc.stdout.readline()
        assert line.startswith("sandbox hostway listening on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        assert Client(url).get("email/%s/usernames/test" % DOMAIN).status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=TIMEOUT) == 0
