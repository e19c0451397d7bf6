"""Hostway client: password rules, mapping both ways, paging and redirects, error mapping, the scope check.

Most tests drive the client against the Hostway sandbox over real HTTP; a scripted session
stands in where the sandbox cannot misbehave on purpose (foreign redirects, paging loops).
"""

import json

import pytest
import requests

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    InvalidInputError,
    NotSupportedError,
    ProviderError,
    RetryExhaustedError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.payload import UnexpectedAnswer
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers import hostway
from tests.sandbox import start_sandbox
from tests.unit.plugins.fakes import response, script_transport

USER, SECRET, ACCOUNT, DOMAIN = "hw-user", "Hw-Secret-42", "acct-7", "example.com"
PASSWORD = "Zq9!mailbox"
FIXTURE = {
    "account": ACCOUNT,
    "domains": {
        DOMAIN: {"usernames": [
            {"username": "bob", "quota": 1024, "displayName": "Bob Jones", "title": "Dev", "city": "Chicago",
             "activeSyncEnabled": True, "popEnabled": False, "forwards": ["boss@example.org"]},
            {"username": "legacy", "platform": "mfg2", "quota": 10},
        ]},
        "disabled.com": {"disabled": True, "usernames": [{"username": "frozen"}]},
    },
}
# The exchange GET as the provider's page documents it (values filled in).
SEED_EXCHANGE = {
    "maxReceiveSize": "10 MB", "maxSendSize": "10 MB", "primarySmtpAddress": "Alex.Smith@Example.com",
    "quota": "2048", "recipientLimits": "100", "totalItemSize": "1 MB", "activeSyncEnabled": True,
    "imapEnabled": False, "mapiEnabled": True, "owaEnabled": True, "popEnabled": False, "city": "Chicago",
    "company": "ACME", "country": "US", "department": "Sales", "emailAddress": "alex.smith@example.com",
    "fax": "1", "homePhone": "2", "mobilePhone": "3", "postalCode": "60001", "state": "IL", "street": "1 Main St",
    "title": "President", "displayName": "Alex Smith", "firstName": "Alex", "lastName": "Smith",
    "username": "alex.smith", "domain": "example.com",
}


def params(**overrides):
    base = dict(provider="hostway", api_url="http://127.0.0.1:1", api_user=USER, api_secret=SECRET, account=ACCOUNT,
                validate_certs=True, timeout=5.0, retries=1, retry_budget=5.0)
    base.update(overrides)
    return base


@pytest.fixture
def sandbox():
    sb = start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=FIXTURE)
    yield sb
    sb.stop()


def client_for(sb, **overrides):
    return hostway.HostwayClient(params(api_url=sb.url, **overrides))


def scripted(*script, **overrides):
    client = hostway.HostwayClient(params(**overrides))
    session, _clock = script_transport(client, *script)
    return client, session


def requests_of(sb):
    return [(entry["method"], entry["path"], entry["status"]) for entry in sb.requests()]


# ----- checks before any request ------------------------------------------------------------

@pytest.mark.parametrize("password, phrase", [
    ("Sh0rt!", "8 to 128 characters"),
    ("x" * 120 + "Aa1!" + "y" * 10, "8 to 128 characters"),
    ("1Abcdef!", "start with a letter"),
    ("Abcdefg!", "contain a digit"),
    ("abcdefg1!", "upper-case letter"),
    ("ABCDEFG1!", "lower-case letter"),
    ("Abcdefg1_", "special character"),
    ("Password1!", '"pass", "123" or "abc"'),
    ("ABCdef12!", '"pass", "123" or "abc"'),
    ("Xalex.smith1!", "not contain the mailbox name"),
    ("Ale-x9!yz", "first 3 characters of the mailbox name"),
    ("Zq9!Example", 'not contain the domain name "example"'),
])
def test_password_rules_are_checked_before_sending(password, phrase):
    # The modules call check_password before any request; the constructor no longer looks at the password.
    client, session = scripted(name="alex.smith", domain=DOMAIN, password=password)
    with pytest.raises(InvalidInputError) as caught:
        client.check_password(password, "alex.smith", DOMAIN, "Alex Smith")
    message = str(caught.value)
    assert phrase in message and "Hostway password rules" in message
    assert message.startswith("hostway: alex.smith@example.com: password does not meet the Hostway password rules")
    assert password not in message
    assert session.calls == []


