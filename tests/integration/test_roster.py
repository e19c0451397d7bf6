"""mailbox_roster on every provider: create many, rerun unchanged, check-mode drift, apply, unlisted, a failing entry.

Each provider runs the same rhythm against its sandbox; request counts are asserted from the sandbox's log
against the floor the module documents.
"""

import math

import pytest

from tests.integration.plays import play, task

DOMAIN = "example.com"
PASSWORD = "Onb0arding-Pw!42"
SUB = "1000042"
HIRES = ["alex", "bea", "cy", "dee", "eli"]


def roster(mailboxes, **options):
    return task("roster", "mailbox_roster", domain=DOMAIN, mailboxes=mailboxes, **options)


def run_roster(run_playbook, env, mailboxes, check=False, **options):
    result = run_playbook(play(roster(mailboxes, **options)), env=env, check=check, diff=True)
    return result, result["roster"]


def split(sandbox):
    """(reads, writes) the sandbox served (Odin's calls are all POSTs; its log says which wrote)."""
    writes = sandbox.writes()
    return len(sandbox.requests()) - len(writes), writes


# --- Rackspace --------------------------------------------------------------------------------------

RS_FIXTURE = {"domains": {DOMAIN: {"mailboxes": [
    {"name": "support", "displayName": "Support", "size": 2048},
    {"name": "old.timer", "displayName": "Old Timer", "size": 1024},
    {"name": "admin", "displayName": "Admin", "size": 1024},
]}, "example.org": {}}}


def hires_with(fields, aliases_and_activesync=True):
    """HIRES as roster entries: fields(name) gives each its provider's fields; where the provider has them,
    every other hire gets an alias and two get ActiveSync."""
    entries = []
    for number, name in enumerate(HIRES):
        entry = dict(name=name, display_name="%s Hire" % name.title(), **fields(name))
        if aliases_and_activesync and number % 2 == 0:
            entry["aliases"] = ["%s.hire@example.com" % name]
        if aliases_and_activesync and number in (1, 3):
            entry["activesync"] = True
        entries.append(entry)
    return entries


def rs_hires():
    return hires_with(lambda name: dict(size=1024, first_name=name.title(), department="Finance"))


def rs_delegates():
    return [dict(mailbox="support", grantee=name, permission="full_access") for name in HIRES]


