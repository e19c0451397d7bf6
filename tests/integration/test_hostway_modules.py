"""The modules on provider hostway: real ansible-playbook runs against the Hostway sandbox."""

import json
from pathlib import Path

import pytest

from tests.integration.plays import play, task

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "acct-hw"
DOMAIN = "example.com"
PASSWORD = "Zq9!Onboard-42"
EXCHANGE = "/accounts/%s/email/%s/usernames/%%s/exchange" % (ACCOUNT, DOMAIN)
FIXTURE = {
    "account": ACCOUNT,
    "domains": {
        DOMAIN: {"aliases": ["example-alias.com"], "usernames": [
            {"username": "bob", "quota": 1024, "displayName": "Bob Jones", "title": "Dev", "city": "Chicago",
             "activeSyncEnabled": True},
            {"username": "legacy", "platform": "mfg2", "quota": 10},
        ]},
        "frozen.com": {"disabled": True, "usernames": [{"username": "ice", "displayName": "Ice"}]},
    },
}
SANDBOX = dict(fixture=FIXTURE, account=ACCOUNT)
CREATE = dict(display_name="Alex Smith", password=PASSWORD, first_name="Alex", department="Finance", job_title="Dev")


def mailbox(name="alex", domain=DOMAIN, **fields):
    return task("mailbox", "exchange_mailbox", domain=domain, name=name, **fields)


def calls(sandbox):
    """(method, path) of every request, the path shortened to what follows the domain."""
    prefix = "/accounts/%s/email/%s/" % (ACCOUNT, DOMAIN)
    return [(r["method"], r["path"].replace(prefix, "")) for r in sandbox.requests()]


def body(entry):
    return json.loads(entry["body"])


@pytest.mark.sandbox(**SANDBOX)
def test_mailbox_rhythm_create_rerun_check_apply_remove(run_playbook, hostway_sandbox, hostway_env):
    sb = hostway_sandbox

    created = run_playbook(play(mailbox(**CREATE)), env=hostway_env, diff=True)
    assert created.rc == 0, created
    result = created["mailbox"]
    assert result["changed"] is True
    returned = result["mailbox"]
    assert returned["display_name"] == "Alex Smith" and returned["first_name"] == "Alex"
    assert returned["job_title"] == "Dev" and returned["address"] == "alex@example.com"
    assert returned["primary_address"] == "alex@example.com" and returned["size"] == 2048
    # Hostway cannot read aliases: unknown, left out - never an empty list that reads as "no aliases".
    assert "aliases" not in returned and "password" not in returned
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["password"] == "<changed>"
    # create: exchange 404, username 404 (absent, not another kind), PUT, the result's GET
    assert calls(sb) == [("GET", "usernames/alex/exchange"), ("GET", "usernames"),
                         ("PUT", "usernames/alex/exchange"), ("GET", "usernames/alex/exchange")]
    assert sb.requests()[1]["query"] == {"filterUsername": "alex", "page": "1", "pageSize": "1"}
    assert body(sb.writes()[0]) == {"displayName": "Alex Smith", "firstName": "Alex", "department": "Finance",
                                    "title": "Dev", "password": PASSWORD}
    assert PASSWORD not in created.stdout + created.stderr

    sb.clear_log()
    again = run_playbook(play(mailbox(**CREATE)), env=hostway_env)
    assert again.rc == 0, again
    assert again["mailbox"]["changed"] is False
    assert calls(sb) == [("GET", "usernames/alex/exchange")]  # unchanged: one GET of its exchange resource

    sb.clear_log()
    changed = dict(CREATE)
    changed.update(department="Sales", city="Boston")
    checked = run_playbook(play(mailbox(**changed)), env=hostway_env, check=True, diff=True)
    assert checked.rc == 0, checked
    assert checked["mailbox"]["changed"] is True
    assert checked["mailbox"]["diff"]["before"]["department"] == "Finance"
    assert checked["mailbox"]["diff"]["after"]["department"] == "Sales"
    assert checked["mailbox"]["mailbox"]["city"] == "Boston"  # the predicted record
    assert calls(sb) == [("GET", "usernames/alex/exchange")] and sb.writes() == []  # check mode: no write
    assert '-    "department": "Finance"' in checked.stdout and '+    "department": "Sales"' in checked.stdout

    sb.clear_log()
    applied = run_playbook(play(mailbox(**changed)), env=hostway_env, diff=True)
    assert applied.rc == 0, applied
    assert applied["mailbox"]["changed"] is True
    assert applied["mailbox"]["diff"] == checked["mailbox"]["diff"]  # check mode predicted exactly
    assert applied["mailbox"]["mailbox"]["department"] == "Sales" and applied["mailbox"]["mailbox"]["city"] == "Boston"
    assert calls(sb) == [("GET", "usernames/alex/exchange"), ("PUT", "usernames/alex/exchange"),
                         ("GET", "usernames/alex/exchange")]
    # The PUT carries what the mailbox holds besides the difference (replace or merge, both right).
    assert body(sb.writes()[0]) == {"displayName": "Alex Smith", "firstName": "Alex", "title": "Dev",
                                    "department": "Sales", "city": "Boston"}
    assert set(applied["mailbox"]["diff"]["after"]) == {"display_name", "first_name", "department", "job_title",
                                                        "city", "state"}

    sb.clear_log()
    removed = run_playbook(play(mailbox(state="absent")), env=hostway_env, diff=True)
    assert removed.rc == 0 and removed["mailbox"]["changed"] is True, removed
    assert removed["mailbox"]["diff"]["after"] == {"state": "absent"}
    assert calls(sb) == [("GET", "usernames/alex/exchange"), ("DELETE", "usernames/alex/exchange")]
    assert sb.state.username(DOMAIN, "alex") is None

    sb.clear_log()
    gone = run_playbook(play(mailbox(state="absent")), env=hostway_env)
    assert gone.rc == 0 and gone["mailbox"]["changed"] is False, gone
    assert sb.writes() == []


