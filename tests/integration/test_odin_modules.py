"""The five modules on provider odin: real ansible-playbook runs against the Odin XML-RPC sandbox."""

from pathlib import Path

import pytest

from tests.integration.plays import play, task
from tests.sandbox import odin as odin_sandbox_module

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
# What the client reads: the subscription's directory (once per task), a mailbox's info and addresses
# only when the task needs them, the lookup by address only for a grantee outside the directory.
DIRECTORY, INFO, ADDRESSES, LOOKUP = "getMailboxes", "getMailboxInfo", "getEmailAddresses", "getMailboxByEmailAddress"
DOMAIN_LIST = "pem.getDomainList"


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
    assert returned["address"] == returned["primary_address"] == "alex@example.com"
    assert "aliases" not in returned  # exchange_mailbox does not manage aliases: getEmailAddresses is not paid for
    assert returned["hidden"] is False and returned["activesync"] is False and returned["login"] == "alex@example.com"
    assert "password" not in returned
    assert result["diff"]["before"] == {"state": "absent"} and result["diff"]["after"]["password"] == "<changed>"
    # the directory (alex absent, example.com has mailboxes: no domain list), the create, the result's info read
    assert rpc(sb) == [DIRECTORY, "addMailbox", INFO]
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
    assert rpc(sb) == [DIRECTORY, INFO] and sb.writes() == []  # one directory read, one info read, no write
    assert params_of(sb, "getMailboxes") == [{"subscription_id": int(SUB)}]

    sb.clear_log()
    change = {**CREATE, "size": 3072, "hidden": True, "imap4": False}
    checked = run_playbook(play(mailbox(**change)), env=odin_env, check=True, diff=True)
    assert checked.rc == 0, checked
    assert checked["mailbox"]["changed"] is True
    assert checked["mailbox"]["diff"]["before"]["size"] == 2048 and checked["mailbox"]["diff"]["after"]["size"] == 3072
    assert checked["mailbox"]["mailbox"]["hidden"] is True  # the predicted record
    assert rpc(sb) == [DIRECTORY, INFO] and sb.writes() == []  # check mode: no write at all
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
    assert rpc(sb) == [DIRECTORY, INFO, "removeMailbox"]
    assert sb.state.holder("alex@example.com") is None

    sb.clear_log()
    gone = run_playbook(play(mailbox(state="absent")), env=odin_env)
    assert gone.rc == 0 and gone["mailbox"]["changed"] is False, gone
    assert rpc(sb) == [DIRECTORY]  # absent from the directory of a domain that has mailboxes: no further read


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
    assert dana["user_id"] == 900 and dana["display_name"] == "Dana Service"
    assert dana["primary_address"] == "d.service@example.com"
    # name@domain stays on the mailbox: how every later task finds it (exchange_mailbox returns no aliases)
    assert sb.state.holder("dana@example.com").addresses == ["d.service@example.com", "dana@example.com"]
    first, second = params_of(sb, "addMailbox")
    assert first["user_id"] == 900 and "new_user" not in first
    assert second["new_user"] == {"subscription_id": int(SUB), "login": "erin.login"}
    assert result["primary again"]["changed"] is False
    bob = result["new primary"]
    assert bob["changed"] is True and bob["mailbox"]["primary_address"] == "b.jones@example.com"
    assert sb.state.holder("b.jones@example.com").addresses == ["b.jones@example.com", "bob@example.com"]  # old stays
    # One directory read per task. A mailbox whose primary address is not name@domain is found through its
    # Exchange alias and its addresses: dana in "primary again", bob after his primary address changed.
    assert rpc(sb) == [DIRECTORY, "addMailbox", INFO,
                       DIRECTORY, "addMailbox", INFO,
                       DIRECTORY, ADDRESSES, INFO,
                       DIRECTORY, INFO, "changePrimaryEmailAddress", ADDRESSES, INFO]
    assert dana["login"] == "svc.dana"  # the service user's login, not the one a new user would have had
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
    assert sb.writes() == [] and rpc(sb) == [DIRECTORY, INFO, DIRECTORY, INFO]
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
    assert rpc(sb) == [DIRECTORY]
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
    # The directory is the first read, so the error names the subscription.
    assert failure["msg"] == ("odin: subscription 1000042: authentication refused (check api_user and api_secret) "
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
    assert result["permission"]["msg"] == "odin: ghost@example.com: mailbox does not exist in subscription 1000042"
    assert result["grantee"]["msg"] == ("odin: bob@example.com: grantee ghost@example.com is not a mailbox of subscription "
                                        "1000042; refused")
    assert result["activesync"]["msg"] == "odin: ghost@example.com: mailbox does not exist in subscription 1000042"
    assert result["info"]["mailboxes"] == [] and result["info"]["count"] == 0
    assert odin_sandbox.writes() == []
    # Absence comes from the directory; the lookup is asked only about the grantee (a name outside the directory).
    assert rpc(odin_sandbox).count(LOOKUP) == 1
    assert params_of(odin_sandbox, LOOKUP) == [{"email_address": "ghost@example.com"}]
    assert result["alias"]["msg"] == "odin: ghost@example.com: mailbox does not exist in subscription 1000042"


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
    # + the domain list for the example.org alias (no mailbox of the directory has its primary address there),
    # read while planning: a domain that is not the subscription's fails before the first write
    assert rpc(sb) == [DIRECTORY, ADDRESSES, DOMAIN_LIST, "addEmailAddresses", "addEmailAddresses"]
    assert [p["email_addresses"] for p in params_of(sb, "addEmailAddresses")] == [["carol.x@example.com"],
                                                                                  ["carol@example.org"]]

    sb.clear_log()
    again = run_playbook(play(aliases(["carol.x@example.com", "carol@example.org"])), env=odin_env)
    assert again["aliases"]["changed"] is False and rpc(sb) == [DIRECTORY, ADDRESSES], again

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
    sb.clear_log()
    primary = run_playbook(play(aliases(["carol@example.com"], state="absent")), env=odin_env)
    assert primary.rc != 0
    assert primary["aliases"]["msg"] == "odin: carol@example.com: carol@example.com cannot be removed: it is the primary address"
    assert sb.writes() == []
    # elsewhere.test is a domain of subscription 7, not of ours
    foreign = run_playbook(play(aliases(["carol@elsewhere.test"])), env=odin_env)
    assert foreign.rc != 0
    assert foreign["aliases"]["msg"] == ("odin: carol@elsewhere.test: the alias's domain elsewhere.test is not a "
                                         "domain of subscription 1000042")
    assert sb.writes() == []
    # check mode knows it too: the domain check comes before any write, so both runs agree
    checked = run_playbook(play(aliases(["carol@elsewhere.test"])), env=odin_env, check=True)
    assert checked.rc != 0 and checked["aliases"]["msg"] == foreign["aliases"]["msg"]


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
    assert info.rc == 0, info

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
    # mailbox_info returns grants as {grantee, permission}, like mailbox_permission (no internal key)
    assert info["info"]["mailboxes"][0]["permissions"] == [{"grantee": "carol@example.com", "permission": "both"}]


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
    assert again["activesync"]["changed"] is False and rpc(sb) == [DIRECTORY, INFO]
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
    # Listing records carry the mailbox id and the primary address the directory gives.
    assert [(m["mailbox_id"], m["primary_address"], m["address"]) for m in result["list"]["mailboxes"]] == [
        (sb.state.holder("bob@example.com").mailbox_id, "bob@example.com", "bob@example.com"),
        (sb.state.holder("carol@example.com").mailbox_id, "carol@example.com", "carol@example.com")]
    bob, carol = result["usage"]["mailboxes"]
    assert (bob["current_usage"], bob["size"], bob["activesync"]) == (2, 1024, False)
    assert carol["activesync"] is True
    full = dict((m["name"], m) for m in result["full"]["mailboxes"])
    assert full["carol"]["aliases"] == ["c@example.com"] and full["carol"]["activesync_info"] == {"enabled": True}
    assert full["bob"]["activesync_info"] is None and full["carol"]["mailbox_id"]
    assert result["other domain"]["count"] == 0  # a domain of the subscription without mailboxes
    assert sb.writes() == []
    # One directory read per task; the domain list only for example.org, where no directory entry lives.
    assert rpc(sb).count(DIRECTORY) == 4 and rpc(sb).count(DOMAIN_LIST) == 1 and LOOKUP not in rpc(sb)
    assert full["bob"]["permissions"] == [{"grantee": "carol@example.com", "permission": "full_access"}]


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


# --- the subscription's directory decides what exists and what belongs to the account ---------------------------

OTHER_SUB = "7"
TWO_SUBSCRIPTIONS = {
    "subscriptions": {
        # The sandbox lets two subscriptions list one domain (shared.test): the strictest case, where only
        # the directory can tell whose mailbox an address is.
        SUB: {"domains": [DOMAIN, "shared.test"], "mailboxes": [
            {"email_address": "bob@example.com", "display_name": "Bob Jones", "size_limit": 1048576},
        ]},
        OTHER_SUB: {"domains": ["elsewhere.test", "shared.test"], "mailboxes": [
            {"email_address": "eve@elsewhere.test", "display_name": "Eve", "size_limit": 1048576},
            {"email_address": "zed@shared.test", "display_name": "Zed", "size_limit": 1048576},
        ]},
    },
}


def ids_touched(sandbox):
    """Every mailbox id any call named (as mailbox_id or a trustee)."""
    touched = set()
    for params in (entry.get("rpc_params") for entry in sandbox.requests()):
        if isinstance(params, dict):
            if "mailbox_id" in params:
                touched.add(params["mailbox_id"])
            for grant in params.get("permissions") or []:
                touched.add(grant["trustee"]["mailbox_id"])
    return touched


@pytest.mark.sandbox(fixture=TWO_SUBSCRIPTIONS, account=SUB)
def test_a_mailbox_of_another_subscription_is_never_found_read_or_changed(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox
    eve, zed = sb.state.holder("eve@elsewhere.test"), sb.state.holder("zed@shared.test")
    unknown = "odin: domain elsewhere.test is not a domain of subscription 1000042 (check domain and account)"

    def tasks():
        return play(
            dict(task("remove eve", "exchange_mailbox", domain="elsewhere.test", name="eve", state="absent"),
                 ignore_errors=True),
            dict(task("eve again", "exchange_mailbox", domain="elsewhere.test", name="eve", size=1024),
                 ignore_errors=True),
            dict(task("list elsewhere", "mailbox_info", domain="elsewhere.test"), ignore_errors=True),
            dict(task("read eve", "mailbox_info", domain="elsewhere.test", name="eve"), ignore_errors=True),
            dict(task("eve aliases", "mailbox_alias", domain="elsewhere.test", mailbox="eve",
                      aliases=["e@elsewhere.test"]), ignore_errors=True),
            dict(task("eve activesync", "activesync_service", domain="elsewhere.test", mailbox="eve"),
                 ignore_errors=True),
            dict(task("eve permission", "mailbox_permission", domain="elsewhere.test", mailbox="eve",
                      grantee="bob@example.com", permission="full_access"), ignore_errors=True),
            # zed@shared.test is subscription 7's: for subscription 1000042 it does not exist.
            task("remove zed", "exchange_mailbox", domain="shared.test", name="zed", state="absent"),
            task("list shared", "mailbox_info", domain="shared.test"),
            task("read zed", "mailbox_info", domain="shared.test", name="zed"),
        )

    wrong = {}
    for check in (True, False):
        sb.clear_log()
        result = run_playbook(tasks(), env=odin_env, check=check)
        assert result.rc == 0, result
        for name in ("remove eve", "eve again", "list elsewhere", "read eve", "eve aliases", "eve activesync",
                     "eve permission"):
            if not (result[name].get("failed") is True and result[name]["msg"] == unknown):
                wrong["%s (check=%s)" % (name, check)] = dict(changed=result[name].get("changed"),
                                                              msg=result[name].get("msg"))
        assert result["remove zed"]["changed"] is False and result["remove zed"]["mailbox"] == {}
        assert result["list shared"]["count"] == 0 and result["read zed"]["count"] == 0
        assert sb.writes() == []
        assert not ids_touched(sb) & {eve.mailbox_id, zed.mailbox_id}  # never read, never changed
        assert LOOKUP not in rpc(sb)  # existence and ownership from the directory, never from the lookup
        # every listing asked of the platform was of our own subscription
        listings = [entry["rpc_params"] for entry in sb.requests()
                    if entry.get("rpc_method") in ("pem.exchange.getMailboxes", DOMAIN_LIST)]
        assert listings and all(params == {"subscription_id": int(SUB)} for params in listings)
    assert sb.state.holder("eve@elsewhere.test") is eve and sb.state.holder("zed@shared.test") is zed
    assert wrong == {}  # every task on a mailbox of a domain of subscription 7 fails naming the scope


@pytest.mark.sandbox(fixture=TWO_SUBSCRIPTIONS, account=SUB)
def test_a_grantee_of_another_subscription_is_refused(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox
    for check in (True, False):
        sb.clear_log()
        result = run_playbook(play(
            dict(task("eve", "mailbox_permission", domain=DOMAIN, mailbox="bob", grantee="eve@elsewhere.test",
                      permission="full_access"), ignore_errors=True),
            dict(task("zed", "mailbox_permission", domain=DOMAIN, mailbox="bob", grantee="zed@shared.test",
                      permission="send_as"), ignore_errors=True),
        ), env=odin_env, check=check)
        assert result.rc == 0, result
        # refused without saying more than "not ours" (it does not reveal another customer's mailbox exists)
        assert result["eve"]["msg"] == "odin: grantee eve@elsewhere.test is not a mailbox of subscription 1000042; refused"
        assert result["zed"]["msg"] == "odin: grantee zed@shared.test is not a mailbox of subscription 1000042; refused"
        assert sb.writes() == []
        # the directory, bob's grants, then the lookup of the address no directory entry has
        assert rpc(sb) == [DIRECTORY, "getMailboxPermissions", "getDeliveryPermissions", LOOKUP] * 2
    assert not sb.state.holder("bob@example.com").full_access and not sb.state.holder("bob@example.com").delivery


@pytest.mark.sandbox(**SANDBOX)
@pytest.mark.parametrize("wording", ["Mailbox with e-mail address bob@example.com not found", "Object does not exist",
                                     "Internal error: database unavailable"])
def test_status_minus_one_with_any_wording_is_never_taken_for_absence(run_playbook, odin_sandbox, odin_env,
                                                                      monkeypatch, wording):
    sb = odin_sandbox

    def refused(_state, _args):
        raise odin_sandbox_module.OdinError(wording, odin_sandbox_module.EXTYPE_NOT_FOUND)

    monkeypatch.setitem(odin_sandbox_module.METHODS, "pem.exchange.getMailboxInfo", (refused, False))
    result = run_playbook(play(
        dict(mailbox(name="bob", size=1024), name="present", ignore_errors=True),
        dict(mailbox(name="bob", state="absent"), name="absent", ignore_errors=True),
        dict(task("info", "mailbox_info", domain=DOMAIN, name="bob"), ignore_errors=True),
        dict(task("activesync", "activesync_service", domain=DOMAIN, mailbox="bob"), ignore_errors=True),
    ), env=odin_env)
    assert result.rc == 0, result
    expected = "odin: bob@example.com: pem.exchange.getMailboxInfo refused: %s" % wording
    for name in ("present", "absent", "info", "activesync"):
        assert result[name].get("failed") is True and result[name]["msg"] == expected, (name, result[name])
    assert sb.writes() == [] and "addMailbox" not in rpc(sb) and LOOKUP not in rpc(sb)

    # A refused directory read is an unknown subscription, never an empty one.
    monkeypatch.setitem(odin_sandbox_module.METHODS, "pem.exchange.getMailboxes", (refused, False))
    sb.clear_log()
    result = run_playbook(play(
        dict(mailbox(name="alex", size=1024), name="create", ignore_errors=True),
        dict(task("list", "mailbox_info", domain=DOMAIN), ignore_errors=True),
    ), env=odin_env)
    assert result.rc == 0, result
    for name in ("create", "list"):
        assert result[name]["msg"] == ("odin: cannot list the mailboxes of subscription 1000042 (check account): %s"
                                       % wording), (name, result[name])
    assert sb.writes() == [] and rpc(sb) == [DIRECTORY, DIRECTORY]


@pytest.mark.sandbox(fixture={"subscriptions": {SUB: {"domains": [DOMAIN], "mailboxes": [
    {"email_address": "bob@example.com", "display_name": "Bob Jones", "size_limit": 1048576},
    {"email_address": "carol@example.com", "display_name": "Carol", "size_limit": 1048576,
     "email_addresses": ["c@example.com"]},
    {"email_address": "robert@example.com", "display_name": "Robert", "size_limit": 1048576, "alias": "rob"},
]}}}, account=SUB)
def test_grants_are_matched_by_the_grantees_mailbox_not_by_the_text_of_an_address(run_playbook, odin_sandbox,
                                                                                  odin_env):
    sb = odin_sandbox
    carol = sb.state.holder("carol@example.com").mailbox_id
    with sb.lock:
        sb.state.holder("bob@example.com").full_access.add(carol)

    def grant(grantee, **options):
        return task("grant", "mailbox_permission", domain=DOMAIN, mailbox="bob", grantee=grantee, **options)

    # carol's grant, named by another address of hers: the same grant, no change.
    same = run_playbook(play(grant("c@example.com", permission="full_access")), env=odin_env)
    assert same.rc == 0 and same["grant"]["changed"] is False, same
    assert same["grant"]["grantee"] == "carol@example.com"
    assert same["grant"]["permissions"] == [{"grantee": "carol@example.com", "permission": "full_access"}]
    # not in the listed grants by that text: resolved to carol's mailbox with one lookup
    assert rpc(sb) == [DIRECTORY, "getMailboxPermissions", "getDeliveryPermissions", LOOKUP]
    assert params_of(sb, LOOKUP) == [{"email_address": "c@example.com"}]

    # named by the primary address the list shows: matched in the list, no lookup
    sb.clear_log()
    listed = run_playbook(play(grant("carol", permission="full_access")), env=odin_env)
    assert listed["grant"]["changed"] is False and rpc(sb) == [DIRECTORY, "getMailboxPermissions",
                                                               "getDeliveryPermissions"], listed

    sb.clear_log()
    checked = run_playbook(play(grant("c@example.com", state="absent")), env=odin_env, check=True, diff=True)
    assert checked["grant"]["changed"] is True and sb.writes() == []
    revoked = run_playbook(play(grant("c@example.com", state="absent")), env=odin_env, diff=True)
    assert revoked["grant"]["changed"] is True and revoked["grant"]["diff"] == checked["grant"]["diff"]
    assert revoked["grant"]["permissions"] == []
    assert params_of(sb, "revokeMailboxPermissions") == [
        {"mailbox_id": sb.state.holder("bob@example.com").mailbox_id, "trustees": [{"mailbox_id": carol}]}]
    assert not sb.state.holder("bob@example.com").full_access

    # rob@example.com is no address at all, though robert's Exchange alias is "rob": no such grantee.
    sb.clear_log()
    nobody = run_playbook(play(dict(grant("rob", permission="send_as"), ignore_errors=True)), env=odin_env)
    assert nobody["grant"]["msg"] == ("odin: bob@example.com: grantee rob@example.com is not a mailbox of subscription "
                                      "1000042; refused")
    assert sb.writes() == []


@pytest.mark.sandbox(fixture={"subscriptions": {SUB: {"domains": [DOMAIN], "mailboxes": [
    {"email_address": "r.smith@example.com", "alias": "rob", "display_name": "Rob Smith", "size_limit": 1048576,
     "email_addresses": ["rob@example.com", "rs@example.com"]},
]}}}, account=SUB)
def test_exclusive_aliases_keep_the_address_the_mailbox_is_found_by(run_playbook, odin_sandbox, odin_env):
    sb = odin_sandbox
    exclusive = task("aliases", "mailbox_alias", domain=DOMAIN, mailbox="rob", aliases=["new.rob@example.com"],
                     exclusive=True)
    checked = run_playbook(play(exclusive), env=odin_env, check=True, diff=True)
    assert checked.rc == 0 and checked["aliases"]["changed"] is True, checked
    assert checked["aliases"]["removed"] == ["rs@example.com"]  # never rob@example.com
    assert checked["aliases"]["aliases"] == ["new.rob@example.com", "rob@example.com"]
    warning = "rob@example.com kept on rob@example.com: provider odin finds the mailbox by it"
    assert checked["aliases"]["warnings"] == [warning]
    assert sb.writes() == []

    applied = run_playbook(play(exclusive), env=odin_env, diff=True)
    assert applied.rc == 0, applied
    for key in ("diff", "added", "removed", "aliases", "addresses"):
        assert applied["aliases"][key] == checked["aliases"][key], key  # check mode predicted exactly
    assert applied["aliases"]["warnings"] == [warning]
    assert rpc(sb, writes_only=True) == ["addEmailAddresses", "removeEmailAddresses"]
    assert sb.state.holder("rob@example.com").addresses == ["r.smith@example.com", "rob@example.com",
                                                            "new.rob@example.com"]

    sb.clear_log()
    again = run_playbook(play(exclusive), env=odin_env)
    assert again["aliases"]["changed"] is False and sb.writes() == [], again

    refused = run_playbook(play(task("aliases", "mailbox_alias", domain=DOMAIN, mailbox="rob",
                                     aliases=["rob@example.com"], state="absent")), env=odin_env)
    assert refused.rc != 0
    assert refused["aliases"]["msg"] == ("odin: rob@example.com: rob@example.com cannot be removed: the collection "
                                         "finds the mailbox by it")
    assert sb.writes() == []