@pytest.mark.sandbox(fixture=RS_FIXTURE, time_scale=0.01)
def test_rackspace_roster_rhythm(run_playbook, rackspace_sandbox, rackspace_env):
    # the sandbox's minute lasts 0.6 s and the client paces to it: the same limits, less waiting
    rackspace_env = dict(rackspace_env, HOSTED_EXCHANGE_RATE_WINDOW="0.6")
    sb, hires, delegates = rackspace_sandbox, rs_hires(), rs_delegates()
    options = dict(password=PASSWORD, delegates=delegates, unlisted_keep=["admin"])

    # 1. check mode first: exactly what the real run will report, and no write
    predicted, checked = run_roster(run_playbook, rackspace_env, hires, check=True, **options)
    assert predicted.rc == 0, predicted
    assert checked["changed"] and checked["created"] == HIRES and checked["updated"] == []
    assert sb.writes() == []
    # reads: the domain listing (1 page) and support's permissions (1 page): nobody else exists yet
    assert [r["path"].split("/ex/")[1] for r in sb.requests()] == ["mailboxes", "mailboxes/support/permissions"]
    assert sb.requests()[0]["query"]["size"] == "250"

    sb.clear_log()
    created, result = run_roster(run_playbook, rackspace_env, hires, **options)
    assert created.rc == 0, created
    for key in ("changed", "created", "updated", "unchanged", "failed_entries", "changes", "delegates"):
        assert result[key] == checked[key], key
    assert result["diff"] == checked["diff"]
    reads, writes = split(sb)
    assert reads == 2  # no read-back: the plan already says what each mailbox is
    # every write is a POST: 5 creates, 3 aliases, 2 ActiveSync attachments, 5 grants
    routes = sorted(w["path"].split("/ex/mailboxes/")[1].split("/")[1] if "/" in w["path"].split("/ex/mailboxes/")[1]
                    else "create" for w in writes)
    assert [w["method"] for w in writes] == ["POST"] * 15
    assert routes == ["activesyncmobileservice"] * 2 + ["create"] * 5 + ["emailaddresses"] * 3 + ["permissions"] * 5
    state = sb.state.domain(DOMAIN)
    assert sorted(state.mailboxes["alex"].aliases) == ["alex.hire@example.com"]
    assert state.mailboxes["bea"].active_sync and not state.mailboxes["cy"].active_sync
    assert state.mailboxes["eli"].contact["department"] == "Finance"
    assert state.mailboxes["support"].permissions[state.mailboxes["dee"].key] == "fullAccess"
    assert PASSWORD not in created.stdout + created.stderr
    alex = next(diff for diff in result["diff"] if diff["after_header"] == "mailbox alex@example.com (rackspace)")
    assert alex["before"] == {"state": "absent", "aliases": []} and alex["after"]["password"] == "<changed>"
    assert result["changes"] == {} and result["delegates"]["support"]["alex@example.com"] == [None, "full_access"]

    # 2. rerun: nothing to do, at the read floor: listing + one show per hire (they ask for more than the
    # listing carries) + support's permission page, and not one write
    sb.clear_log()
    again, result = run_roster(run_playbook, rackspace_env, hires, **options)
    assert again.rc == 0 and result["changed"] is False, again
    assert result["unchanged"] == HIRES and result["diff"] == []
    reads, writes = split(sb)
    assert writes == [] and reads == 1 + len(HIRES) + 1

    # 3. drift made by someone else, found by a check run and shown as a readable diff
    with sb.lock:
        state.mailboxes["bea"].contact["department"] = "Sales"
        state.mailboxes["cy"].aliases = []
        state.mailboxes["dee"].active_sync = False
        del state.mailboxes["support"].permissions[state.mailboxes["eli"].key]
    sb.clear_log()
    drift, checked = run_roster(run_playbook, rackspace_env, hires, check=True, **options)
    assert drift.rc == 0 and checked["changed"], drift
    assert checked["updated"] == ["bea", "cy", "dee"] and checked["created"] == []
    # changes hold only what drifted (the drift report's rows); the diff shows every field the list manages
    assert checked["changes"]["bea"] == {"department": ["Sales", "Finance"]}
    assert checked["changes"]["cy"] == {"aliases": [[], ["cy.hire@example.com"]]}
    assert checked["delegates"] == {"support": {"eli@example.com": [None, "full_access"]}}
    bea = next(diff for diff in checked["diff"] if diff["after_header"] == "mailbox bea@example.com (rackspace)")
    assert bea["after"] == {"department": "Finance", "display_name": "Bea Hire", "first_name": "Bea", "size": 1024,
                            "state": "present", "activesync": True}
    assert '-    "department": "Sales"' in drift.stdout and '+    "department": "Finance"' in drift.stdout
    assert "mailbox bea@example.com (rackspace)" in drift.stdout
    assert sb.writes() == []

    # 4. apply: the same report, then the state is right again
    sb.clear_log()
    applied, result = run_roster(run_playbook, rackspace_env, hires, **options)
    assert applied.rc == 0, applied
    assert result["updated"] == checked["updated"] and result["changes"] == checked["changes"]
    assert [w["method"] for w in sb.writes()] == ["PUT", "POST", "POST", "POST"]
    assert state.mailboxes["bea"].contact["department"] == "Finance" and state.mailboxes["dee"].active_sync
    assert run_roster(run_playbook, rackspace_env, hires, **options)[1]["changed"] is False

    # 5. unlisted: old.timer is nobody's (admin is kept, support is a delegated mailbox)
    sb.clear_log()
    report, result = run_roster(run_playbook, rackspace_env, hires, unlisted="report", **options)
    assert report.rc == 0 and result["unlisted"] == ["old.timer"] and result["changed"] is False, report
    checked = run_roster(run_playbook, rackspace_env, hires, check=True, unlisted="disable", **options)[1]
    assert checked["disabled"] == ["old.timer"] and checked["changed"] and sb.writes() == []
    disabled = run_roster(run_playbook, rackspace_env, hires, unlisted="disable", **options)[1]
    assert disabled["disabled"] == ["old.timer"] and state.mailboxes["old.timer"].settings["enabled"] is False
    assert disabled["changes"]["old.timer"] == {"enabled": [True, False], "state": ["present", "disabled"]}
    again = run_roster(run_playbook, rackspace_env, hires, unlisted="disable", **options)[1]
    assert again["changed"] is False and again["disabled"] == []
    removed = run_roster(run_playbook, rackspace_env, hires, unlisted="remove", **options)[1]
    assert removed["removed"] == ["old.timer"] and "old.timer" not in state.mailboxes
    assert sorted(state.mailboxes) == sorted(HIRES + ["admin", "support"])