def test_a_good_password_passes_and_nothing_is_sent_by_the_constructor():
    client, session = scripted(name="alex.smith", domain=DOMAIN, password=PASSWORD)
    assert hostway.password_problems(PASSWORD, "alex.smith", DOMAIN) == []
    client.check_password(PASSWORD, "alex.smith", DOMAIN)
    assert session.calls == [] and client.transport.session is session


@pytest.mark.parametrize("missing", ["account", "api_user", "api_secret"])
def test_connection_settings_are_required(missing):
    with pytest.raises(InvalidInputError, match="%s is required for provider hostway" % missing):
        hostway.HostwayClient(params(**{missing: None}))


def test_default_url_and_basic_auth():
    client = hostway.HostwayClient(params(api_url=None))
    assert client.base_url == "https://api.hostway.com"
    assert client.transport.session.auth == (USER, SECRET)
    assert client._url("a.com", "usernames", "x y") == "https://api.hostway.com/accounts/acct-7/email/a.com/usernames/x%20y"


def test_read_only_and_unsupported_options_fail_clearly():
    client = hostway.HostwayClient(params())
    with pytest.raises(NotSupportedError, match="option size not supported by provider hostway: its API only reads it"):
        client.reject_unsupported({"size": 10}, ["size", "city"], client.mailbox_options)
    with pytest.raises(NotSupportedError, match="options owa, pop3 not supported .* only reads them"):
        client.reject_unsupported({"owa": True, "pop3": False}, ["owa", "pop3"], client.mailbox_options)
    with pytest.raises(NotSupportedError, match="option enabled not supported by provider hostway"):
        client.reject_unsupported({"enabled": False}, ["enabled"], client.mailbox_options)
    client.reject_unsupported({"city": "X", "forwarding_address": ""}, ["city", "forwarding_address"],
                              client.mailbox_options)


@pytest.mark.parametrize("feature, module", [("alias", "mailbox_alias"), ("permission", "mailbox_permission"),
                                             ("activesync", "activesync_service")])
def test_unsupported_modules(feature, module):
    with pytest.raises(NotSupportedError, match="%s is not supported by provider hostway" % module):
        hostway.HostwayClient(params()).require_feature(feature, module)


def test_invalid_names_and_filters_fail_before_sending():
    client, session = scripted()
    # Names are checked (by the modules, through the client) before any request.
    with pytest.raises(InvalidInputError, match="^hostway: invalid mailbox name 'bad name': use 1 to 64 letters"):
        client.check_name("bad name")
    with pytest.raises(InvalidInputError, match="^hostway: invalid domain 'example'"):
        client.check_domain("example")
    with pytest.raises(InvalidInputError, match="^hostway: invalid forwarding_address 'boss@example.org/x'"):
        client.check_address("boss@example.org/x", "forwarding_address")
    with pytest.raises(InvalidInputError, match="can never match"):
        client.list_mailboxes(DOMAIN, {"name_startswith": "a*b"})
    with pytest.raises(NotSupportedError, match="fields=activesync,current_usage is not supported"):
        client.list_mailboxes(DOMAIN, {"fields": ["size", "current_usage", "activesync"]})
    assert session.calls == []


# ----- mapping ------------------------------------------------------------------------------

def test_exchange_body_maps_to_the_canonical_record():
    record = hostway.from_exchange(SEED_EXCHANGE, "alex.smith", DOMAIN, "a@b.com")
    assert record["name"] == "alex.smith" and record["address"] == "alex.smith@example.com"
    assert record["primary_address"] == "alex.smith@example.com"
    assert record["size"] == 2048 and record["activesync"] is True
    assert (record["owa"], record["mapi"], record["imap4"], record["pop3"]) == (True, True, False, False)
    assert record["job_title"] == "President" and record["state_province"] == "IL"
    assert record["postal_code"] == "60001" and record["home_phone"] == "2" and record["mobile_phone"] == "3"
    assert record["display_name"] == "Alex Smith" and record["forwarding_address"] == "a@b.com"
    assert "password" not in record
    # The API cannot read aliases: unknown, so left out - never "no aliases".
    assert "aliases" not in record and "aliases" in hostway.HostwayClient.unreadable
    assert "forwarding_address" not in hostway.from_exchange(SEED_EXCHANGE, "alex.smith", DOMAIN)