@pytest.mark.sandbox(**SANDBOX)
def test_forwarding_set_rerun_and_turn_off(run_playbook, hostway_sandbox, hostway_env):
    sb = hostway_sandbox
    on = run_playbook(play(mailbox(name="bob", forwarding_address="Boss@Example.org")), env=hostway_env, diff=True)
    assert on.rc == 0 and on["mailbox"]["changed"] is True, on
    assert on["mailbox"]["diff"]["before"]["forwarding_address"] == ""
    assert on["mailbox"]["mailbox"]["forwarding_address"] == "boss@example.org"
    assert [(w["method"], body(w)) for w in sb.writes()] == [("POST", {"targets": [{"target": "boss@example.org"}]})]

    sb.clear_log()
    again = run_playbook(play(mailbox(name="bob", forwarding_address="boss@example.org")), env=hostway_env)
    assert again.rc == 0 and again["mailbox"]["changed"] is False, again
    assert calls(sb) == [("GET", "usernames/bob/exchange"), ("GET", "usernames/bob/forwards")]

    sb.clear_log()
    checked = run_playbook(play(mailbox(name="bob", forwarding_address="")), env=hostway_env, check=True)
    assert checked["mailbox"]["changed"] is True and sb.writes() == [], checked
    off = run_playbook(play(mailbox(name="bob", forwarding_address="")), env=hostway_env)
    assert off.rc == 0 and off["mailbox"]["changed"] is True, off
    assert off["mailbox"]["mailbox"]["forwarding_address"] == ""
    assert [(w["method"], w["path"].rsplit("/", 2)[1:]) for w in sb.writes()] == [
        ("DELETE", ["forwards", "boss@example.org"])]

    loop = run_playbook(play(mailbox(name="bob", forwarding_address="bob@example-alias.com")), env=hostway_env)
    assert loop.rc != 0
    assert loop["mailbox"]["status"] == 409 and "delivery loop" in loop["mailbox"]["msg"], loop


