"""exchange_mailbox and mailbox_info on Rackspace: real ansible-playbook runs against the sandbox."""

import pytest

from tests.integration.plays import play, task

DOMAIN = "example.com"
PASSWORD = "Onb0arding-Pw!42"
FIXTURE = {"domains": {DOMAIN: {"mailboxes": [{"name": "bob", "displayName": "Bob Jones", "size": 1024}]}}}


def mailbox(name="alex", **fields):
    return task("mailbox", "exchange_mailbox", domain=DOMAIN, name=name, **fields)


def methods(sandbox):
    return [request["method"] for request in sandbox.requests()]


CREATE = dict(display_name="Alex Smith", password=PASSWORD, size=2048, first_name="Alex", department="Finance")
CHANGED = {**CREATE, "department": "Sales", "enabled": False}


@pytest.mark.sandbox(fixture=FIXTURE)
def test_mailbox_rhythm_create_rerun_check_apply_remove(run_playbook, rackspace_sandbox, rackspace_env):
    sb = rackspace_sandbox

    created = run_playbook(play(mailbox(**CREATE)), env=rackspace_env, diff=True)
    assert created.rc == 0, created
    result = created["mailbox"]
    assert result["changed"] is True
    assert result["mailbox"]["display_name"] == "Alex Smith" and result["mailbox"]["size"] == 2048
    assert result["mailbox"]["first_name"] == "Alex" and result["mailbox"]["address"] == "alex@example.com"
    assert result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["password"] == "<changed>"
    # create: the mailbox's GET (404), one GET of the domain's index (it exists: not a typo), the POST, a GET for the result
    assert methods(sb) == ["GET", "GET", "POST", "GET"]
    assert sb.requests()[1]["path"].endswith("/ex/mailboxes") and sb.requests()[1]["query"]["size"] == "1"
    posted = sb.writes()[0]["form"]
    assert posted["displayName"] == "Alex Smith" and posted["size"] == "2048" and posted["firstName"] == "Alex"
    assert sb.state.domain(DOMAIN).mailboxes["alex"].show()["contactInfo"]["department"] == "Finance"

    sb.clear_log()
    again = run_playbook(play(mailbox(**CREATE)), env=rackspace_env)
    assert again.rc == 0, again
    assert again["mailbox"]["changed"] is False
    assert methods(sb) == ["GET"]  # unchanged: exactly one GET, no write

    sb.clear_log()
    checked = run_playbook(play(mailbox(**CHANGED)), env=rackspace_env,
                           check=True, diff=True)
    assert checked.rc == 0, checked
    assert checked["mailbox"]["changed"] is True
    assert checked["mailbox"]["diff"]["before"]["department"] == "Finance"
    assert checked["mailbox"]["diff"]["after"]["department"] == "Sales"
    assert checked["mailbox"]["mailbox"]["enabled"] is False  # the predicted record
    assert methods(sb) == ["GET"] and sb.writes() == []  # check mode: no write at all
    assert '-    "department": "Finance"' in checked.stdout and '+    "department": "Sales"' in checked.stdout

    sb.clear_log()
    applied = run_playbook(play(mailbox(**CHANGED)), env=rackspace_env, diff=True)
    assert applied.rc == 0, applied
    assert applied["mailbox"]["changed"] is True
    assert applied["mailbox"]["diff"] == checked["mailbox"]["diff"]  # check mode predicted exactly
    assert applied["mailbox"]["mailbox"]["enabled"] is False and applied["mailbox"]["mailbox"]["department"] == "Sales"
    assert methods(sb) == ["GET", "PUT", "GET"]  # update: 1 GET + 1 PUT + 1 GET
    assert sb.writes()[0]["form"] == {"department": "Sales", "enabled": "false"}  # only the difference
    assert set(applied["mailbox"]["diff"]["after"]) == {"display_name", "size", "first_name", "department", "enabled",
                                                        "state"}

    sb.clear_log()
    removed = run_playbook(play(mailbox(state="absent")), env=rackspace_env, diff=True)
    assert removed.rc == 0 and removed["mailbox"]["changed"] is True, removed
    assert removed["mailbox"]["diff"]["after"] == {"state": "absent"}
    assert methods(sb) == ["GET", "DELETE"]
    assert "alex" not in sb.state.domain(DOMAIN).mailboxes

    sb.clear_log()
    gone = run_playbook(play(mailbox(state="absent")), env=rackspace_env)
    assert gone.rc == 0 and gone["mailbox"]["changed"] is False, gone
    assert methods(sb) == ["GET", "GET"]  # absent: its GET (404), then the domain's (it exists: absent, not a typo)

    sb.clear_log()
    typo = run_playbook(play(task("mailbox", "exchange_mailbox", domain="exampel.com", name="alex", state="absent")),
                        env=rackspace_env, check=True)
    assert typo.rc != 0
    assert typo["mailbox"]["msg"] == ("rackspace: domain exampel.com is not a hosted Exchange domain of customer me "
                                      "(check domain and account): Domain exampel.com not found (HTTP 404)")
    assert methods(sb) == ["GET", "GET"] and sb.writes() == []