@pytest.mark.parametrize("member, value, message", [
    ("quota", "2 GB", "the answer gave a text where quota should be a number"),
    ("quota", None, "the answer gave nothing where quota should be a number"),
    ("quota", [2048], "the answer gave a list where quota should be a number"),
    ("activeSyncEnabled", None, "the answer gave nothing where activeSyncEnabled should be true or false"),
    ("owaEnabled", "yes", "the answer gave a text where owaEnabled should be true or false"),
    ("primarySmtpAddress", "", "the answer gave a text where primarySmtpAddress should be a non-empty text"),
])
def test_a_malformed_or_missing_read_back_is_an_error_naming_the_field_and_the_mailbox(member, value, message):
    body = dict(SEED_EXCHANGE)
    if value is None:
        del body[member]
    else:
        body[member] = value
    with pytest.raises(UnexpectedAnswer) as raised:
        hostway.from_exchange(body, "alex.smith", DOMAIN)
    assert message in str(raised.value) and "hostway: alex.smith@example.com:" in str(raised.value)


def test_a_malformed_quota_in_a_listing_is_an_error_naming_the_field():
    client, _session = scripted(response(200, {"list": [{"username": "alex", "quota": "unlimited"}], "links": []}))
    with pytest.raises(UnexpectedAnswer) as raised:
        client.list_mailboxes(DOMAIN, {"fields": ["size"]})
    assert "mailboxes of example.com: the answer gave a text where quota should be a number" in str(raised.value)


def test_create_sends_wire_names_and_the_password(sandbox):
    client = client_for(sandbox, name="alex", domain=DOMAIN, password=PASSWORD)
    client.create_mailbox(DOMAIN, "alex", {"display_name": "Alex", "job_title": "Dev", "state_province": "IL",
                                           "forwarding_address": "Boss@Example.org"}, PASSWORD)
    put, post = sandbox.writes()
    assert (put["method"], put["path"]) == ("PUT", "/accounts/acct-7/email/example.com/usernames/alex/exchange")
    assert json.loads(put["body"]) == {"displayName": "Alex", "title": "Dev", "state": "IL", "password": PASSWORD}
    assert put["headers"]["content-type"] == "application/json; charset=UTF-8"
    assert (post["method"], json.loads(post["body"])) == ("POST", {"targets": [{"target": "boss@example.org"}]})
    record = client.get_mailbox(DOMAIN, "alex")
    assert record["job_title"] == "Dev" and record["forwarding_address"] == "boss@example.org"


def test_update_sends_every_held_value_with_the_changes(sandbox):
    client = client_for(sandbox)
    before = client.get_mailbox(DOMAIN, "bob")
    sandbox.clear_log()
    client.update_mailbox(DOMAIN, "bob", {"city": "Boston", "department": "R&D"}, None, before)
    (put,) = sandbox.writes()
    assert json.loads(put["body"]) == {"displayName": "Bob Jones", "title": "Dev", "city": "Boston",
                                       "department": "R&D"}
    after = client.get_mailbox(DOMAIN, "bob")
    assert (after["city"], after["department"], after["job_title"]) == ("Boston", "R&D", "Dev")


def test_update_of_forwarding_alone_sends_no_put(sandbox):
    client = client_for(sandbox, forwarding_address="new@example.org")
    before = client.get_mailbox(DOMAIN, "bob")
    assert before["forwarding_address"] == "boss@example.org"
    sandbox.clear_log()
    client.update_mailbox(DOMAIN, "bob", {"forwarding_address": "new@example.org"}, None, before)
    assert [(w["method"], w["path"].rsplit("/", 1)[1]) for w in sandbox.writes()] == [("POST", "forwards")]


def test_turning_forwarding_off_deletes_each_target(sandbox):
    sandbox.state.username(DOMAIN, "bob").forwards = ["a@x.org", "b@y.org"]
    client = client_for(sandbox, forwarding_address="")
    before = client.get_mailbox(DOMAIN, "bob")
    assert before["forwarding_address"] == "a@x.org,b@y.org"
    sandbox.clear_log()
    client.update_mailbox(DOMAIN, "bob", {"forwarding_address": ""}, None, before)
    assert [(w["method"], w["path"].rsplit("/", 1)[1]) for w in sandbox.writes()] == [
        ("DELETE", "a@x.org"), ("DELETE", "b@y.org")]
    assert client.get_mailbox(DOMAIN, "bob")["forwarding_address"] == ""