@pytest.mark.sandbox(**SANDBOX)
def test_update_password_always_sends_it_again_and_hostway_refuses_a_reuse(
        run_playbook, hostway_sandbox, hostway_env):
    new_password = "Nw9!rotated-pw"
    first = run_playbook(play(mailbox(name="bob", password=new_password, update_password="always")),
                         env=hostway_env, diff=True)
    assert first.rc == 0 and first["mailbox"]["changed"] is True, first
    assert first["mailbox"]["diff"]["before"]["password"] == "<hidden>"
    assert first["mailbox"]["diff"]["after"]["password"] == "<changed>"
    assert body(hostway_sandbox.writes()[0])["password"] == new_password
    # Hostway allows a password only once, so "always" with the same one fails with its message.
    second = run_playbook(play(mailbox(name="bob", password=new_password, update_password="always")),
                          env=hostway_env, verbosity=2)
    assert second.rc != 0
    assert "password: Password must not be used more than once" in second["mailbox"]["msg"]
    assert second["mailbox"]["status"] == 400
    assert new_password not in first.stdout + first.stderr + second.stdout + second.stderr


@pytest.mark.sandbox(**SANDBOX)
def test_bad_password_is_rejected_before_sending(run_playbook, hostway_sandbox, hostway_env):
    for password in ("password1!A", "Alex-9!xyz", "Zq9example!"):
        result = run_playbook(play(mailbox(display_name="Alex", password=password)), env=hostway_env, check=True)
        assert result.rc != 0
        message = result["mailbox"]["msg"]
        assert "password does not meet the Hostway password rules" in message
        assert password not in result.stdout + result.stderr
    assert hostway_sandbox.requests() == []
    missing = run_playbook(play(mailbox(display_name="Alex")), env=hostway_env)
    assert missing.rc != 0 and "creating a mailbox needs password" in missing["mailbox"]["msg"]
    assert hostway_sandbox.writes() == []


@pytest.mark.sandbox(**SANDBOX)
def test_unsupported_features_fail_before_any_request(run_playbook, hostway_sandbox, hostway_env):
    tasks = [
        task("alias", "mailbox_alias", domain=DOMAIN, mailbox="bob", aliases=["b@example.com"]),
        task("permission", "mailbox_permission", domain=DOMAIN, mailbox="bob", grantee="legacy",
             permission="full_access"),
        task("activesync", "activesync_service", domain=DOMAIN, mailbox="bob"),
        mailbox(name="bob", size=4096),
        dict(mailbox(name="bob", owa=False, pop3=False), name="switches"),
        dict(mailbox(name="bob", enabled=False), name="enabled"),
        dict(mailbox(name="bob", primary_address="b@example.com"), name="primary"),
        task("info enabled", "mailbox_info", domain=DOMAIN, enabled=True),
        task("info fields", "mailbox_info", domain=DOMAIN, fields=["size", "current_usage"]),
        task("info include", "mailbox_info", domain=DOMAIN, include=["permissions"]),
    ]
    result = run_playbook(play(*[dict(t, ignore_errors=True) for t in tasks]), env=hostway_env)
    assert result.rc == 0, result
    expected = {
        "alias": "mailbox_alias is not supported by provider hostway",
        "permission": "mailbox_permission is not supported by provider hostway",
        "activesync": "activesync_service is not supported by provider hostway",
        "mailbox": "option size not supported by provider hostway: its API only reads it",
        "switches": "options owa, pop3 not supported by provider hostway: its API only reads them",
        "enabled": "option enabled not supported by provider hostway",
        "primary": "option primary_address not supported by provider hostway",
        "info enabled": "option enabled not supported by provider hostway",
        "info fields": "fields=current_usage is not supported by provider hostway",
        "info include": "include=permissions is not supported by provider hostway",
    }
    for title, text in expected.items():
        assert result[title]["failed"] is True and text in result[title]["msg"], (title, result[title]["msg"])
    assert hostway_sandbox.requests() == []  # every one failed before any request


