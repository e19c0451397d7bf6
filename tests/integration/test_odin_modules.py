"""The five modules on provider odin: real ansible-playbook runs against the Odin XML-RPC sandbox."""

from pathlib import Path

import pytest

from tests.integration.plays import play, task

REPO_ROOT = Path(__file__).resolve().parents[2]
SUB = "1000042"
DOMAIN = "example.com"
PASSWORD = "Onb0arding-Pw!42"
FIXTURE = {
    "subscriptions": {
        SUB: {"domains": [DOMAIN, "example.org"], "mailboxes": [
            {"email_address": "bob@example.com", "display_name": "Bob Jones", "size_limit": 1048576},
            {"email_address": "carol@example.com", "display_name": "Carol", "size_limit": 1572865,
             "email_addresses": ["c@example.com"], "active_sync": True},
        ]},
        "7": {"domains": ["elsewhere.test"]},
    },
    "users": [{"login": "svc.dana", "display_name": "Dana Service", "subscription_id": int(SUB), "user_id": 900}],
}
SANDBOX = dict(fixture=FIXTURE, account=SUB)
CREATE = dict(display_name="Alex Smith", password=PASSWORD, size=2048, pop3=False)
LOOKUP, INFO = "getMailboxByEmailAddress", "getMailboxInfo"


def mailbox(name="alex", **fields):
    return task("mailbox", "exchange_mailbox", domain=DOMAIN, name=name, **fields)


def rpc(sandbox, writes_only=False):
    """The XML-RPC methods called, without the pem.exchange. prefix."""
    entries = sandbox.writes() if writes_only else sandbox.requests()
    return [(entry.get("rpc_method") or "?").replace("pem.exchange.", "") for entry in entries]


def params_of(sandbox, method):
    return [entry["rpc_params"] for entry in sandbox.requests() if entry.get("rpc_method") == "pem.exchange." + method]


