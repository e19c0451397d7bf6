"""mailbox_alias, mailbox_permission, activesync_service on Rackspace, and the onboarding playbook."""

from pathlib import Path

import pytest

from tests.integration.plays import play, task

DOMAIN = "example.com"
FIXTURE = {"domains": {
    DOMAIN: {"mailboxes": [
        {"name": "alex", "displayName": "Alex", "size": 1024},
        {"name": "bob", "displayName": "Bob", "size": 1024},
        {"name": "support", "displayName": "Support", "size": 2048},
    ]},
    "example.org": {"mailboxes": [{"name": "eve", "displayName": "Eve", "size": 1024}]},
}}
REPO = Path(__file__).resolve().parents[2]


def aliases(addresses, **kw):
    return task("aliases", "mailbox_alias", domain=DOMAIN, mailbox=kw.pop("mailbox", "alex"), aliases=addresses, **kw)


def permission(**kw):
    args = dict(domain=DOMAIN, mailbox="support", grantee="alex")
    args.update(kw)
    return task("permission", "mailbox_permission", **args)


def activesync(**kw):
    args = dict(domain=DOMAIN, mailbox="alex")
    args.update(kw)
    return task("activesync", "activesync_service", **args)


def calls(sandbox):
    return [(request["method"], request["path"].split("/ex/", 1)[1]) for request in sandbox.requests()]


@pytest.mark.sandbox(fixture=FIXTURE)
def test_alias_rhythm(run_playbook, rackspace_sandbox, rackspace_env):
    sb, two = rackspace_sandbox, ["alex.smith@example.com", "A.Smith@Example.com"]
    added = run_playbook(play(aliases(two)), env=rackspace_env, diff=True)
    assert added.rc == 0 and added["aliases"]["changed"], added
    assert added["aliases"]["aliases"] == ["a.smith@example.com", "alex.smith@example.com"]
    assert added["aliases"]["addresses"][0] == "alex@example.com"
    assert added["aliases"]["diff"] == {"before": {"aliases": []},
                                        "after": {"aliases": ["a.smith@example.com", "alex.smith@example.com"]},
                                        "before_header": "aliases of alex@example.com (rackspace)",
                                        "after_header": "aliases of alex@example.com (rackspace)"}
    # adding two aliases: 1 GET + 2 POSTs
    assert calls(sb) == [("GET", "mailboxes/alex"), ("POST", "mailboxes/alex/emailaddresses/alex.smith@example.com"),
                         ("POST", "mailboxes/alex/emailaddresses/a.smith@example.com")]

    sb.clear_log()
    again = run_playbook(play(aliases([a.upper() for a in two])), env=rackspace_env)
    assert again["aliases"]["changed"] is False, again
    assert calls(sb) == [("GET", "mailboxes/alex")]  # unchanged alias set: exactly 1 GET

    sb.clear_log()
    checked = run_playbook(play(aliases(["alex.smith@example.com", "smithy@example.com"], exclusive=True)),
                           env=rackspace_env, check=True, diff=True)
    assert checked["aliases"]["changed"] and checked["aliases"]["removed"] == ["a.smith@example.com"], checked
    assert checked["aliases"]["added"] == ["smithy@example.com"]
    assert sb.writes() == []

    applied = run_playbook(play(aliases(["alex.smith@example.com", "smithy@example.com"], exclusive=True)),
                           env=rackspace_env, diff=True)
    assert applied["aliases"]["diff"] == checked["aliases"]["diff"], applied
    assert applied["aliases"]["aliases"] == ["alex.smith@example.com", "smithy@example.com"]
    assert sorted(sb.state.domain(DOMAIN).mailboxes["alex"].aliases) == ["alex.smith@example.com", "smithy@example.com"]

    sb.clear_log()
    removed = run_playbook(play(aliases(["smithy@example.com"], state="absent")), env=rackspace_env)
    assert removed["aliases"]["changed"] and removed["aliases"]["aliases"] == ["alex.smith@example.com"], removed
    assert [c[0] for c in calls(sb)] == ["GET", "DELETE"]
    sb.clear_log()
    unchanged = run_playbook(play(aliases(["smithy@example.com"], state="absent")), env=rackspace_env)
    assert unchanged["aliases"]["changed"] is False and sb.writes() == [], unchanged