@pytest.mark.sandbox(**SANDBOX)
def test_a_non_exchange_name_is_reported_and_left_alone(run_playbook, hostway_sandbox, hostway_env):
    sb = hostway_sandbox
    tasks = [dict(mailbox(name="legacy", display_name="Legacy", password=PASSWORD), name="present",
                  ignore_errors=True),
             dict(mailbox(name="legacy", state="absent"), name="absent", ignore_errors=True),
             dict(task("info", "mailbox_info", domain=DOMAIN, name="legacy"), ignore_errors=True)]
    for check in (True, False):
        sb.clear_log()
        result = run_playbook(play(*tasks), env=hostway_env, check=check)
        assert result.rc == 0, result
        for title in ("present", "absent", "info"):
            assert result[title]["failed"] is True, (check, title, result[title])
            assert result[title]["msg"] == (
                "hostway: legacy@example.com: the name is taken by a username that is not a hosted Exchange mailbox "
                "(for example one of the older Hostway mail platform); it is left untouched"), (check, title)
        # each task: the exchange resource (404), then the username list filtered to the name, which lists it
        assert [(r["method"], r["path"], r["query"], r["status"]) for r in sb.requests()] == [
            ("GET", EXCHANGE % "legacy", {}, 404),
            ("GET", "/accounts/%s/email/%s/usernames" % (ACCOUNT, DOMAIN),
             {"filterUsername": "legacy", "page": "1", "pageSize": "1"}, 200)] * 3
        assert sb.writes() == []
    assert sb.state.username(DOMAIN, "legacy").platform == "mfg2"


@pytest.mark.sandbox(**SANDBOX)
def test_an_unknown_domain_or_account_is_an_error_never_absent(run_playbook, hostway_sandbox, hostway_env):
    sb = hostway_sandbox
    cases = [("nowhere.net", ACCOUNT, hostway_env),
             (DOMAIN, "other-acct", dict(hostway_env, HOSTED_EXCHANGE_ACCOUNT="other-acct"))]
    for domain, account, env in cases:
        tasks = [dict(mailbox(domain=domain, display_name="Alex", password=PASSWORD), name="create",
                      ignore_errors=True),
                 dict(mailbox(domain=domain, state="absent"), name="absent", ignore_errors=True),
                 dict(task("one", "mailbox_info", domain=domain, name="alex"), ignore_errors=True),
                 dict(task("list", "mailbox_info", domain=domain), ignore_errors=True)]
        scope = ("hostway: domain %s is not an e-mail domain of Hostway account %s (check domain and account)"
                 % (domain, account))
        for check in (True, False):
            sb.clear_log()
            result = run_playbook(play(*tasks), env=env, check=check)
            assert result.rc == 0, result
            for title in ("create", "absent", "one"):
                assert result[title]["failed"] is True, (domain, check, title, result[title])
                assert result[title]["msg"] == scope + " (HTTP 404)", (domain, check, title)
            assert result["list"]["failed"] is True and result["list"]["msg"].startswith(scope), result["list"]
            prefix = "/accounts/%s/email/%s/" % (account, domain)
            # a 404 of the exchange resource, then one filtered list read: 404 too, so the scope is unknown
            assert [(r["method"], r["path"].replace(prefix, ""), r["status"]) for r in sb.requests()] == [
                ("GET", "usernames/alex/exchange", 404), ("GET", "usernames", 404)] * 3 + [
                ("GET", "usernames", 404)]
            assert sb.writes() == []
    assert sorted(sb.state.domain(DOMAIN).usernames) == ["bob", "legacy"]