@pytest.mark.sandbox(fixture=RS_FIXTURE)
def test_rackspace_one_failing_entry_does_not_stop_the_others(run_playbook, rackspace_sandbox, rackspace_env):
    sb = rackspace_sandbox
    entries = [
        dict(name="gil", display_name="Gil", size=1024),
        dict(name="o'hara", display_name="O Hara", size=1024),  # an invalid name: nothing is sent for it
        dict(name="arding", display_name="Arding", size=1024),  # the password contains the name: refused by its rules
        dict(name="hal", display_name="Hal", size=1024, aliases=["hal@notmine.com"]),  # not the customer's domain
        dict(name="joe", display_name="Joe <j>", size=1024, aliases=["joe.j@example.com"]),  # only the provider knows
        dict(name="kim", display_name="Kim", size=1024, aliases=["old.timer@example.com"]),  # taken: the listing says so
        dict(name="ivy", display_name="Ivy", size=1024),
    ]
    delegates = [dict(mailbox="support", grantee="ivy", permission="send_as"),
                 dict(mailbox="support", grantee="nobody", permission="send_as")]
    checked = run_playbook(play(roster(entries, password=PASSWORD, delegates=delegates)), env=rackspace_env,
                           check=True)["roster"]
    assert sb.writes() == []
    result = run_playbook(play(roster(entries, password=PASSWORD, delegates=delegates)), env=rackspace_env)["roster"]
    assert result["failed_entries"] == ["o'hara", "arding", "hal", "joe", "kim", "delegate nobody on support"], result
    # what could be known in advance, check mode knew: the static failures, the foreign alias domain, the alias
    # another mailbox holds (old.timer's own address, in the listing it read), the missing grantee; only what the
    # provider alone decides (its display-name rules) shows in the real run
    assert checked["failed_entries"] == ["o'hara", "arding", "hal", "kim", "delegate nobody on support"]
    assert checked["created"] == ["gil", "joe", "ivy"] and result["created"] == ["gil", "ivy"]
    assert result["changed"] is True
    assert "invalid mailbox name \"o'hara\"" in result["errors"]["o'hara"]
    assert "must not contain the mailbox name" in result["errors"]["arding"] or \
        "not contain the mailbox name or display name" in result["errors"]["arding"]
    assert result["errors"]["hal"] == "rackspace: hal@notmine.com: the alias's domain notmine.com is not a domain of customer me"
    assert "Invalid display name" in result["errors"]["joe"] and "created" not in result["errors"]["joe"]
    # kim's alias is old.timer's address: refused before anything is sent for kim, in both modes alike
    assert result["errors"]["kim"] == checked["errors"]["kim"] == (
        "rackspace: kim@example.com: old.timer@example.com is held by mailbox old.timer, and this list does not "
        "release it there")
    assert "grantee nobody@example.com does not exist" in result["errors"]["delegate nobody on support"]
    assert result["msg"].startswith("6 of the roster's entries failed: o'hara: ")
    state = sb.state.domain(DOMAIN)
    assert {"gil", "ivy"} <= set(state.mailboxes) and not {"arding", "hal", "joe", "kim"} & set(state.mailboxes)
    assert state.mailboxes["support"].permissions[state.mailboxes["ivy"].key] == "sendAs"
    assert result["delegates"] == {"support": {"ivy@example.com": [None, "send_as"]}}