@pytest.mark.sandbox(fixture=FIXTURE)
def test_alias_errors(run_playbook, rackspace_sandbox, rackspace_env):
    result = run_playbook(play(
        dict(aliases(["alex@example.com"], state="absent"), name="primary", ignore_errors=True),
        dict(aliases(["x@example.com"], mailbox="ghost"), name="ghost", ignore_errors=True),
        dict(aliases(["bob@example.com"]), name="taken", ignore_errors=True),
        dict(aliases(["alex@elsewhere.net"]), name="foreign", ignore_errors=True),
        dict(aliases(["alex@example.org"]), name="sibling domain")), env=rackspace_env)
    assert result.rc == 0, result
    assert result["primary"]["msg"] == ("rackspace: alex@example.com: alex@example.com cannot be removed: "
                                        "it is the primary address")
    assert result["ghost"]["msg"] == "rackspace: ghost@example.com: mailbox does not exist"
    assert "already in use" in result["taken"]["msg"] and result["taken"]["status"] == 400
    assert "elsewhere.net" in result["foreign"]["msg"]  # the provider's own refusal
    assert result["sibling domain"]["changed"]  # another domain of the same customer is accepted


@pytest.mark.sandbox(fixture=FIXTURE)
def test_invalid_names_fail_before_any_request(run_playbook, rackspace_sandbox, rackspace_env):
    cases = [
        (aliases(["a/b@example.com"]), "rackspace: invalid alias 'a/b@example.com': expected local@domain"),
        (aliases(["x@example.com"], mailbox="../support"), "rackspace: invalid mailbox name '../support': "),
        (aliases(["x@example.com"], mailbox="alex."), "rackspace: invalid mailbox name 'alex.': "),
        (dict(aliases(["x@example.com"]), **{"mailops.hosted_exchange.mailbox_alias": dict(
            domain="example..com", mailbox="alex", aliases=["x@example.com"])}),
         "rackspace: invalid domain 'example..com': expected a domain name"),
        (permission(grantee="bob?x", permission="full_access"), "rackspace: invalid grantee name 'bob?x': "),
        (permission(grantee="bob%40x@example.com", permission="full_access"),
         "rackspace: invalid grantee address 'bob%40x@example.com': "),
        (activesync(mailbox="a..b"), "rackspace: invalid mailbox name 'a..b': "),
        (task("mailbox", "exchange_mailbox", domain=DOMAIN, name="alex", forwarding_address="boss@example#com"),
         "rackspace: invalid forwarding_address 'boss@example#com': "),
        (task("info", "mailbox_info", domain="-example.com"), "rackspace: invalid domain '-example.com': "),
    ]
    result = run_playbook(play(*[dict(case, name="case %d" % number, ignore_errors=True)
                                 for number, (case, _message) in enumerate(cases)]), env=rackspace_env)
    assert result.rc == 0, result
    for number, (_case, message) in enumerate(cases):
        outcome = result["case %d" % number]
        assert outcome["failed"] is True and outcome["msg"].startswith(message), (number, outcome["msg"])
    assert rackspace_sandbox.requests() == []  # nothing was sent


@pytest.mark.sandbox(fixture=FIXTURE)
def test_an_unknown_domain_or_customer_is_an_error_never_absent(run_playbook, rackspace_sandbox, rackspace_env):
    sb = rackspace_sandbox

    def tasks(domain):
        return play(*[dict(t, ignore_errors=True) for t in (
            dict(task("absent", "exchange_mailbox", domain=domain, name="alex", state="absent")),
            dict(task("create", "exchange_mailbox", domain=domain, name="alex", display_name="Alex", size=1024,
                      password="Welcome-2026!x")),
            dict(task("one", "mailbox_info", domain=domain, name="alex")),
            dict(task("list", "mailbox_info", domain=domain)),
            dict(task("aliases", "mailbox_alias", domain=domain, mailbox="alex", aliases=["a@" + domain])),
            dict(task("activesync", "activesync_service", domain=domain, mailbox="alex")),
            dict(task("permission", "mailbox_permission", domain=domain, mailbox="alex", grantee="eve@example.org",
                      permission="full_access")),
        )])

    wrong = {}
    for domain, customer, env in (("nowhere.net", "me", rackspace_env),
                                  (DOMAIN, "999999", dict(rackspace_env, HOSTED_EXCHANGE_ACCOUNT="999999"))):
        scope = ("rackspace: domain %s is not a hosted Exchange domain of customer %s (check domain and account)"
                 % (domain, customer))
        for check in (True, False):
            sb.clear_log()
            result = run_playbook(tasks(domain), env=env, check=check)
            assert result.rc == 0, result
            for name in ("absent", "create", "one", "list", "aliases", "activesync", "permission"):
                outcome = result[name]
                if not (outcome.get("failed") is True and outcome["msg"].startswith(scope)):
                    wrong["%s %s (check=%s)" % (customer, name, check)] = (outcome.get("changed"), outcome.get("msg"))
            assert sb.writes() == []
            # The show of alex answered 404; one index read of size 1 told the domain is unknown.
            first = [(r["method"], r["path"].split("/domains/", 1)[1], r["query"]) for r in sb.requests()[:2]]
            assert first == [("GET", "%s/ex/mailboxes/alex" % domain, {}),
                             ("GET", "%s/ex/mailboxes" % domain, {"size": "1", "offset": "0"})]
    assert {name: mailbox.show()["name"] for name, mailbox in sb.state.domain(DOMAIN).mailboxes.items()} == {
        "alex": "alex", "bob": "bob", "support": "support"}
    assert wrong == {}  # every task on an unknown domain or customer fails naming the scope