def test_password_update_is_sent_again(sandbox):
    client = client_for(sandbox, name="bob", domain=DOMAIN, password="Nw9!passw0rd")
    before = client.get_mailbox(DOMAIN, "bob")
    client.update_mailbox(DOMAIN, "bob", {}, "Nw9!passw0rd", before)
    assert json.loads(sandbox.writes()[0]["body"])["password"] == "Nw9!passw0rd"


# ----- request economy and the non-Exchange check ------------------------------------------

UNMANAGED_FORWARDING = ("display_name", "city", "primary_address")  # what exchange_mailbox asks without forwarding


def test_an_unmanaged_forward_is_not_read(sandbox):
    client = client_for(sandbox)
    record = client.get_mailbox(DOMAIN, "bob", need=UNMANAGED_FORWARDING)  # exchange_mailbox without forwarding_address
    assert record["display_name"] == "Bob Jones" and "forwarding_address" not in record
    assert requests_of(sandbox) == [("GET", "/accounts/acct-7/email/example.com/usernames/bob/exchange", 200)]
    sandbox.clear_log()
    record = client.get_mailbox(DOMAIN, "bob", need=UNMANAGED_FORWARDING + ("forwarding_address",))
    assert record["forwarding_address"] == "boss@example.org"
    assert [path.rsplit("/", 1)[1] for _m, path, _s in requests_of(sandbox)] == ["exchange", "forwards"]


def test_absent_costs_two_gets_and_non_exchange_is_refused(sandbox):
    client = client_for(sandbox)
    assert client.get_mailbox(DOMAIN, "nobody", need=UNMANAGED_FORWARDING) is None
    # exchange 404, then one read of the username list filtered to the name (an empty list: absent)
    assert [(entry["method"], entry["path"], entry["query"], entry["status"]) for entry in sandbox.requests()] == [
        ("GET", "/accounts/acct-7/email/example.com/usernames/nobody/exchange", {}, 404),
        ("GET", "/accounts/acct-7/email/example.com/usernames",
         {"filterUsername": "nobody", "page": "1", "pageSize": "1"}, 200)]
    sandbox.clear_log()
    with pytest.raises(InvalidInputError) as caught:
        client.get_mailbox(DOMAIN, "legacy")
    assert str(caught.value) == ("hostway: legacy@example.com: the name is taken by a username that is not a hosted "
                                 "Exchange mailbox (for example one of the older Hostway mail platform); it is left "
                                 "untouched")
    assert [(entry["path"].rsplit("/", 1)[1], entry["query"]) for entry in sandbox.requests()] == [
        ("exchange", {}), ("usernames", {"filterUsername": "legacy", "page": "1", "pageSize": "1"})]
    assert sandbox.writes() == []


@pytest.mark.parametrize("domain, account", [("nowhere.net", ACCOUNT), (DOMAIN, "other-acct")])
def test_an_unknown_domain_or_account_is_an_error_never_absent(sandbox, domain, account):
    client = client_for(sandbox, account=account)
    with pytest.raises(UnknownScopeError) as caught:
        client.get_mailbox(domain, "alex")
    assert str(caught.value) == ("hostway: domain %s is not an e-mail domain of Hostway account %s (check domain and "
                                 "account) (HTTP 404)" % (domain, account))
    assert [(entry["path"].rsplit("/", 1)[1], entry["status"]) for entry in sandbox.requests()] == [
        ("exchange", 404), ("usernames", 404)]
    with pytest.raises(UnknownScopeError, match="domain %s is not an e-mail domain of Hostway account %s"
                       % (domain, account)):
        client.list_mailboxes(domain, {})
    assert sandbox.writes() == []


def test_the_filtered_list_is_read_for_the_name_only_and_the_exact_name_decides():
    # A list answering another username (a provider that filters loosely) is not the name: absent.
    client, session = scripted(response(404, {"itemNotFound": {"message": "Resource not found"}}),
                               response(200, {"list": [{"username": "alexander"}], "links": []}))
    assert client.get_mailbox(DOMAIN, "alex", need=()) is None
    assert session.calls[1]["params"] == {"filterUsername": "alex", "page": 1, "pageSize": 1}
    client, session = scripted(response(404, {"itemNotFound": {"message": "Resource not found"}}),
                               response(200, {"list": [{"username": "ALEX"}], "links": []}))
    with pytest.raises(InvalidInputError, match="not a hosted Exchange mailbox"):
        client.get_mailbox(DOMAIN, "alex", need=())