@pytest.mark.sandbox(fixture=RS_FIXTURE)
def test_rackspace_options_a_provider_cannot_honour_fail_before_any_request(run_playbook, rackspace_sandbox,
                                                                            rackspace_env):
    entries = [dict(name="jo", display_name="Jo", size=1024, pop3=False), dict(name="kim", owa=True, pop3=True)]
    result = run_playbook(play(roster(entries, password=PASSWORD)), env=rackspace_env)
    assert result.rc != 0
    assert result["roster"]["msg"] == ("option owa not supported by provider rackspace (kim); "
                                       "option pop3 not supported by provider rackspace (jo, kim)")
    assert rackspace_sandbox.requests() == []
    typo = run_playbook(play(task("roster", "mailbox_roster", domain="exampel.com", mailboxes=[dict(name="jo")],
                                  unlisted="report")), env=rackspace_env, check=True)
    assert typo.rc != 0 and "domain exampel.com is not a hosted Exchange domain of customer me" in typo["roster"]["msg"]
    assert len(rackspace_sandbox.requests()) == 1 and rackspace_sandbox.writes() == []


FAST = 0.01  # the sandbox's minute lasts 0.6 s; the client paces to the same window (60 reads, 30 writes in it)


def paced(env, scale=FAST):
    return dict(env, HOSTED_EXCHANGE_RATE_WINDOW=str(60 * scale))


def generated(count, start=1):
    return [dict(name="user%04d" % number, display_name="User %d" % number, size=512, first_name="U%d" % number)
            for number in range(start, start + count)]


@pytest.mark.sandbox(fixture={"domains": {DOMAIN: {"generate": {"prefix": "user", "count": 600, "width": 4,
                                                                "size": 512}}}}, time_scale=FAST)
def test_rackspace_compliant_run_over_many_stays_at_the_read_floor(run_playbook, rackspace_sandbox, rackspace_env):
    sb = rackspace_sandbox
    with sb.lock:
        for mailbox in sb.state.domain(DOMAIN).mailboxes.values():
            number = int(mailbox.name[4:])
            mailbox.settings["displayName"] = "User %d" % number
            mailbox.contact["firstName"] = "U%d" % number
    entries = generated(600)
    result = run_playbook(play(roster(entries)), env=paced(rackspace_env), check=True)
    assert result.rc == 0 and result["roster"]["changed"] is False, result
    reads, writes = split(sb)
    floor = 600 + math.ceil(600 / 250)
    assert writes == [] and reads == floor  # the floor exactly; the issue allows 1.1 x
    assert 403 not in [r["status"] for r in sb.requests()]  # paced inside the limit: never throttled
    # entries that ask only for what the listing carries cost no read of their own
    sb.clear_log()
    lean = [dict(name=e["name"], display_name=e["display_name"], size=512) for e in entries]
    result = run_playbook(play(roster(lean)), env=paced(rackspace_env), check=True)
    assert result["roster"]["changed"] is False and split(sb) == (math.ceil(600 / 250), [])


# --- Odin -------------------------------------------------------------------------------------------

ODIN_FIXTURE = {"subscriptions": {
    SUB: {"domains": [DOMAIN], "mailboxes": [
        {"email_address": "support@example.com", "display_name": "Support", "size_limit": 2097152},
        {"email_address": "old.timer@example.com", "display_name": "Old Timer", "size_limit": 1048576},
    ]},
    "7": {"domains": ["elsewhere.test"], "mailboxes": [
        {"email_address": "stranger@elsewhere.test", "display_name": "Stranger", "size_limit": 1048576}]},
}}


def odin_hires():
    return hires_with(lambda name: dict(size=1024, pop3=False))