@pytest.mark.sandbox(fixture=FIXTURE)
def test_permission_rhythm_and_upgrade_in_place(run_playbook, rackspace_sandbox, rackspace_env):
    sb = rackspace_sandbox
    granted = run_playbook(play(permission(permission="full_access")), env=rackspace_env, diff=True)
    assert granted.rc == 0 and granted["permission"]["changed"], granted
    assert granted["permission"]["permissions"] == [{"grantee": "alex@example.com", "permission": "full_access"}]
    assert [c[0] for c in calls(sb)] == ["GET", "GET", "POST"]  # list, grantee exists, grant
    assert sb.writes()[0]["form"] == {"permission": "fullAccess"}

    sb.clear_log()
    again = run_playbook(play(permission(permission="full_access", grantee="Alex@Example.com")), env=rackspace_env)
    assert again["permission"]["changed"] is False, again
    assert calls(sb) == [("GET", "mailboxes/support/permissions")]  # unchanged permission: 1 GET

    sb.clear_log()
    checked = run_playbook(play(permission(permission="both")), env=rackspace_env, check=True, diff=True)
    assert checked["permission"]["changed"] and sb.writes() == [], checked
    assert checked["permission"]["diff"]["before"]["permission"] == "full_access"
    assert checked["permission"]["diff"]["after"]["permission"] == "both"

    upgraded = run_playbook(play(permission(permission="both")), env=rackspace_env, diff=True)
    assert upgraded["permission"]["diff"] == checked["permission"]["diff"], upgraded
    assert [(w["method"], w["form"]) for w in sb.writes()] == [("PUT", {"permission": "both"})]  # an edit, not delete+add

    sb.clear_log()
    partial = run_playbook(play(permission(permission="send_as", state="absent")), env=rackspace_env)
    assert partial["permission"]["permission"] == "full_access", partial
    assert [(w["method"], w["form"]) for w in sb.writes()] == [("PUT", {"permission": "fullAccess"})]

    sb.clear_log()
    revoked = run_playbook(play(permission(state="absent")), env=rackspace_env)
    assert revoked["permission"]["changed"] and revoked["permission"]["permissions"] == [], revoked
    assert [w["method"] for w in sb.writes()] == ["DELETE"]
    sb.clear_log()
    gone = run_playbook(play(permission(state="absent")), env=rackspace_env)
    assert gone["permission"]["changed"] is False and sb.writes() == [], gone


@pytest.mark.sandbox(fixture=FIXTURE)
def test_permission_across_domains_and_errors(run_playbook, rackspace_sandbox, rackspace_env):
    result = run_playbook(play(
        dict(permission(grantee="eve@example.org", permission="send_as"), name="cross"),
        dict(permission(grantee="nobody", permission="full_access"), name="no grantee", ignore_errors=True),
        dict(permission(mailbox="ghost", permission="full_access"), name="no mailbox", ignore_errors=True),
        dict(permission(state="present"), name="no permission", ignore_errors=True)), env=rackspace_env)
    assert result.rc == 0, result
    assert result["cross"]["permissions"] == [{"grantee": "eve@example.org", "permission": "send_as"}]
    assert rackspace_sandbox.writes()[0]["path"].endswith("/permissions/eve@example.org")
    assert "grantee nobody@example.com does not exist" in result["no grantee"]["msg"]
    assert "ghost@example.com" in result["no mailbox"]["msg"] and result["no mailbox"]["status"] == 404
    assert "permission" in result["no permission"]["msg"]
    assert len(rackspace_sandbox.writes()) == 1


