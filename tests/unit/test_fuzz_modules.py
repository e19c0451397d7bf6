"""Fuzz: generated argument sets for every module, run in-process against the three sandboxes.

Each set either succeeds or fails cleanly - a message from the module itself (not a crash, not
"unexpected ..."), no secret in the output, and not one write carried out for a set that failed (a
write the provider refused, changing nothing, is not counted).
The generator is seeded, so a failure names a case that can be re-run alone.
"""

import io
import json
import random
from contextlib import redirect_stdout

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.hosted_exchange.plugins.modules import (
    activesync_service,
    exchange_mailbox,
    mailbox_alias,
    mailbox_info,
    mailbox_permission,
    mailbox_roster,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.clients import CLIENTS
from tests.sandbox import start_sandbox

SEED = 20261129
CASES_PER_PROVIDER = 400
API_USER, API_SECRET, PASSWORD = "fuzz-user", "fuzz-secret-Zq81", "Fuzz-Passw0rd!7"
DOMAIN = "example.com"
MODULES = {
    "exchange_mailbox": exchange_mailbox,
    "mailbox_alias": mailbox_alias,
    "mailbox_permission": mailbox_permission,
    "activesync_service": activesync_service,
    "mailbox_info": mailbox_info,
    "mailbox_roster": mailbox_roster,
}
# Hostile text for every name-like option: path tricks, URL syntax, whitespace, control and unicode characters,
# template syntax, the empty string and huge values.
HOSTILE_TEXT = [
    "", " ", ".", "..", "../x", "x/..", "a/b", "/", "x?y", "?", "a#b", "#", "%2e%2e", "%2F", "%", "a b", "\t", "\n",
    "a\r\nX-Evil: 1", "\x00", "ü", "é.x", "😀", "a" * 65, "a" * 5000, "-x", "_x", "x.", ".x", "a..b", "o'brien",
    "<script>", "{{ 7 * 7 }}", "${x}", "NULL", "null", "..%00", "x@y", "@", "a@@b.c", "x@exampel", "x@example..com",
    "x@-bad.com", "x@" + "a" * 250 + ".com", "alex@example.com/..", "alex@example.com?x=1", "ALEX", "alex",
]
HOSTILE_VALUES = HOSTILE_TEXT + [None, 0, -1, 10 ** 12, 1.5, True, False, [], ["a"], {}, {"a": 1}]
PROVIDERS = tuple(CLIENTS)
# The suite's promise: at least this many argument sets run, over all providers.
AT_LEAST = 1000
# The modules a provider serves only if its client lists the feature.
FEATURE_MODULES = {"mailbox_alias": "alias", "mailbox_permission": "permission", "activesync_service": "activesync"}


def sandbox_for(provider):
    if provider == "rackspace":
        fixture = {"domains": {DOMAIN: {"mailboxes": [
            {"name": "alex", "displayName": "Alex", "size": 1024}, {"name": "support", "displayName": "Support"}]},
            "example.org": {}}}
        return start_sandbox(provider, api_user=API_USER, api_secret=API_SECRET, fixture=fixture,
                             limits={"GET": 10 ** 9, "WRITE": 10 ** 9}), None
    if provider == "hostway":
        fixture = {"account": "acct-1", "domains": {DOMAIN: {"usernames": [
            {"username": "alex", "displayName": "Alex"}, {"username": "legacy", "platform": "mfg2"}]}}}
        return start_sandbox(provider, api_user=API_USER, api_secret=API_SECRET, fixture=fixture), "acct-1"
    fixture = {"subscriptions": {"1000": {"domains": [DOMAIN], "mailboxes": [
        {"email_address": "alex@example.com", "display_name": "Alex", "size_limit": 1048576},
        {"email_address": "support@example.com", "display_name": "Support"}]},
        "7": {"domains": ["example.org"], "mailboxes": [{"email_address": "eve@example.org"}]}}}
    return start_sandbox(provider, api_user=API_USER, api_secret=API_SECRET, fixture=fixture), "1000"


def base_args(module, rng, provider):
    """Valid arguments for a module, so a case differs from a working task only in what it mutates."""
    name = rng.choice(["alex", "new%d" % rng.randint(1, 10 ** 6), "support"])
    size = None if provider == "hostway" else 1024  # Hostway only reads sizes
    return {
        "exchange_mailbox": lambda: dict(name=name, domain=DOMAIN, display_name="Tester", size=size, password=PASSWORD,
                                         state=rng.choice(["present", "present", "absent", "disabled"])),
        "mailbox_alias": lambda: dict(mailbox="alex", domain=DOMAIN, aliases=["a%d@example.com" % rng.randint(1, 99)],
                                      state=rng.choice(["present", "absent"])),
        "mailbox_permission": lambda: dict(mailbox="support", domain=DOMAIN, grantee="alex",
                                           permission=rng.choice(["full_access", "send_as", "both"])),
        "activesync_service": lambda: dict(mailbox="alex", domain=DOMAIN, state=rng.choice(["present", "absent"])),
        "mailbox_info": lambda: dict(domain=DOMAIN, name=rng.choice([None, "alex"])),
        "mailbox_roster": lambda: dict(domain=DOMAIN, password=PASSWORD, mailboxes=[
            dict(name=name, display_name="Tester", size=size)]),
    }[module]()


MUTABLE = {
    "exchange_mailbox": ["name", "domain", "display_name", "size", "forwarding_address", "primary_address",
                         "first_name", "enabled", "state", "update_password"],
    "mailbox_alias": ["mailbox", "domain", "aliases", "aliases[]", "exclusive", "state"],
    "mailbox_permission": ["mailbox", "domain", "grantee", "permission", "state"],
    "activesync_service": ["mailbox", "domain", "state"],
    "mailbox_info": ["domain", "name", "name_startswith", "name_contains", "fields", "include", "sort_by"],
    "mailbox_roster": ["domain", "entry.name", "entry.display_name", "entry.size", "entry.aliases[]",
                       "entry.forwarding_address", "delegates", "unlisted", "unlisted_keep", "password"],
}


def mutate(args, option, value):
    if option == "aliases[]":
        args["aliases"] = [value, "ok@example.com"]
    elif option.startswith("entry."):
        key = option[len("entry."):]
        args["delegates"] = []  # an entry's own failure must leave nothing written
        if not args["mailboxes"]:
            args["mailboxes"] = [dict(name="new-entry", display_name="Tester", size=1024)]
        if key == "aliases[]":
            args["mailboxes"][0]["aliases"] = [value]
        else:
            args["mailboxes"][0][key] = value
    elif option == "delegates":
        # Alone: an entry that succeeds beside a failing delegate would rightly have written.
        args["mailboxes"] = []
        args["delegates"] = [dict(mailbox="support", grantee=value, permission="full_access")]
    else:
        args[option] = value


def cases(provider):
    rng = random.Random("%s-%s" % (SEED, provider))
    generated = []
    for number in range(CASES_PER_PROVIDER):
        module = rng.choice(sorted(MODULES))
        args = base_args(module, rng, provider)
        # Some sets are left valid, so the working path is exercised among the hostile ones.
        for _round in range(rng.choice([0, 1, 1, 1, 1, 1, 2, 3])):
            mutate(args, rng.choice(MUTABLE[module]), rng.choice(HOSTILE_VALUES))
        generated.append(("%s-%03d" % (provider, number), module, args))
    return generated


def applied_writes(sandbox):
    """Writes the provider carried out: refused ones (4xx, a failure envelope) changed nothing."""
    return [entry for entry in sandbox.writes() if entry["status"] < 400 and entry.get("rpc_status", 0) == 0]


def run_module(module, args):
    """(result dict, raw stdout) of one in-process module run; None for the result when the module gave none."""
    output = io.StringIO()
    with patch_module_args(args), redirect_stdout(output):
        try:
            MODULES[module].main()
        except SystemExit:
            pass
    text = output.getvalue()
    start = text.find("{")
    return (json.loads(text[start:]) if start >= 0 else None), text


@pytest.fixture(scope="module", params=PROVIDERS)
def provider_sandbox(request):
    sandbox, account = sandbox_for(request.param)
    yield request.param, sandbox, account
    sandbox.stop()


def test_generated_argument_sets_succeed_or_fail_cleanly_with_no_write(provider_sandbox):
    provider, sandbox, account = provider_sandbox
    connection = dict(provider=provider, api_url=sandbox.url, api_user=API_USER, api_secret=API_SECRET,
                      timeout=5, retries=0, retry_budget=5, max_reads_per_minute=0, max_writes_per_minute=0)
    if account:
        connection["account"] = account
    generated = cases(provider)
    problems, outcomes, ran, reached = [], {"ok": 0, "failed": 0}, {}, set()
    for case_id, module, args in generated:
        writes_before, requests_before = len(applied_writes(sandbox)), len(sandbox.requests())
        result, text = run_module(module, dict(args, **connection))
        where = "%s %s %r" % (case_id, module, dict((k, v) for k, v in args.items() if k != "password"))
        if result is None:
            problems.append("%s: the module gave no result: %r" % (where, text[:200]))
            continue
        outcome = "failed" if result.get("failed") else "ok"
        outcomes[outcome] += 1
        ran.setdefault(module, set()).add(outcome)
        if len(sandbox.requests()) > requests_before:
            reached.add(module)
        message = str(result.get("msg", ""))
        wrote = len(applied_writes(sandbox)) - writes_before
        if result.get("failed"):
            if not message or "unexpected" in message or "defect" in message or "Traceback" in text:
                problems.append("%s: not a clean failure: %s" % (where, message[:300]))
            if wrote:
                problems.append("%s: failed after %d write(s): %s" % (where, wrote, message[:200]))
        for secret in (API_SECRET, PASSWORD):
            if secret in text:
                problems.append("%s: a secret appears in the output" % where)
    assert problems == [], "\n".join(problems[:40])
    # What really ran: every generated set, each to a result of the module's own, this provider's share of the
    # suite's thousand at least, and every module.
    assert outcomes["ok"] + outcomes["failed"] == len(generated) >= -(-AT_LEAST // len(PROVIDERS)), outcomes
    assert set(ran) == set(MODULES)
    # Both outcomes, or the generator proves nothing: overall, and for every module the provider serves, whose
    # sets must reach the provider too. A module it does not serve fails every time without a request.
    assert outcomes["ok"] >= 20 and outcomes["failed"] > 100, outcomes
    served = set(module for module in MODULES
                 if module not in FEATURE_MODULES or FEATURE_MODULES[module] in CLIENTS[provider].features)
    assert [module for module in sorted(served) if ran[module] != {"ok", "failed"}] == []
    assert reached == served
    assert all(ran[module] == {"failed"} for module in set(MODULES) - served)