def odin_boxes(sandbox):
    """primary address -> mailbox, read afresh (every write of the Odin sandbox replaces its state objects)."""
    with sandbox.lock:
        return dict((m.primary, m) for m in sandbox.state.mailboxes.values())


def rpc_methods(sandbox):
    return [r["rpc_method"] for r in sandbox.requests()]


@pytest.mark.sandbox(fixture=ODIN_FIXTURE, account=SUB)
def test_odin_roster_rhythm(run_playbook, odin_sandbox, odin_env):
    sb, hires = odin_sandbox, odin_hires()
    options = dict(password=PASSWORD, delegates=[dict(mailbox="support", grantee=n, permission="both") for n in HIRES])

    predicted, checked = run_roster(run_playbook, odin_env, hires, check=True, **options)
    assert predicted.rc == 0 and checked["created"] == HIRES, predicted
    assert sb.writes() == []
    assert rpc_methods(sb) == ["pem.exchange.getMailboxes", "pem.exchange.getMailboxPermissions",
                               "pem.exchange.getDeliveryPermissions"]

    sb.clear_log()
    created, result = run_roster(run_playbook, odin_env, hires, **options)
    assert created.rc == 0, created
    for key in ("created", "updated", "unchanged", "failed_entries", "changes", "delegates"):
        assert result[key] == checked[key], key
    methods = [w["rpc_method"] for w in sb.writes()]
    # addMailbox carries the aliases and the ActiveSync switch: one write per hire, plus the two grants each
    assert methods.count("pem.exchange.addMailbox") == 5 and len(methods) == 5 + 10
    assert methods.count("pem.exchange.grantMailboxPermissions") == 5
    assert methods.count("pem.exchange.grantDeliveryPermissions") == 5
    mailboxes = odin_boxes(sb)
    assert mailboxes["bea@example.com"].active_sync and not mailboxes["alex@example.com"].pop3
    assert "alex.hire@example.com" in mailboxes["alex@example.com"].addresses

    # rerun at the floor: the listing, getMailboxInfo for every hire (size, pop3), getEmailAddresses for the
    # three with aliases, and the two permission lists of support
    sb.clear_log()
    again, result = run_roster(run_playbook, odin_env, hires, **options)
    assert again.rc == 0 and result["changed"] is False and result["unchanged"] == HIRES, again
    assert sb.writes() == []
    assert len(sb.requests()) == 1 + 5 + 3 + 2

    with sb.lock:
        mailboxes["cy@example.com"].pop3 = True
        mailboxes["dee@example.com"].active_sync = False
    drift, checked = run_roster(run_playbook, odin_env, hires, check=True, **options)
    assert checked["updated"] == ["cy", "dee"] and sb.writes() == [], drift
    applied = run_roster(run_playbook, odin_env, hires, **options)[1]
    assert applied["updated"] == ["cy", "dee"] and applied["changes"] == checked["changes"]
    mailboxes = odin_boxes(sb)
    assert not mailboxes["cy@example.com"].pop3 and mailboxes["dee@example.com"].active_sync

    report = run_roster(run_playbook, odin_env, hires, unlisted="report", **options)[1]
    assert report["unlisted"] == ["old.timer"]  # stranger@elsewhere.test is another subscription's: never seen
    sb.clear_log()
    disabled = run_roster(run_playbook, odin_env, hires, unlisted="disable", **options)[1]
    assert disabled["disabled"] == ["old.timer"]
    # Protocols and ActiveSync off in one call, as exchange_mailbox state=disabled sends it.
    assert [w["rpc_method"] for w in sb.writes()] == ["pem.exchange.modifyMailbox"]
    old = odin_boxes(sb)["old.timer@example.com"]
    assert not (old.owa or old.mapi or old.imap4 or old.pop3 or old.active_sync)
    removed = run_roster(run_playbook, odin_env, hires, unlisted="remove", **options)[1]
    assert removed["removed"] == ["old.timer"]
    assert sorted(m.primary for m in sb.state.mailboxes.values()) == sorted(
        ["%s@example.com" % n for n in HIRES] + ["support@example.com", "stranger@elsewhere.test"])