@pytest.mark.sandbox(fixture=FIXTURE)
def test_activesync_rhythm(run_playbook, rackspace_sandbox, rackspace_env):
    sb = rackspace_sandbox
    checked = run_playbook(play(activesync()), env=rackspace_env, check=True, diff=True)
    assert checked["activesync"]["changed"] and sb.writes() == [], checked
    assert checked["activesync"]["diff"]["before"] == {"enabled": False}
    assert calls(sb) == [("GET", "mailboxes/alex/activesyncmobileservice"), ("GET", "mailboxes/alex")]

    sb.clear_log()
    attached = run_playbook(play(activesync()), env=rackspace_env)
    assert attached["activesync"]["changed"] and attached["activesync"]["enabled"], attached
    info = attached["activesync"]["activesync"]
    assert info["email_address"] == "alex@example.com" and info["server_address"] and info["user_name"]
    assert info["domain_address"]
    # + the show: the service's 404 is decided by the mailbox itself (it exists: no service yet)
    assert calls(sb) == [("GET", "mailboxes/alex/activesyncmobileservice"), ("GET", "mailboxes/alex"),
                         ("POST", "mailboxes/alex/activesyncmobileservice"),
                         ("GET", "mailboxes/alex/activesyncmobileservice")]

    sb.clear_log()
    again = run_playbook(play(activesync()), env=rackspace_env)
    assert again["activesync"]["changed"] is False and again["activesync"]["activesync"] == info, again
    assert calls(sb) == [("GET", "mailboxes/alex/activesyncmobileservice")]  # unchanged: 1 GET

    sb.clear_log()
    detached = run_playbook(play(activesync(state="absent")), env=rackspace_env, diff=True)
    assert detached["activesync"]["changed"] and detached["activesync"]["activesync"] == {}, detached
    assert detached["activesync"]["diff"]["after"] == {"enabled": False}
    assert [c[0] for c in calls(sb)] == ["GET", "DELETE"]
    sb.clear_log()
    still = run_playbook(play(activesync(state="absent")), env=rackspace_env)
    assert still["activesync"]["changed"] is False and sb.writes() == [], still
    assert calls(sb) == [("GET", "mailboxes/alex/activesyncmobileservice"), ("GET", "mailboxes/alex")]

    sb.clear_log()
    for check in (False, True):
        missing = run_playbook(play(activesync(mailbox="ghost")), env=rackspace_env, check=check)
        if check:  # an earlier task of a check run may create it: predicted against an empty one
            assert missing.rc == 0 and missing["activesync"]["changed"] is True, missing
        else:
            assert missing.rc != 0, missing
            assert missing["activesync"]["msg"] == "rackspace: ghost@example.com: mailbox does not exist (HTTP 404)"
    # the service 404, the show 404, then the domain check (it exists: the mailbox is what is missing)
    assert [(r["method"], r["path"].split("/ex/", 1)[1], r["query"]) for r in sb.requests()] == [
        ("GET", "mailboxes/ghost/activesyncmobileservice", {}), ("GET", "mailboxes/ghost", {}),
        ("GET", "mailboxes", {"size": "1", "offset": "0"})] * 2
    assert sb.writes() == []


@pytest.mark.sandbox(fixture=FIXTURE)
def test_info_includes_aliases_permissions_and_activesync(run_playbook, rackspace_sandbox, rackspace_env):
    setup = run_playbook(play(aliases(["a@example.com"]), permission(permission="both"), activesync()),
                         env=rackspace_env)
    assert setup.rc == 0, setup
    rackspace_sandbox.clear_log()
    result = run_playbook(play(task("info", "mailbox_info", domain=DOMAIN, include=["aliases", "permissions", "activesync"])),
                          env=rackspace_env)
    assert result.rc == 0, result
    boxes = dict((m["name"], m) for m in result["info"]["mailboxes"])
    assert boxes["alex"]["aliases"] == ["a@example.com"] and boxes["alex"]["activesync"] is True
    assert boxes["alex"]["activesync_info"]["email_address"] == "alex@example.com"
    assert boxes["bob"]["activesync_info"] is None and boxes["bob"]["permissions"] == []
    assert rackspace_sandbox.writes() == []
    # Grants come back as {grantee, permission}, like mailbox_permission returns them (no internal key).
    assert boxes["support"]["permissions"] == [{"grantee": "alex@example.com", "permission": "both"}]