@pytest.mark.sandbox(**SANDBOX)
def test_mailbox_rhythm_create_rerun_check_apply_remove(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox

    created = run_playbook(play(mailbox(**CREATE)), env=odin_env, diff=True)
    assert created.rc == 0, created
    result = created["mailbox"]
    assert result["changed"] is True
    returned = result["mailbox"]
    assert returned["display_name"] == "Alex Smith" and returned["size"] == 2048 and returned["pop3"] is False
    assert returned["owa"] is True and returned["mapi"] is True and returned["imap4"] is True  # on by default
    assert returned["address"] == returned["primary_address"] == "alex@example.com" and returned["aliases"] == []
    assert returned["hidden"] is False and returned["activesync"] is False and returned["login"] == "alex@example.com"
    assert "password" not in returned
    assert result["diff"]["before"] == {"state": "absent"} and result["diff"]["after"]["password"] == "<changed>"
    assert rpc(sb) == [LOOKUP, "addMailbox", INFO, "getEmailAddresses"]
    added, = params_of(sb, "addMailbox")
    assert added == {"alias": "alex", "primary_email_address": "alex@example.com", "size_limit": 2097152,
                     "owa": True, "mapi": True, "imap4": True, "pop3": False, "active_sync": False,
                     "new_user": {"subscription_id": int(SUB), "login": "alex@example.com", "password": PASSWORD,
                                  "display_name": "Alex Smith"}}
    assert PASSWORD not in created.stdout + created.stderr

    sb.clear_log()
    again = run_playbook(play(mailbox(**CREATE)), env=odin_env)
    assert again.rc == 0, again
    assert again["mailbox"]["changed"] is False
    assert rpc(sb) == [LOOKUP, INFO] and sb.writes() == []  # one lookup, one info read, no write

    sb.clear_log()
    change = {**CREATE, "size": 3072, "hidden": True, "imap4": False}
    checked = run_playbook(play(mailbox(**change)), env=odin_env, check=True, diff=True)
    assert checked.rc == 0, checked
    assert checked["mailbox"]["changed"] is True
    assert checked["mailbox"]["diff"]["before"]["size"] == 2048 and checked["mailbox"]["diff"]["after"]["size"] == 3072
    assert checked["mailbox"]["mailbox"]["hidden"] is True  # the predicted record
    assert rpc(sb) == [LOOKUP, INFO] and sb.writes() == []  # check mode: no write at all
    assert '-    "size": 2048' in checked.stdout and '+    "size": 3072' in checked.stdout

    sb.clear_log()
    applied = run_playbook(play(mailbox(**change)), env=odin_env, diff=True)
    assert applied.rc == 0, applied
    assert applied["mailbox"]["changed"] is True
    assert applied["mailbox"]["diff"] == checked["mailbox"]["diff"]  # check mode predicted exactly
    assert applied["mailbox"]["mailbox"]["size"] == 3072 and applied["mailbox"]["mailbox"]["hidden"] is True
    assert rpc(sb, writes_only=True) == ["modifyMailbox"]
    mailbox_id = applied["mailbox"]["mailbox"]["mailbox_id"]
    assert params_of(sb, "modifyMailbox") == [{"mailbox_id": mailbox_id, "size_limit": 3145728,
                                               "show_in_address_book": False, "imap4": False}]
    assert sb.state.mailboxes[mailbox_id].size_limit == 3145728

    sb.clear_log()
    removed = run_playbook(play(mailbox(state="absent")), env=odin_env, diff=True)
    assert removed.rc == 0 and removed["mailbox"]["changed"] is True, removed
    assert removed["mailbox"]["diff"]["after"] == {"state": "absent"}
    assert rpc(sb) == [LOOKUP, INFO, "removeMailbox"]
    assert sb.state.holder("alex@example.com") is None

    sb.clear_log()
    gone = run_playbook(play(mailbox(state="absent")), env=odin_env)
    assert gone.rc == 0 and gone["mailbox"]["changed"] is False, gone
    assert rpc(sb) == [LOOKUP]


@pytest.mark.sandbox(**SANDBOX)
def test_primary_address_service_user_and_login(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox
    result = run_playbook(play(
        task("with service user", "exchange_mailbox", domain=DOMAIN, name="dana", size=512, service_user_id=900,
             primary_address="d.service@example.com"),
        task("with login", "exchange_mailbox", domain=DOMAIN, name="erin", size=512, login="erin.login"),
        task("primary again", "exchange_mailbox", domain=DOMAIN, name="dana", primary_address="d.service@example.com"),
        task("new primary", "exchange_mailbox", domain=DOMAIN, name="bob", primary_address="b.jones@example.com"),
    ), env=odin_env)
    assert result.rc == 0, result
    dana = result["with service user"]["mailbox"]
    assert dana["user_id"] == 900 and dana["display_name"] == "Dana Service" and dana["login"] == "svc.dana"
    assert dana["primary_address"] == "d.service@example.com" and dana["aliases"] == ["dana@example.com"]
    first, second = params_of(sb, "addMailbox")
    assert first["user_id"] == 900 and "new_user" not in first
    assert second["new_user"] == {"subscription_id": int(SUB), "login": "erin.login"}
    assert result["primary again"]["changed"] is False
    bob = result["new primary"]
    assert bob["changed"] is True and bob["mailbox"]["primary_address"] == "b.jones@example.com"
    assert bob["mailbox"]["aliases"] == ["bob@example.com"]  # the old primary stays
    assert params_of(sb, "changePrimaryEmailAddress")[0]["email_address"] == "b.jones@example.com"


@pytest.mark.sandbox(**SANDBOX)
def test_a_size_that_is_not_whole_megabytes_is_reported_exactly_and_corrected(run_playbook, odin_sandbox, odin_env):
    result = run_playbook(play(task("read", "mailbox_info", domain=DOMAIN, name="carol"),
                               mailbox(name="carol", size=1536)), env=odin_env)
    assert result.rc == 0, result
    assert result["read"]["mailboxes"][0]["size"] == 1572865 / 1024.0  # not rounded to 1536
    assert result["mailbox"]["changed"] is True  # so setting 1536 MB is a real change
    assert params_of(odin_sandbox, "modifyMailbox")[0]["size_limit"] == 1572864


@pytest.mark.sandbox(**SANDBOX)
def test_what_odin_cannot_change_fails_clearly_without_a_write(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox
    renamed = run_playbook(play(mailbox(name="bob", display_name="Robert Jones")), env=odin_env)
    assert renamed.rc != 0
    failure = renamed["mailbox"]
    assert failure["msg"] == "odin: bob@example.com: cannot change display_name of an existing mailbox"
    assert failure["provider"] == "odin"
    password = run_playbook(play(mailbox(name="bob", password="N3w-Passw0rd!", update_password="always")),
                            env=odin_env)
    assert password.rc != 0 and "cannot change the password of an existing mailbox" in password["mailbox"]["msg"]
    assert "N3w-Passw0rd!" not in password.stdout + password.stderr
    assert sb.writes() == [] and rpc(sb) == [LOOKUP, INFO, LOOKUP, INFO]
    # The same display name is no change at all, and a password on_create is left alone.
    same = run_playbook(play(mailbox(name="bob", display_name="Bob Jones", password=PASSWORD)), env=odin_env)
    assert same.rc == 0 and same["mailbox"]["changed"] is False, same


@pytest.mark.sandbox(**SANDBOX)
def test_options_of_other_providers_fail_before_any_request(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox
    result = run_playbook(play(
        dict(mailbox(name="bob", first_name="Bob", enabled=False), name="rackspace only", ignore_errors=True),
        dict(mailbox(name="bob", forwarding_address="x@example.com"), name="hostway only", ignore_errors=True),
        dict(task("enabled filter", "mailbox_info", domain=DOMAIN, enabled=True), ignore_errors=True),
        dict(task("blackberry", "mailbox_info", domain=DOMAIN, fields=["blackberry"]), ignore_errors=True),
        dict(mailbox(name="bob", service_user_id=900, password=PASSWORD), name="user and password",
             ignore_errors=True),
    ), env=odin_env)
    assert result.rc == 0, result
    assert result["rackspace only"]["msg"] == "options enabled, first_name not supported by provider odin"
    assert result["hostway only"]["msg"] == "option forwarding_address not supported by provider odin"
    assert "option enabled not supported by provider odin" in result["enabled filter"]["msg"]
    assert "fields=blackberry is not supported by provider odin" in result["blackberry"]["msg"]
    assert "password cannot be set together with service_user_id" in result["user and password"]["msg"]
    assert sb.requests() == []  # not one request


@pytest.mark.sandbox(**SANDBOX)
def test_create_needs_a_size_and_connection_settings_are_checked_first(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox
    no_size = run_playbook(play(mailbox(display_name="Alex")), env=odin_env)
    assert no_size.rc != 0 and "creating a mailbox needs size" in no_size["mailbox"]["msg"]
    assert rpc(sb) == [LOOKUP]
    sb.clear_log()
    without_url = {k: v for k, v in odin_env.items() if k != "HOSTED_EXCHANGE_API_URL"}
    no_url = run_playbook(play(mailbox(name="bob")), env=without_url)
    assert no_url.rc != 0 and "api_url is required for provider odin" in no_url["mailbox"]["msg"]
    without_account = {k: v for k, v in odin_env.items() if k != "HOSTED_EXCHANGE_ACCOUNT"}
    no_account = run_playbook(play(mailbox(name="bob")), env=without_account)
    assert no_account.rc != 0 and "account is required for provider odin" in no_account["mailbox"]["msg"]
    assert sb.requests() == []


@pytest.mark.sandbox(**SANDBOX)
def test_wrong_basic_credentials_fail_clearly_and_are_not_retried(run_playbook, odin_sandbox, odin_env):
    wrong = "not-the-" + odin_env["HOSTED_EXCHANGE_API_SECRET"]
    result = run_playbook(play(mailbox(name="bob")), env=dict(odin_env, HOSTED_EXCHANGE_API_SECRET=wrong),
                          verbosity=3)
    assert result.rc != 0
    failure = result["mailbox"]
    assert failure["status"] == 401 and failure["provider"] == "odin"
    assert failure["msg"] == ("odin: bob@example.com: authentication refused (check api_user and api_secret) "
                              "(HTTP 401)")
    assert [entry["status"] for entry in odin_sandbox.requests()] == [401]
    assert wrong not in result.stdout + result.stderr


@pytest.mark.sandbox(**SANDBOX)
def test_an_unknown_mailbox_is_named_in_a_clear_error(run_playbook, odin_sandbox, odin_env):
    result = run_playbook(play(
        dict(task("alias", "mailbox_alias", domain=DOMAIN, mailbox="ghost", aliases=["g@example.com"]),
             ignore_errors=True),
        dict(task("permission", "mailbox_permission", domain=DOMAIN, mailbox="ghost", grantee="bob",
                  permission="full_access"), ignore_errors=True),
        dict(task("grantee", "mailbox_permission", domain=DOMAIN, mailbox="bob", grantee="ghost",
                  permission="full_access"), ignore_errors=True),
        dict(task("activesync", "activesync_service", domain=DOMAIN, mailbox="ghost"), ignore_errors=True),
        task("info", "mailbox_info", domain=DOMAIN, name="ghost"),
    ), env=odin_env)
    assert result.rc == 0, result
    assert result["alias"]["msg"] == "odin: ghost@example.com: mailbox does not exist"
    assert result["permission"]["msg"] == "odin: ghost@example.com: mailbox does not exist"
    assert result["grantee"]["msg"] == "odin: bob@example.com: grantee ghost@example.com does not exist"
    assert result["activesync"]["msg"] == "odin: ghost@example.com: mailbox does not exist"
    assert result["info"]["mailboxes"] == [] and result["info"]["count"] == 0
    assert odin_sandbox.writes() == []


@pytest.mark.sandbox(**SANDBOX)
def test_aliases_add_rerun_exclusive_and_remove(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox

    def aliases(addresses, **options):
        return task("aliases", "mailbox_alias", domain=DOMAIN, mailbox="carol", aliases=addresses, **options)

    added = run_playbook(play(aliases(["carol.x@example.com", "Carol@Example.org"])), env=odin_env, diff=True)
    assert added.rc == 0 and added["aliases"]["changed"] is True, added
    assert added["aliases"]["added"] == ["carol.x@example.com", "carol@example.org"]
    assert added["aliases"]["aliases"] == ["c@example.com", "carol.x@example.com", "carol@example.org"]
    assert rpc(sb, writes_only=True) == ["addEmailAddresses", "addEmailAddresses"]

    sb.clear_log()
    again = run_playbook(play(aliases(["carol.x@example.com", "carol@example.org"])), env=odin_env)
    assert again["aliases"]["changed"] is False and rpc(sb) == [LOOKUP, INFO], again

    sb.clear_log()
    exclusive = aliases(["carol.x@example.com"], exclusive=True)
    checked = run_playbook(play(exclusive), env=odin_env, check=True, diff=True)
    assert checked["aliases"]["changed"] is True
    assert checked["aliases"]["removed"] == ["c@example.com", "carol@example.org"]
    assert sb.writes() == []
    applied = run_playbook(play(exclusive), env=odin_env, diff=True)
    assert applied["aliases"]["diff"] == checked["aliases"]["diff"]
    assert [p["email_addresses"] for p in params_of(sb, "removeEmailAddresses")] == [["c@example.com"],
                                                                                     ["carol@example.org"]]
    assert sb.state.holder("carol@example.com").addresses == ["carol@example.com", "carol.x@example.com"]

    sb.clear_log()
    removed = run_playbook(play(aliases(["carol.x@example.com"], state="absent")), env=odin_env)
    assert removed["aliases"]["changed"] is True and removed["aliases"]["aliases"] == []
    primary = run_playbook(play(aliases(["carol@example.com"], state="absent")), env=odin_env)
    assert primary.rc != 0 and "is the primary address and cannot be removed" in primary["aliases"]["msg"]
    foreign = run_playbook(play(aliases(["carol@elsewhere.test"])), env=odin_env)
    assert foreign.rc != 0 and "does not belong to subscription" in foreign["aliases"]["msg"]


@pytest.mark.sandbox(**SANDBOX)
def test_permission_full_access_upgraded_to_both_then_revoked(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox

    def grant(permission=None, **options):
        if permission:
            options["permission"] = permission
        return task("grant", "mailbox_permission", domain=DOMAIN, mailbox="bob", grantee="carol", **options)

    first = run_playbook(play(grant("full_access")), env=odin_env, diff=True)
    assert first.rc == 0 and first["grant"]["changed"] is True, first
    assert first["grant"]["permissions"] == [{"grantee": "carol@example.com", "permission": "full_access"}]
    assert rpc(sb, writes_only=True) == ["grantMailboxPermissions"]

    sb.clear_log()
    again = run_playbook(play(grant("full_access")), env=odin_env)
    assert again["grant"]["changed"] is False and sb.writes() == [], again

    sb.clear_log()
    checked = run_playbook(play(grant("both")), env=odin_env, check=True, diff=True)
    assert checked["grant"]["changed"] is True and sb.writes() == []
    assert checked["grant"]["diff"]["before"]["permission"] == "full_access"
    assert checked["grant"]["diff"]["after"]["permission"] == "both"

    sb.clear_log()
    upgraded = run_playbook(play(grant("both")), env=odin_env, diff=True)
    assert upgraded["grant"]["changed"] is True and upgraded["grant"]["diff"] == checked["grant"]["diff"]
    assert rpc(sb, writes_only=True) == ["grantDeliveryPermissions"]  # only the send-as grant is added
    carol = sb.state.holder("carol@example.com").mailbox_id
    assert params_of(sb, "grantDeliveryPermissions") == [
        {"mailbox_id": sb.state.holder("bob@example.com").mailbox_id,
         "permissions": [{"trustee": {"mailbox_id": carol}, "permission": 1}]}]

    info = run_playbook(play(task("info", "mailbox_info", domain=DOMAIN, name="bob", include=["permissions"])),
                        env=odin_env)
    assert info["info"]["mailboxes"][0]["permissions"] == [{"grantee": "carol@example.com", "permission": "both"}]

    sb.clear_log()
    send_as_off = run_playbook(play(grant("send_as", state="absent")), env=odin_env)
    assert send_as_off["grant"]["permission"] == "full_access"
    assert rpc(sb, writes_only=True) == ["revokeDeliveryPermissions"]

    sb.clear_log()
    revoked = run_playbook(play(grant(state="absent")), env=odin_env)
    assert revoked["grant"]["changed"] is True and revoked["grant"]["permissions"] == []
    assert rpc(sb, writes_only=True) == ["revokeMailboxPermissions"]
    sb.clear_log()
    gone = run_playbook(play(grant(state="absent")), env=odin_env)
    assert gone["grant"]["changed"] is False and sb.writes() == []


@pytest.mark.sandbox(**SANDBOX)
def test_activesync_on_and_off(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox

    def activesync(state="present"):
        return task("activesync", "activesync_service", domain=DOMAIN, mailbox="bob", state=state)

    checked = run_playbook(play(activesync()), env=odin_env, check=True)
    assert checked["activesync"]["changed"] is True and sb.writes() == []
    on = run_playbook(play(activesync()), env=odin_env, diff=True)
    assert on.rc == 0 and on["activesync"]["changed"] is True, on
    assert on["activesync"]["enabled"] is True and on["activesync"]["activesync"] == {"enabled": True}
    assert on["activesync"]["diff"]["before"] == {"enabled": False}
    assert params_of(sb, "modifyMailbox") == [{"mailbox_id": sb.state.holder("bob@example.com").mailbox_id,
                                               "active_sync": True}]
    sb.clear_log()
    again = run_playbook(play(activesync()), env=odin_env)
    assert again["activesync"]["changed"] is False and rpc(sb) == [LOOKUP, INFO]
    off = run_playbook(play(activesync("absent")), env=odin_env)
    assert off["activesync"]["changed"] is True and off["activesync"]["activesync"] == {}
    assert sb.state.holder("bob@example.com").active_sync is False


@pytest.mark.sandbox(**SANDBOX)
def test_mailbox_info_listing_and_details(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox
    with sb.lock:
        sb.state.holder("bob@example.com").size = 2048  # KB in use
        sb.state.holder("bob@example.com").full_access.add(sb.state.holder("carol@example.com").mailbox_id)
    result = run_playbook(play(
        task("list", "mailbox_info", domain=DOMAIN),
        task("usage", "mailbox_info", domain=DOMAIN, fields=["current_usage", "size", "activesync"], sort_by="name"),
        task("full", "mailbox_info", domain=DOMAIN, include=["aliases", "permissions", "activesync"]),
        task("other domain", "mailbox_info", domain="example.org"),
    ), env=odin_env)
    assert result.rc == 0, result
    listed = [(m["name"], m["display_name"]) for m in result["list"]["mailboxes"]]
    assert listed == [("bob", "Bob Jones"), ("carol", "Carol")]
    bob, carol = result["usage"]["mailboxes"]
    assert (bob["current_usage"], bob["size"], bob["activesync"]) == (2, 1024, False)
    assert carol["activesync"] is True
    full = dict((m["name"], m) for m in result["full"]["mailboxes"])
    assert full["bob"]["permissions"] == [{"grantee": "carol@example.com", "permission": "full_access"}]
    assert full["carol"]["aliases"] == ["c@example.com"] and full["carol"]["activesync_info"] == {"enabled": True}
    assert full["bob"]["activesync_info"] is None and full["carol"]["mailbox_id"]
    assert result["other domain"]["count"] == 0
    assert sb.writes() == []


@pytest.mark.sandbox(**SANDBOX)
def test_the_onboarding_playbook_runs_on_odin_by_changing_only_the_provider(run_playbook, odin_sandbox, odin_env):
    onboard = [{"import_playbook": str(REPO_ROOT / "playbooks" / "onboard.yml")}]
    env = dict(odin_env, HOSTED_EXCHANGE_INITIAL_PASSWORD=PASSWORD)
    checked = run_playbook(onboard, env=env, check=True, diff=True)
    assert checked.rc == 0, checked
    assert odin_sandbox.writes() == []
    first = run_playbook(onboard, env=env)
    assert first.rc == 0 and "failed=0" in first.stdout, first
    state = odin_sandbox.state
    assert state.holder("maria@example.com") is state.holder("maria.garcia@example.com")
    assert state.holder("maria.garcia@example.com").size_limit == 4096 * 1024
    support = state.holder("support@example.com")
    assert len(support.full_access) == 3
    assert state.holder("alex.smith@example.com").active_sync is True
    odin_sandbox.clear_log()
    second = run_playbook(onboard, env=env)
    assert second.rc == 0 and "changed=0" in second.stdout, second
    assert odin_sandbox.writes() == []