@pytest.mark.sandbox(fixture=FIXTURE)
def test_every_seed_field_is_managed_and_round_trips(run_playbook, rackspace_sandbox, rackspace_env):
    fields = dict(display_name="Alex Smith", password=PASSWORD, size=3072, enabled=True, hidden=True,
                  public_folder_admin=True, directory_visible=False, forwarding_address="bob@example.com",
                  save_forwarded_email=True, first_name="Alex", last_name="Smith", job_title="Dev", company="ACME",
                  department="R&D", business_phone="111", home_phone="222", mobile_phone="333", fax="444", pager="555",
                  street="1 Main St", city="Blacksburg", state_province="VA", postal_code="24060", country="USA",
                  notes="Joined 2026", custom_id="E-1042")
    first = run_playbook(play(mailbox(**fields)), env=rackspace_env)
    assert first.rc == 0 and first["mailbox"]["changed"], first
    returned = first["mailbox"]["mailbox"]
    for field, value in fields.items():
        if field != "password":
            assert returned[field] == value, field
    rackspace_sandbox.clear_log()
    second = run_playbook(play(mailbox(**fields)), env=rackspace_env)
    assert second["mailbox"]["changed"] is False and rackspace_sandbox.writes() == [], second
    # Turning forwarding off is an empty address.
    off = run_playbook(play(mailbox(forwarding_address="")), env=rackspace_env)
    assert off["mailbox"]["changed"] is True and off["mailbox"]["mailbox"]["forwarding_address"] == "", off
    assert rackspace_sandbox.writes()[-1]["form"] == {"emailForwardingAddress": ""}


@pytest.mark.sandbox(fixture=FIXTURE)
def test_update_password_always_reports_changed_and_never_shows_it(run_playbook, rackspace_sandbox, rackspace_env):
    result = run_playbook(play(mailbox(name="bob", password="N3w-Passw0rd!", update_password="always")),
                          env=rackspace_env, diff=True)
    assert result.rc == 0 and result["mailbox"]["changed"] is True, result
    assert result["mailbox"]["diff"]["before"]["password"] == "<hidden>"
    assert result["mailbox"]["diff"]["after"]["password"] == "<changed>"
    assert rackspace_sandbox.writes()[0]["form"] == {"password": "N3w-Passw0rd!"}
    assert "N3w-Passw0rd!" not in result.stdout + result.stderr


@pytest.mark.sandbox(fixture=FIXTURE)
def test_wrong_credentials_fail_clearly(run_playbook, rackspace_sandbox, rackspace_env):
    env = dict(rackspace_env, HOSTED_EXCHANGE_API_SECRET="not-the-secret")
    result = run_playbook(play(mailbox(name="bob")), env=env)
    assert result.rc != 0
    failure = result["mailbox"]
    assert failure["failed"] and failure["status"] == 403 and failure["provider"] == "rackspace"
    assert "authentication or permission refused" in failure["msg"] and "bob@example.com" in failure["msg"]
    assert len(rackspace_sandbox.requests()) == 1  # an authentication failure is not retried


@pytest.mark.sandbox(fixture=FIXTURE)
def test_invalid_password_gives_the_providers_message_and_creates_nothing(run_playbook, rackspace_sandbox, rackspace_env):
    # The documented password rules are checked before any request, so check mode predicts the refusal too.
    for check in (True, False):
        result = run_playbook(play(mailbox(display_name="Alex", password="short", size=1024)), env=rackspace_env,
                              check=check)
        assert result.rc != 0
        assert result["mailbox"]["msg"] == ("rackspace: alex@example.com: password does not meet the Rackspace password rules: it "
                                            "must be at least 8 characters long; contain 3 of: upper-case letters, "
                                            "lower-case letters, digits, symbols")
    assert rackspace_sandbox.requests() == []
    # What only the provider knows comes back in its own words, with the status.
    result = run_playbook(play(mailbox(display_name="Al<ex>", password=PASSWORD, size=1024)), env=rackspace_env)
    assert result.rc != 0
    assert "Invalid display name" in result["mailbox"]["msg"]
    assert result["mailbox"]["status"] == 400
    assert "alex" not in rackspace_sandbox.state.domain(DOMAIN).mailboxes