@pytest.mark.sandbox(fixture=FIXTURE)
def test_deleting_a_mailbox_removes_its_addresses_permissions_and_activesync(
        run_playbook, rackspace_sandbox, rackspace_env):
    result = run_playbook(play(
        aliases(["alias.of.alex@example.com"]), permission(permission="full_access"),
        dict(permission(mailbox="alex", grantee="bob", permission="send_as"), name="bob on alex"), activesync(),
        task("delete", "exchange_mailbox", domain=DOMAIN, name="alex", state="absent"),
        dict(task("perm after", "mailbox_info", domain=DOMAIN, name="support", include=["permissions"])),
        dict(aliases(["alias.of.alex@example.com"], mailbox="bob"), name="address is free again")), env=rackspace_env)
    assert result.rc == 0, result
    assert result["perm after"]["mailboxes"][0]["permissions"] == []
    assert result["address is free again"]["changed"] is True


def test_onboarding_playbook_check_then_apply_then_nothing_to_change(run_playbook, rackspace_sandbox, rackspace_env):
    env = dict(rackspace_env, HOSTED_EXCHANGE_INITIAL_PASSWORD="Welcome-2026!x",
               HOSTED_EXCHANGE_SHARED_MAILBOX_PASSWORD="Shared-Mailb0x-2026")
    playbook = "- ansible.builtin.import_playbook: %s\n" % (REPO / "playbooks" / "onboard.yml")
    checked = run_playbook(playbook, env=env, check=True, diff=True)
    assert checked.rc == 0, checked
    assert rackspace_sandbox.writes() == []
    applied = run_playbook(playbook, env=env, diff=True)
    assert applied.rc == 0, applied
    # The check run predicted the same changes, task by task, item by item.
    assert [(e["task"], e["changed"]) for e in checked.events] == [(e["task"], e["changed"]) for e in applied.events]
    writes = [(w["method"], w["path"].split("/ex/", 1)[1]) for w in rackspace_sandbox.writes()]
    assert ("POST", "mailboxes/alex.smith") in writes and ("POST", "mailboxes/alex.smith/activesyncmobileservice") in writes
    assert ("POST", "mailboxes/support/permissions/maria.garcia") in writes
    assert ("POST", "mailboxes/maria.garcia/emailaddresses/m.garcia@example.com") in writes
    mailboxes = rackspace_sandbox.state.domain("example.com").mailboxes
    assert set(mailboxes) == {"support", "alex.smith", "maria.garcia", "sam.lee"}
    assert mailboxes["maria.garcia"].show()["size"] == 4096
    # the shared mailbox has its own password: no hire can log in to it with theirs
    assert mailboxes["support"].password == "Shared-Mailb0x-2026" and mailboxes["alex.smith"].password == "Welcome-2026!x"

    rackspace_sandbox.clear_log()
    again = run_playbook(playbook, env=env)
    assert again.rc == 0, again
    assert "changed=0" in again.stdout and rackspace_sandbox.writes() == []
    assert {r["method"] for r in rackspace_sandbox.requests()} == {"GET"}


@pytest.mark.sandbox(fixture=FIXTURE)
def test_rackspace_password_rules_are_checked_before_any_request(run_playbook, rackspace_sandbox, rackspace_env):
    cases = {"Sh0rt!x": "be at least 8 characters long",
             "alllowercase1": "contain 3 of: upper-case letters, lower-case letters, digits, symbols",
             "Xnewbie-2026": "not contain the mailbox name or display name",
             "Qz9!brand new": "not contain the mailbox name or display name"}
    for check in (True, False):
        for password, phrase in cases.items():
            result = run_playbook(play(task("mailbox", "exchange_mailbox", domain=DOMAIN, name="newbie",
                                            display_name="Brand New", size=1024, password=password)),
                                  env=rackspace_env, check=check)
            assert result.rc != 0, result
            message = result["mailbox"]["msg"]
            assert message.startswith("rackspace: newbie@example.com: password does not meet the Rackspace password rules: it "
                                      "must "), message
            assert phrase in message, (password, message)
            assert password not in result.stdout + result.stderr
    assert rackspace_sandbox.requests() == []  # refused before any request, in check mode too