def test_delete_and_a_repeated_delete(sandbox):
    client = client_for(sandbox)
    client.delete_mailbox(DOMAIN, "bob", {})
    assert sandbox.state.username(DOMAIN, "bob") is None
    client.delete_mailbox(DOMAIN, "bob", {})  # already gone: what the task asks for
    assert [w["status"] for w in sandbox.writes()] == [204, 404]


# ----- listing: paging, 303, filters --------------------------------------------------------

def generated_sandbox(count, **extra):
    fixture = {"account": ACCOUNT, "domains": {DOMAIN: {"generate": dict(prefix="user", count=count, **extra)}}}
    return start_sandbox("hostway", api_user=USER, api_secret=SECRET, fixture=fixture)


def test_1000_mailboxes_cost_three_page_reads_following_next_links():
    with generated_sandbox(1000, quota=512) as sb:
        records = client_for(sb).list_mailboxes(DOMAIN, {"fields": ["size"]})
        log = sb.requests()
    assert len(records) == 1000 and records[0] == {"name": "user0001", "domain": DOMAIN,
                                                   "address": "user0001@example.com", "size": 512}
    assert [(entry["query"]["page"], entry["query"]["pageSize"], entry["status"]) for entry in log] == [
        ("1", "400", 200), ("2", "400", 200), ("3", "400", 200)]


def test_an_unpaged_list_follows_the_303_with_credentials_on_the_same_host():
    with generated_sandbox(150) as sb:
        client = client_for(sb)
        entries = client._all_pages(client._url(DOMAIN, "usernames"), "list", None)
        log = sb.requests()
    assert len(entries) == 150
    assert [(entry["status"], entry["query"].get("page"), entry["query"].get("pageSize")) for entry in log] == [
        (303, None, None), (200, "1", "100"), (200, "2", "100")]
    assert all(entry["headers"]["authorization"].startswith("Basic ") for entry in log)


def test_filters_and_sorting_map_to_list_parameters(sandbox):
    client = client_for(sandbox, sort_order="desc")
    client.list_mailboxes(DOMAIN, {"name_startswith": "bo", "sort_by": "size"})
    client.list_mailboxes(DOMAIN, {"name_contains": "eg", "details": True})
    client.list_mailboxes(DOMAIN, {"include": ["activesync"], "sort_by": "name"})
    queries = [entry["query"] for entry in sandbox.requests()]
    assert queries[0] == {"page": "1", "pageSize": "400", "filterUsername": "bo*", "sortField": "quota",
                          "sortOrder": "desc"}
    assert queries[1] == {"page": "1", "pageSize": "400", "filterUsername": "*eg*", "details": "1"}
    assert queries[2] == {"page": "1", "pageSize": "400", "sortField": "username", "sortOrder": "desc",
                          "details": "1"}


def test_a_listed_non_exchange_name_reads_as_absent_for_details(sandbox):
    client = client_for(sandbox)
    names = [record["name"] for record in client.list_mailboxes(DOMAIN, {"details": True})]
    assert names == ["bob", "legacy"]
    sandbox.clear_log()
    assert client.get_mailbox(DOMAIN, "legacy") is None  # the listing showed it exists: no second GET
    assert len(sandbox.requests()) == 1
    # A listed mailbox's full read is one GET (details costs one more read per mailbox).
    record = client.get_mailbox(DOMAIN, "bob")
    assert record["display_name"] == "Bob Jones" and "forwarding_address" not in record
    assert len(sandbox.requests()) == 2


def test_a_redirect_or_next_link_to_another_host_is_not_followed():
    client, session = scripted(response(303, headers={"Location": "https://evil.example.net/steal"}))
    with pytest.raises(ProviderError, match="evil.example.net.*not following it with the credentials"):
        client.list_mailboxes(DOMAIN, {})
    assert len(session.calls) == 1

    page = {"list": [{"username": "a"}], "links": [{"rel": "next", "href": "http://127.0.0.2:1/accounts/x"}]}
    client, session = scripted(response(200, page))
    with pytest.raises(ProviderError, match="not following"):
        client.list_mailboxes(DOMAIN, {})
    assert len(session.calls) == 1


def test_paging_that_goes_in_a_circle_stops():
    page_2 = "/accounts/acct-7/email/example.com/usernames?page=2&pageSize=400"
    looping = {"list": [{"username": "a"}], "links": [{"rel": "next", "href": page_2}]}
    client, session = scripted(*[response(200, looping) for _page in range(2)])
    for item in session.script:
        item.url = "http://127.0.0.1:1/accounts/acct-7/email/example.com/usernames?page=1&pageSize=400"
    with pytest.raises(ProviderError, match="paging went in a circle"):
        client.list_mailboxes(DOMAIN, {})
    assert len(session.calls) == 2  # page 1, then page 2 pointing at itself