@pytest.mark.sandbox(fixture=ODIN_FIXTURE, account=SUB)
def test_odin_one_failing_entry_and_another_subscription(run_playbook, odin_sandbox, odin_env):
    entries = [dict(name="gil", display_name="Gil", size=1024),
               dict(name="hal", display_name="Hal"),  # no size: Odin cannot create it
               dict(name="ivy", display_name="Ivy", size=1024, aliases=["ivy@elsewhere.test"])]
    delegates = [dict(mailbox="support", grantee="stranger@elsewhere.test", permission="full_access")]
    result = run_playbook(play(roster(entries, delegates=delegates)), env=odin_env)["roster"]
    assert result["failed_entries"] == ["hal", "ivy", "delegate stranger@elsewhere.test on support"], result
    # the same message as exchange_mailbox gives: one planner
    assert result["errors"]["hal"] == "odin: hal@example.com: creating a mailbox needs size"
    assert "elsewhere.test is not a domain of subscription %s" % SUB in result["errors"]["ivy"]
    assert "is not a mailbox of subscription %s; refused" % SUB in result["errors"]["delegate stranger@elsewhere.test on support"]
    assert result["created"] == ["gil"]
    boxes = odin_boxes(odin_sandbox)
    assert boxes["stranger@elsewhere.test"].mailbox_id not in boxes["support@example.com"].full_access


# --- Hostway ----------------------------------------------------------------------------------------

HW_ACCOUNT = "test-account123"
HW_FIXTURE = {"account": HW_ACCOUNT, "domains": {DOMAIN: {"usernames": [
    {"username": "old.timer", "displayName": "Old Timer"},
    {"username": "legacy", "platform": "mfg2"},
]}}}


def hw_hires():
    return hires_with(lambda name: dict(first_name=name.title(), department="Finance"), aliases_and_activesync=False)


@pytest.mark.sandbox(fixture=HW_FIXTURE, account=HW_ACCOUNT)
def test_hostway_roster_rhythm(run_playbook, hostway_sandbox, hostway_env):
    sb, hires = hostway_sandbox, hw_hires()
    predicted, checked = run_roster(run_playbook, hostway_env, hires, check=True, password=PASSWORD)
    assert predicted.rc == 0 and checked["created"] == HIRES and sb.writes() == [], predicted
    assert [r["path"].rsplit("/", 1)[-1] for r in sb.requests()] == ["usernames"]

    sb.clear_log()
    created, result = run_roster(run_playbook, hostway_env, hires, password=PASSWORD)
    assert created.rc == 0 and result["created"] == checked["created"], created
    assert [w["method"] for w in sb.writes()] == ["PUT"] * 5 and split(sb)[0] == 1
    assert sb.state.username(DOMAIN, "cy").fields["department"] == "Finance"

    # rerun: the listing (one page) and each hire's exchange resource; no write
    sb.clear_log()
    result = run_roster(run_playbook, hostway_env, hires, password=PASSWORD)[1]
    assert result["changed"] is False and result["unchanged"] == HIRES
    assert split(sb) == (1 + 5, [])

    with sb.lock:
        sb.state.username(DOMAIN, "eli").fields["department"] = "Sales"
    checked = run_roster(run_playbook, hostway_env, hires, check=True, password=PASSWORD)[1]
    assert checked["updated"] == ["eli"]
    applied = run_roster(run_playbook, hostway_env, hires, password=PASSWORD)[1]
    assert applied["changes"] == checked["changes"]
    assert sb.state.username(DOMAIN, "eli").fields["department"] == "Finance"

    # unlisted: legacy is a mailbox of the older platform, not hosted Exchange: never reported or touched
    sb.clear_log()
    report = run_roster(run_playbook, hostway_env, hires, unlisted="report")[1]
    assert report["unlisted"] == ["old.timer"]
    cannot = run_playbook(play(roster(hires, unlisted="disable")), env=hostway_env, check=True)
    assert cannot.rc != 0 and "unlisted=disable is not supported by provider hostway" in cannot["roster"]["msg"]
    removed = run_roster(run_playbook, hostway_env, hires, unlisted="remove")[1]
    assert removed["removed"] == ["old.timer"] and sb.state.username(DOMAIN, "old.timer") is None
    assert sb.state.username(DOMAIN, "legacy") is not None

    # a failing entry among good ones: the name of a legacy mailbox is refused, the others are done
    more = hires + [dict(name="legacy", display_name="Legacy"), dict(name="fay", display_name="Fay")]
    result = run_playbook(play(roster(more, password=PASSWORD)), env=hostway_env)["roster"]
    assert result["failed_entries"] == ["legacy"] and result["created"] == ["fay"], result
    assert "not as a hosted Exchange mailbox" in result["errors"]["legacy"]
    unsupported = run_playbook(play(roster([dict(name="x", size=10, aliases=["a@example.com"])])), env=hostway_env)
    assert unsupported["roster"]["msg"] == ("option aliases not supported by provider hostway (x); "
                                            "option size not supported by provider hostway: its API only reads it (x)")