@pytest.mark.sandbox(**SANDBOX)
def test_wrong_credentials_missing_account_and_disabled_domain(run_playbook, hostway_sandbox, hostway_env):
    wrong = run_playbook(play(mailbox(name="bob")), env=dict(hostway_env, HOSTED_EXCHANGE_API_SECRET="Not-It-9"))
    assert wrong.rc != 0
    failure = wrong["mailbox"]
    assert failure["status"] == 401 and failure["provider"] == "hostway"
    assert "credentials refused (check api_user and api_secret)" in failure["msg"] and "bob@example.com" in failure["msg"]
    assert len(hostway_sandbox.requests()) == 1  # an authentication failure is not retried

    hostway_sandbox.clear_log()
    no_account = dict(hostway_env)
    del no_account["HOSTED_EXCHANGE_ACCOUNT"]
    missing = run_playbook(play(mailbox(name="bob")), env=no_account)
    assert missing.rc != 0 and "account is required for provider hostway" in missing["mailbox"]["msg"]
    assert "HOSTED_EXCHANGE_ACCOUNT" in missing["mailbox"]["msg"]
    assert "'Hosted Exchange' custom credential type" in missing["mailbox"]["msg"]
    assert hostway_sandbox.requests() == []

    # A job template without the credential: no HOSTED_EXCHANGE_* variable at all.
    bare = run_playbook(play(dict(mailbox(name="bob"), ignore_errors=True),
                             dict(task("info", "mailbox_info"), ignore_errors=True)), env={})
    for title in ("mailbox", "info"):
        message = bare[title]["msg"]
        assert message.startswith("provider is required: "), message
        assert "HOSTED_EXCHANGE_PROVIDER" in message and "'Hosted Exchange' custom credential type" in message
    assert hostway_sandbox.requests() == []

    frozen = run_playbook(play(mailbox(name="ice", domain="frozen.com", city="Oslo")), env=hostway_env)
    assert frozen.rc != 0
    assert frozen["mailbox"]["status"] == 409 and "conflict: The domain is disabled." in frozen["mailbox"]["msg"]


@pytest.mark.sandbox(fixture={"account": ACCOUNT, "domains": {DOMAIN: {"generate": {
    "prefix": "user", "count": 1000, "quota": 512}}}}, account=ACCOUNT)
def test_listing_1000_mailboxes_costs_three_page_reads(run_playbook, hostway_sandbox, hostway_env):
    result = run_playbook(play(task("list", "mailbox_info", domain=DOMAIN, fields=["size"])), env=hostway_env)
    assert result.rc == 0, result
    assert result["list"]["count"] == 1000 and len(result["list"]["mailboxes"]) == 1000
    assert result["list"]["mailboxes"][0] == {"name": "user0001", "domain": DOMAIN, "address": "user0001@example.com",
                                              "size": 512}
    requests = hostway_sandbox.requests()
    # 400 is the largest page: ceil(1000 / 400) = 3 reads, no 303 on the way.
    assert [(r["method"], r["status"], r["query"]) for r in requests] == [
        ("GET", 200, {"page": str(page), "pageSize": "400"}) for page in (1, 2, 3)]


@pytest.mark.sandbox(fixture={"account": ACCOUNT, "domains": {DOMAIN: {"usernames": [
    {"username": "anna", "quota": 100, "displayName": "Anna"},
    {"username": "annabel", "quota": 300, "displayName": "Annabel", "activeSyncEnabled": True},
    {"username": "bert", "quota": 200, "displayName": "Bert", "forwards": ["x@example.org"]},
    {"username": "berta", "platform": "mfg2", "quota": 50}]}}}, account=ACCOUNT)