@pytest.mark.sandbox(fixture=FIXTURE)
def test_bad_input_fails_before_any_write(run_playbook, rackspace_sandbox, rackspace_env):
    missing = run_playbook(play(mailbox(display_name="Alex")), env=rackspace_env)
    assert missing.rc != 0 and "creating a mailbox needs password, size" in missing["mailbox"]["msg"]
    odin_only = run_playbook(play(mailbox(name="bob", pop3=False)), env=rackspace_env)
    assert odin_only.rc != 0 and "option pop3 not supported by provider rackspace" in odin_only["mailbox"]["msg"]
    negative = run_playbook(play(mailbox(name="bob", size=-5)), env=rackspace_env)
    assert negative.rc != 0 and "size must be a positive number" in negative["mailbox"]["msg"]
    assert rackspace_sandbox.writes() == []
    # only the missing-password case got as far as reading: the mailbox (404), then its domain (it exists)
    assert methods(rackspace_sandbox) == ["GET", "GET"]


GENERATED = {"domains": {DOMAIN: {"generate": {"prefix": "user", "count": 12, "size": 512}}}}


@pytest.mark.sandbox(fixture=GENERATED, time_scale=0.05, limits={"GET": 4})
def test_throttling_within_the_budget_is_survived(run_playbook, rackspace_sandbox, rackspace_env):
    # Pacing off, so the 13 reads of one task run into the sandbox's limit of 4 reads per 3 s window.
    env = dict(rackspace_env, HOSTED_EXCHANGE_RETRY_BUDGET="60", HOSTED_EXCHANGE_MAX_READS_PER_MINUTE="0")
    result = run_playbook(play(task("read", "mailbox_info", domain=DOMAIN, details=True)), env=env)
    assert result.rc == 0, result
    assert [record["name"] for record in result["read"]["mailboxes"]] == ["user%02d" % n for n in range(1, 13)]
    statuses = [request["status"] for request in rackspace_sandbox.requests()]
    assert 403 in statuses  # the sandbox did throttle ...
    assert statuses.count(200) == 13  # ... and every read still got through


@pytest.mark.sandbox(fixture=GENERATED, time_scale=0.05, limits={"GET": 4})
def test_pacing_inside_the_limit_draws_no_throttle(run_playbook, rackspace_sandbox, rackspace_env):
    # The same reads paced at the sandbox's limit (4 per 60 s x 0.05): not one refusal.
    env = dict(rackspace_env, HOSTED_EXCHANGE_MAX_READS_PER_MINUTE="4", HOSTED_EXCHANGE_RATE_WINDOW="3")
    result = run_playbook(play(task("read", "mailbox_info", domain=DOMAIN, details=True)), env=env)
    assert result.rc == 0, result
    assert result["read"]["count"] == 12
    assert [request["status"] for request in rackspace_sandbox.requests()] == [200] * 13


@pytest.mark.sandbox(fixture=FIXTURE, time_scale=10, limits={"GET": 1})
def test_throttling_beyond_the_budget_fails_clearly(run_playbook, rackspace_sandbox, rackspace_env):
    reads = [task("read %d" % i, "mailbox_info", domain=DOMAIN, name="bob") for i in range(2)]
    result = run_playbook(play(*reads), env=dict(rackspace_env, HOSTED_EXCHANGE_RETRY_BUDGET="2"))
    assert result.rc != 0
    assert "budget of 2.0 seconds exhausted" in result["read 1"]["msg"]
    assert "throttled" in result["read 1"]["msg"]


