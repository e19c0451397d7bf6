"""Regression scenarios of mailbox_roster's safety (found by attacking it): run the module in-process against a
fresh sandbox, as tests/unit/test_roster_properties.py does - a check run, the real run, a rerun - and compare.

Each scenario module asserts what must hold; tests/unit/test_roster_regressions.py runs them all. One alone, from
the repository root:  .venv/bin/python -m tests.unit.roster_regressions.<module>
"""
import io
import json
from contextlib import redirect_stdout

# the collection importable from this source tree, run alone or under pytest
import tests.conftest  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.hosted_exchange.plugins.modules import mailbox_roster
from tests.sandbox import start_sandbox

API_USER, API_SECRET, PASSWORD = "atk-user", "atk-secret-Zq81x", "Atk-Passw0rd!x"
DOMAIN = "example.com"
SUB, HW_ACCOUNT = "1000", "acct-1"
COUNTED = ("changed", "failed", "created", "updated", "unchanged", "failed_entries", "unlisted", "disabled", "removed",
           "delegates", "held", "changes", "plan", "plan_digest", "not_attempted")


def sandbox(provider, fixture):
    return start_sandbox(provider, api_user=API_USER, api_secret=API_SECRET, fixture=fixture,
                         **({"limits": {"GET": 10 ** 9, "WRITE": 10 ** 9}} if provider == "rackspace" else {}))


def connection(provider, sb):
    conn = dict(provider=provider, api_url=sb.url, api_user=API_USER, api_secret=API_SECRET, timeout=5,
                retries=0, retry_budget=5, max_reads_per_minute=0, max_writes_per_minute=0)
    if provider != "rackspace":
        conn["account"] = SUB if provider == "odin" else HW_ACCOUNT
    return conn


def run(provider, sb, roster, check=False, diff=True, module=mailbox_roster):
    args = dict(roster, _ansible_check_mode=check, _ansible_diff=diff, **connection(provider, sb))
    args.setdefault("domain", DOMAIN)
    output = io.StringIO()
    with patch_module_args(args), redirect_stdout(output):
        try:
            module.main()
        except SystemExit:
            pass
    text = output.getvalue()
    result = json.loads(text[text.find("{"):])
    result["_raw"] = text
    return result


def ok_writes(sb):
    return [e for e in sb.writes() if e["status"] < 400 and e.get("rpc_status", 0) == 0]


def writes(sb):
    return list(sb.writes())


def compare(checked, real):
    """The keys on which check mode's forecast differs from the real run."""
    return dict((key, (checked.get(key), real.get(key))) for key in COUNTED if checked.get(key) != real.get(key))


def scenario(provider, fixture, roster, title, rerun=True, quiet=False):
    """check, real, rerun; returns (checked, real, again, sandbox-stopped) and prints what differs."""
    sb = sandbox(provider, fixture)
    try:
        checked = run(provider, sb, roster, check=True)
        check_writes = writes(sb)
        real = run(provider, sb, roster)
        real_writes = writes(sb)[len(check_writes):]
        again = None
        rerun_writes = []
        if rerun:
            n = len(writes(sb))
            again = run(provider, sb, roster)
            rerun_writes = writes(sb)[n:]
        state = snapshot(provider, sb)
    finally:
        sb.stop()
    if not quiet:
        print("=== %s [%s]" % (title, provider))
        print("check :", summary(checked))
        print("real  :", summary(real))
        if again is not None:
            print("rerun :", summary(again))
        print("check writes:", len(check_writes), " real writes:",
              ["%s %s %s %s" % (w["method"], w["path"], w["status"], str(w.get("body", ""))[:120]) for w in real_writes])
        if rerun_writes:
            print("RERUN WROTE:", [w["method"] + " " + w["path"] for w in rerun_writes])
        diff = compare(checked, real)
        for key, (c, r) in diff.items():
            print("FORECAST DIFFERS on %s: check=%s real=%s"
                  % (key, json.dumps(c, default=str)[:400], json.dumps(r, default=str)[:400]))
        print("state after:", state)
    return checked, real, again, state, real_writes, rerun_writes


def summary(result):
    keys = ("failed", "changed", "msg", "created", "updated", "unchanged", "failed_entries", "unlisted", "removed",
            "disabled", "delegates", "held", "plan")
    return json.dumps(dict((k, result.get(k)) for k in keys if result.get(k) not in (None, [], {})), default=str)


def snapshot(provider, sb):
    with sb.lock:
        if provider == "rackspace":
            out = {}
            for dname, dom in sb.state.domains.items():
                for name, box in dom.mailboxes.items():
                    out[box.address] = {"aliases": sorted(box.aliases), "enabled": box.settings["enabled"],
                                        "perm": dict(("%s@%s" % (k[1], k[0]), v) for k, v in box.permissions.items())}
            return out
        if provider == "odin":
            by_id = dict((m.mailbox_id, m.alias) for m in sb.state.mailboxes.values())
            return dict((m.alias, {"addresses": list(m.addresses), "owa": m.owa,
                                   "fa": sorted(by_id[t] for t in m.full_access),
                                   "sa": sorted(by_id[t] for t, c in m.delivery.items() if 1 in c)})
                        for m in sb.state.mailboxes.values())
        dom = sb.state.domain(DOMAIN)
        return sorted("%s(%s)" % (n, u.platform) for n, u in dom.usernames.items())


def rs_fixture(boxes, domains=None):
    out = {"domains": {DOMAIN: {"mailboxes": boxes}}}
    for d, b in (domains or {}).items():
        out["domains"][d] = {"mailboxes": b}
    return out


def odin_fixture(boxes, domains=(DOMAIN,)):
    return {"subscriptions": {SUB: {"domains": list(domains), "mailboxes": boxes}}}


def hw_fixture(usernames):
    return {"account": HW_ACCOUNT, "domains": {DOMAIN: {"usernames": usernames}}}