def test_redirect_chains_are_bounded():
    hop = "http://127.0.0.1:1/accounts/acct-7/email/example.com/usernames?page=1&pageSize=100"
    hops = [response(303, headers={"Location": hop}) for _hop in range(hostway.MAX_REDIRECTS + 1)]
    client, session = scripted(*hops)
    for item in session.script:
        item.url = hop
    with pytest.raises(ProviderError, match="more than 5 redirects"):
        client.list_mailboxes(DOMAIN, {})
    assert all(call["allow_redirects"] is False for call in session.calls)


# ----- errors -------------------------------------------------------------------------------

def test_field_keyed_validation_errors_name_the_fields():
    client, _session = scripted(response(400, {"password": "Required", "title": "Longer than maximum length 64"}))
    with pytest.raises(ProviderError) as caught:
        client._put_exchange(DOMAIN, "alex", {"job_title": "x"}, None)
    text = str(caught.value)
    assert "password: Required" in text and "title (option job_title): Longer than maximum length 64" in text
    assert caught.value.status == 400


def test_sandbox_errors_map_to_clear_failures(sandbox):
    with pytest.raises(ProviderError) as caught:
        client_for(sandbox).delete_mailbox("disabled.com", "frozen", {})
    assert caught.value.status == 409 and "The domain is disabled." in str(caught.value)

    with pytest.raises(ProviderError, match="delivery loop") as caught:
        client_for(sandbox)._set_forwarding(DOMAIN, "bob", "bob@example.com", [])
    assert caught.value.status == 409

    with pytest.raises(UnknownScopeError) as caught:
        client_for(sandbox).list_mailboxes("nowhere.net", {})
    assert caught.value.status == 404 and caught.value.provider_message == "Resource not found"
    assert "domain nowhere.net is not an e-mail domain of Hostway account acct-7" in str(caught.value)

    with pytest.raises(AuthError) as caught:
        client_for(sandbox, api_secret="Wrong-Secret-1").get_mailbox(DOMAIN, "bob")
    message = str(caught.value)
    assert caught.value.status == 401 and "check api_user and api_secret" in message
    assert "Wrong-Secret-1" not in message and SECRET not in message
    assert len(sandbox.requests()) == 4  # one request each: nothing was retried


def test_a_reused_password_is_refused_by_the_provider(sandbox):
    client = client_for(sandbox)
    client.create_mailbox(DOMAIN, "alex", {}, PASSWORD)
    with pytest.raises(ProviderError, match="password: Password must not be used more than once"):
        client.update_mailbox(DOMAIN, "alex", {}, PASSWORD, client.get_mailbox(DOMAIN, "alex"))


def test_403_is_an_auth_error_and_other_statuses_a_provider_error():
    client, session = scripted(response(403, {"forbidden": {"message": "No access", "code": 403}}))
    with pytest.raises(AuthError, match="permission refused .*account.*No access"):
        client.get_mailbox(DOMAIN, "bob")
    assert len(session.calls) == 1
    client, session = scripted(response(418, "boom", reason="I'm a teapot"))
    with pytest.raises(ProviderError, match="GET refused: boom") as caught:
        client.get_mailbox(DOMAIN, "bob")
    assert caught.value.status == 418 and len(session.calls) == 1


def test_500_is_transient_for_a_read_and_gives_up_after_the_retries():
    client, session = scripted(response(500, "boom"), response(200, SEED_EXCHANGE), response(200, {"targets": []}))
    assert client.get_mailbox(DOMAIN, "alex.smith")["display_name"] == "Alex Smith"
    assert len(session.calls) == 3
    client, session = scripted(response(500, "boom"), response(500, "boom"))
    with pytest.raises(RetryExhaustedError, match="gave up after 1 retries: transient HTTP 500"):
        client.get_mailbox(DOMAIN, "bob")
    assert len(session.calls) == 2


def test_429_is_waited_out_for_its_retry_after():
    client = hostway.HostwayClient(params())
    session, clock = script_transport(client, response(429, headers={"Retry-After": "3"}), response(200, SEED_EXCHANGE))
    client.get_mailbox(DOMAIN, "alex.smith", need=())
    assert len(session.calls) == 2 and clock.sleeps == [3.0]