@pytest.mark.sandbox(fixture=FIXTURE)
def test_secrets_never_appear_in_verbose_output(run_playbook, rackspace_sandbox, rackspace_env):
    # Secrets reach the play as variables (as from a vault), never as literals in the playbook:
    # Ansible itself quotes playbook source lines around a failed task.
    secret = rackspace_env["HOSTED_EXCHANGE_API_SECRET"]
    secrets = {"pw_alex": PASSWORD, "pw_bob": "N3w-" + PASSWORD, "pw_carol": "Third-" + PASSWORD, "pw_dave": "shortpw"}
    create_alex = dict(CREATE)
    create_alex["password"] = "{{ pw_alex }}"
    tasks = [mailbox(**create_alex),
             dict(mailbox(name="bob", password="{{ pw_bob }}", update_password="always"), name="password change"),
             dict(task("tiny", "exchange_mailbox", domain=DOMAIN, name="carol", display_name="Carol",
                       password="{{ pw_carol }}", size=10)),
             dict(task("bad password", "exchange_mailbox", domain=DOMAIN, name="dave", display_name="Dave",
                       password="{{ pw_dave }}", size=10), ignore_errors=True),
             dict(task("wrong secret", "exchange_mailbox", domain=DOMAIN, name="bob", api_secret=secret + "-wrong"),
                  ignore_errors=True)]
    result = run_playbook(play(*tasks), env=rackspace_env, verbosity=3, diff=True, extra_vars=secrets)
    assert result.rc == 0, result
    assert result["bad password"]["failed"] and result["wrong secret"]["failed"]
    output = result.stdout + result.stderr
    for text in [secret, secret + "-wrong"] + list(secrets.values()):
        assert text not in output
    # The request log proves the secrets were really sent - all but the one the password rules refused before sending.
    sent = [request["form"].get("password") for request in rackspace_sandbox.writes()]
    assert set(secrets.values()) - {secrets["pw_dave"]} <= set(sent)
    assert secrets["pw_dave"] not in sent


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {"generate": {"prefix": "user", "count": 1000, "size": 512}}}})
def test_listing_a_domain_of_1000_mailboxes_costs_4_gets(run_playbook, rackspace_sandbox, rackspace_env):
    result = run_playbook(play(task("list", "mailbox_info", domain=DOMAIN, fields=["size"])), env=rackspace_env)
    assert result.rc == 0, result
    assert result["list"]["count"] == 1000 and len(result["list"]["mailboxes"]) == 1000
    assert result["list"]["mailboxes"][0]["size"] == 512
    requests = rackspace_sandbox.requests()
    assert [r["method"] for r in requests] == ["GET"] * 4
    assert [r["query"]["offset"] for r in requests] == ["0", "250", "500", "750"]
    assert {r["query"]["size"] for r in requests} == {"250"}


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {"mailboxes": [
    {"name": "anna", "displayName": "Anna", "size": 100, "enabled": False},
    {"name": "annabel", "displayName": "Annabel", "size": 300},
    {"name": "bert", "displayName": "Bert", "size": 200}]}}})
def test_info_filters_one_mailbox_and_sorting(run_playbook, rackspace_sandbox, rackspace_env):
    result = run_playbook(play(
        task("disabled", "mailbox_info", domain=DOMAIN, enabled=False),
        task("starts", "mailbox_info", domain=DOMAIN, name_startswith="ann", fields=["size", "current_usage"],
             sort_by="size", sort_order="desc"),
        task("contains", "mailbox_info", domain=DOMAIN, name_contains="er"),
        task("one", "mailbox_info", domain=DOMAIN, name="bert"),
        task("missing", "mailbox_info", domain=DOMAIN, name="nobody"),
        task("details", "mailbox_info", domain=DOMAIN, details=True)), env=rackspace_env)
    assert result.rc == 0, result
    assert [m["name"] for m in result["disabled"]["mailboxes"]] == ["anna"]
    assert [(m["name"], m["size"]) for m in result["starts"]["mailboxes"]] == [("annabel", 300), ("anna", 100)]
    assert "current_usage" in result["starts"]["mailboxes"][0]
    assert [m["name"] for m in result["contains"]["mailboxes"]] == ["bert"]
    assert result["one"]["mailboxes"][0]["display_name"] == "Bert" and "primary_address" in result["one"]["mailboxes"][0]
    assert result["missing"]["mailboxes"] == [] and result["missing"]["count"] == 0
    assert all("primary_address" in m for m in result["details"]["mailboxes"]) and result["details"]["count"] == 3
    queries = [r["query"] for r in rackspace_sandbox.requests()]
    assert {"enabled": "false", "size": "250", "offset": "0"}.items() <= queries[0].items()
    assert queries[1]["startswith"] == "ann" and queries[1]["fields"] == "size,currentUsage"
    assert queries[2]["contains"] == "er"