def test_info_filters_sorting_details_and_one_mailbox(run_playbook, hostway_sandbox, hostway_env):
    result = run_playbook(play(
        task("starts", "mailbox_info", domain=DOMAIN, name_startswith="ann", fields=["size"], sort_by="size",
             sort_order="desc"),
        task("contains", "mailbox_info", domain=DOMAIN, name_contains="er", sort_by="name"),
        task("one", "mailbox_info", domain=DOMAIN, name="bert"),
        task("missing", "mailbox_info", domain=DOMAIN, name="nobody"),
        task("details", "mailbox_info", domain=DOMAIN, include=["activesync"])), env=hostway_env)
    assert result.rc == 0, result
    assert [(m["name"], m["size"]) for m in result["starts"]["mailboxes"]] == [("annabel", 300), ("anna", 100)]
    assert [m["name"] for m in result["contains"]["mailboxes"]] == ["bert", "berta"]  # a listing cannot tell kinds
    one = result["one"]["mailboxes"][0]
    assert one["display_name"] == "Bert" and one["size"] == 200 and one["forwarding_address"] == "x@example.org"
    assert one["activesync"] is False and "aliases" not in one
    assert "aliases" in result["one"]["capabilities"]["unreadable"]
    assert result["missing"]["mailboxes"] == [] and result["missing"]["count"] == 0
    # Full reads leave out the non-Exchange username the listing returned.
    details = result["details"]["mailboxes"]
    assert [(m["name"], m["activesync"], m["activesync_info"]) for m in details] == [
        ("anna", False, None), ("annabel", True, None), ("bert", False, None)]
    queries = [r["query"] for r in hostway_sandbox.requests() if r["path"].endswith("/usernames")]
    assert queries[0] == {"page": "1", "pageSize": "400", "filterUsername": "ann*", "sortField": "quota",
                          "sortOrder": "desc"}
    assert queries[1] == {"page": "1", "pageSize": "400", "filterUsername": "*er*", "sortField": "username",
                          "sortOrder": "asc"}
    # "missing": its exchange resource answered 404, so one list read filtered to the name (empty: absent)
    assert queries[2] == {"filterUsername": "nobody", "page": "1", "pageSize": "1"}
    assert queries[3] == {"page": "1", "pageSize": "400", "details": "1"}
    assert len(queries) == 4  # "one" (bert) exists: no list read for it
    # details: the list, then one GET of each listed username's exchange resource (berta's is a 404)
    details_calls = calls(hostway_sandbox)[-5:]
    assert details_calls == [("GET", "usernames")] + [("GET", "usernames/%s/exchange" % name)
                                                      for name in ("anna", "annabel", "bert", "berta")]


@pytest.mark.sandbox(**SANDBOX)
def test_the_onboarding_playbook_runs_on_hostway_by_changing_only_the_provider(run_playbook, hostway_sandbox,
                                                                               hostway_env):
    onboard = [{"import_playbook": str(REPO_ROOT / "playbooks" / "onboard.yml")}]
    env = dict(hostway_env, HOSTED_EXCHANGE_INITIAL_PASSWORD=PASSWORD,
               HOSTED_EXCHANGE_SHARED_MAILBOX_PASSWORD="Shared-Mailb0x-2026")
    first = run_playbook(onboard, env=env)
    assert first.rc == 0, first
    names = sorted(hostway_sandbox.state.domain(DOMAIN).usernames)
    assert names == ["alex.smith", "bob", "legacy", "maria.garcia", "sam.lee", "support"]
    # What Hostway cannot do is left out, asked from the collection and said once - not failed on, not silent.
    assert first["Say what this provider cannot set, so nothing is left out silently"]["msg"] == (
        "Provider hostway cannot set activesync, aliases, size, permissions on the shared mailbox: left out for every "
        "hire.")
    assert first["Summary of the onboarding"]["msg"][0] == (
        "Onboarding example.com (hostway): 3 created, 0 updated, 0 unchanged, 0 failed; 0 grants changed, 0 failed")
    assert "failed=0" in first.stdout
    hostway_sandbox.clear_log()
    second = run_playbook(onboard, env=env)
    assert second.rc == 0 and "changed=0" in second.stdout, second
    assert hostway_sandbox.writes() == []