def test_a_redirected_write_is_not_followed():
    client, session = scripted(response(307, headers={"Location": "http://127.0.0.1:1/accounts/acct-7/email/x"}))
    with pytest.raises(ProviderError) as caught:
        client.update_mailbox(DOMAIN, "bob", {"city": "Oslo"}, None, {"display_name": "Bob"})
    assert str(caught.value) == ("hostway: bob@example.com: the API redirected a PUT; not followed (check api_url) "
                                 "(HTTP 307)")
    assert len(session.calls) == 1 and session.calls[0]["allow_redirects"] is False


@pytest.mark.parametrize("url", ["api.hostway.com", "https://", "file:///etc/passwd", "https://api.hostway.com:port"])
def test_a_malformed_api_url_is_refused_before_any_request(url):
    with pytest.raises(InvalidInputError, match="^hostway: api_url .* is not an http\\(s\\) URL with a host"):
        hostway.HostwayClient(params(api_url=url))


@pytest.mark.parametrize("answer, message", [
    (response(200, "<html>Parked domain</html>", {"Content-Type": "text/html"}),
     "answered HTTP 200 with something that is not JSON (Content-Type text/html)"),
    (response(200, [SEED_EXCHANGE]), "the answer gave a list where the exchange resource should be an object"),
    (response(200, dict(SEED_EXCHANGE, displayName={"first": "A"})),
     "the answer gave an object where displayName should be a text"),
    (response(200, dict(SEED_EXCHANGE, owaEnabled="sometimes")),
     "the answer gave a text where owaEnabled should be true or false"),
])
def test_an_answer_of_the_wrong_shape_is_an_unexpected_answer(answer, message):
    client, _session = scripted(answer)
    with pytest.raises(UnexpectedAnswer) as caught:
        client.get_mailbox(DOMAIN, "alex.smith", need=())
    assert isinstance(caught.value, ProviderError) and message in str(caught.value)


@pytest.mark.parametrize("page, message", [
    ({"list": {"username": "a"}}, "list should be a list"),
    ({"list": [["a"]]}, "a username list entry should be an object"),
    ({"list": [{"username": ["a"]}]}, "username should be a text"),
    ({"list": [], "links": "next"}, "links should be a list"),
])
def test_a_username_list_of_the_wrong_shape_is_an_unexpected_answer(page, message):
    client, _session = scripted(response(200, page))
    with pytest.raises(UnexpectedAnswer, match=message):
        client.list_mailboxes(DOMAIN, {})


# ----- retry policy on writes ---------------------------------------------------------------

def test_a_create_that_failed_ambiguously_is_read_back_not_re_sent():
    client, session = scripted(requests.exceptions.ConnectionError("reset"), response(200, SEED_EXCHANGE))
    client.create_mailbox(DOMAIN, "alex", {"display_name": "Alex"}, PASSWORD)
    assert [(call["method"], call["url"].rsplit("/", 2)[1:]) for call in session.calls] == [
        ("PUT", ["alex", "exchange"]), ("GET", ["alex", "exchange"])]


def test_a_create_not_found_on_read_back_is_sent_again():
    client, session = scripted(requests.exceptions.ConnectionError("reset"), response(404, {"itemNotFound": {}}),
                               response(201, SEED_EXCHANGE))
    client.create_mailbox(DOMAIN, "alex", {}, PASSWORD)
    assert [call["method"] for call in session.calls] == ["PUT", "GET", "PUT"]


def test_an_ambiguous_password_change_is_reported_not_re_sent():
    client, session = scripted(requests.exceptions.ConnectionError("reset"))
    with pytest.raises(RetryExhaustedError, match="failed ambiguously .* not re-sent"):
        client.update_mailbox(DOMAIN, "bob", {}, PASSWORD, {"display_name": "Bob"})
    assert len(session.calls) == 1


def test_an_update_without_password_is_re_sent_like_a_read():
    client, session = scripted(requests.exceptions.ConnectionError("reset"), response(200, SEED_EXCHANGE))
    client.update_mailbox(DOMAIN, "bob", {"city": "Oslo"}, None, {"display_name": "Bob"})
    assert [call["method"] for call in session.calls] == ["PUT", "PUT"]
    assert json.loads(session.calls[1]["data"]) == {"displayName": "Bob", "city": "Oslo"}