# --- pacing -----------------------------------------------------------------------------------------

PACED_SCALE = 0.02  # the sandbox's minute lasts 1.2 s: 60 reads and 30 writes in it, as documented


def new_hires(count, prefix="hire"):
    return [dict(name="%s%03d" % (prefix, number), display_name="Hire %d" % number, size=512)
            for number in range(1, count + 1)]


@pytest.mark.sandbox(fixture=RS_FIXTURE, time_scale=PACED_SCALE)
def test_rackspace_onboarding_100_hires_is_paced_without_one_throttle(run_playbook, rackspace_sandbox, rackspace_env):
    hires = new_hires(100)
    delegates = [dict(mailbox="support", grantee=hire["name"], permission="full_access") for hire in hires]
    result = run_playbook(play(roster(hires, password=PASSWORD, delegates=delegates)),
                          env=paced(rackspace_env, PACED_SCALE))
    assert result.rc == 0, result
    assert result["roster"]["created"] == [hire["name"] for hire in hires]
    statuses = [request["status"] for request in rackspace_sandbox.requests()]
    assert 403 not in statuses and len(rackspace_sandbox.writes()) == 200
    assert len(rackspace_sandbox.state.domain(DOMAIN).mailboxes["support"].permissions) == 100


FORK_DOMAINS = ["one.example", "two.example", "three.example"]


@pytest.mark.sandbox(fixture={"domains": dict((domain, {}) for domain in FORK_DOMAINS)}, time_scale=PACED_SCALE)
def test_runs_sharing_one_api_user_at_once_all_finish_unthrottled(run_playbook, rackspace_sandbox, rackspace_env):
    # Three roster runs at once (three module processes, as forks would start), one API user: they share the
    # pacing allowance through the controller's pacing file, so the sandbox never refuses one.
    started = {"name": "rosters", "mailops.hosted_exchange.mailbox_roster": {
        "domain": "{{ item }}", "password": PASSWORD, "mailboxes": new_hires(60)},
        "loop": FORK_DOMAINS, "async": 300, "poll": 0, "register": "jobs"}
    waited = {"name": "wait", "ansible.builtin.async_status": {"jid": "{{ item.ansible_job_id }}"},
              "loop": "{{ jobs.results }}", "register": "done", "until": "done.finished", "retries": 300, "delay": 1}
    result = run_playbook(play(started, waited), env=paced(rackspace_env, PACED_SCALE))
    assert result.rc == 0, result
    assert all(len(item["created"]) == 60 for item in result["wait"]["results"]), result["wait"]
    assert [r["status"] for r in rackspace_sandbox.requests()].count(403) == 0
    assert all(len(rackspace_sandbox.state.domain(d).mailboxes) == 60 for d in FORK_DOMAINS)
    # they really overlapped: writes of different domains interleave in the log
    order = [r["path"].split("/domains/")[1].split("/")[0] for r in rackspace_sandbox.writes()]
    assert len([1 for a, b in zip(order, order[1:]) if a != b]) > 2
