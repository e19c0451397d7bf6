"""make bench: what the collection costs against the sandboxes, next to the floor.

Prints (and writes to .build/bench/results.md) ratios:
- requests: what a role run and a mailbox_roster run send for N hires, next to the fewest the job needs;
- wall time: a roster run next to a plain `requests` script doing the same reads;
- pacing: onboarding 100 hires against the rate-limited sandbox, next to the time the write limit imposes.

Request counts are deterministic (make test asserts them); times depend on the machine.
Usage: python scripts/bench.py [--hires N]
"""

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.harness import SandboxFactory, run_playbook  # noqa: E402  pylint: disable=wrong-import-position
from tests.sandbox.rackspace import signature_header  # noqa: E402  pylint: disable=wrong-import-position

DOMAIN = "example.com"
PASSWORD = "Onb0arding-Pw!42"
SHARED = "support"
UNLIMITED = {"GET": 10 ** 9, "WRITE": 10 ** 9}
NO_PACING = {"HOSTED_EXCHANGE_MAX_READS_PER_MINUTE": "0", "HOSTED_EXCHANGE_MAX_WRITES_PER_MINUTE": "0"}


def hire(number):
    name = "hire%04d" % number
    return {"name": name, "display_name": "Hire %d" % number, "first_name": "Hire", "last_name": str(number),
            "department": "Finance", "size": 2048}


def rackspace_fixture(hires, compliant, shared=True):
    mailboxes = [{"name": SHARED, "displayName": "Support", "size": 2048}] if shared else []
    if compliant:
        for entry in hires:
            mailboxes.append({"name": entry["name"], "displayName": entry["display_name"], "size": 2048,
                              "firstName": entry["first_name"], "lastName": entry["last_name"],
                              "department": entry["department"]})
        mailboxes[0]["permissions"] = [{"grantee": entry["name"], "permission": "fullAccess"} for entry in hires]
    return {"domains": {DOMAIN: {"mailboxes": mailboxes}}}


def role_play(hires, report_dir=None):
    variables = {"onboard_hires": hires, "onboard_domain": DOMAIN, "onboard_initial_password": PASSWORD,
                 "onboard_shared_mailbox": SHARED, "onboard_shared_mailbox_display_name": "Support",
                 "onboard_shared_mailbox_password": "Shared-Mailb0x-2026"}
    if report_dir:
        variables["onboard_report_dir"] = report_dir
    return {"hosts": "localhost", "gather_facts": False, "vars": variables,
            "tasks": [{"name": "onboard", "ansible.builtin.include_role": {"name": "mailops.hosted_exchange.onboard"}}]}


def roster_play(hires):
    delegates = [{"mailbox": SHARED, "grantee": entry["name"], "permission": "full_access"} for entry in hires]
    return {"hosts": "localhost", "gather_facts": False, "tasks": [{"name": "roster",
            "mailops.hosted_exchange.mailbox_roster": {"domain": DOMAIN, "password": PASSWORD, "mailboxes": hires,
                                                       "delegates": delegates}}]}


def counts(sandbox):
    writes = len(sandbox.writes())
    return len(sandbox.requests()) - writes, writes


def rackspace_read_floor(count):
    """One show per hire (the list asks for contact fields), the listing's pages, the shared mailbox's grant pages."""
    return count + math.ceil((count + 1) / 250) + math.ceil(count / 250)


def plain_reads(url, user, secret, count):
    """The same reads as a compliant run, with plain requests: the floor, nothing else."""
    session = requests.Session()
    agent = "bench"

    def get(path, **params):
        headers = {"User-Agent": agent, "Accept": "application/json",
                   "X-Api-Signature": signature_header(user, secret, agent)}
        answer = session.get("%s/customers/me/domains/%s/%s" % (url, DOMAIN, path), headers=headers, params=params)
        answer.raise_for_status()
        return answer.json()

    started = time.monotonic()
    offset, total = 0, None
    while total is None or offset < total:
        page = get("ex/mailboxes", size=250, offset=offset)
        total, offset = page["total"], offset + len(page["mailboxes"])
    for number in range(1, count + 1):
        get("ex/mailboxes/hire%04d" % number)
    offset, total = 0, None
    while total is None or offset < total:
        page = get("ex/mailboxes/%s/permissions" % SHARED, size=250, offset=offset)
        total, offset = page["total"], offset + len(page["permissions"])
    return time.monotonic() - started


class Bench(object):
    def __init__(self, hires_count, workdir):
        self.count = hires_count
        self.workdir = workdir
        self.factory = SandboxFactory()
        self.rows = []

    def sandbox(self, fixture, **options):
        sandbox = self.factory("rackspace", fixture=fixture, **options)
        return sandbox, self.factory.env(sandbox)

    def run(self, playbook, env, check=False):
        started = time.monotonic()
        result = run_playbook(playbook, self.workdir, check=check, env=env, timeout=3600)
        if result.rc != 0:
            raise SystemExit("bench: a run failed:\n%s" % result)
        return result, time.monotonic() - started

    def economy(self):
        hires = [hire(number) for number in range(1, self.count + 1)]
        floor = rackspace_read_floor(self.count)
        for label, playbook in (("onboard role, --check, %d compliant hires" % self.count, role_play(hires)),
                                ("mailbox_roster, --check, %d compliant hires" % self.count, roster_play(hires))):
            sandbox, env = self.sandbox(rackspace_fixture(hires, True), limits=UNLIMITED)
            self.run(playbook, dict(env, **NO_PACING), check=True)
            reads, writes = counts(sandbox)
            self.rows.append((label, "%d GETs, %d writes" % (reads, writes), "%d GETs, 0 writes" % floor,
                              "%.2f" % (float(reads) / floor)))
        sandbox, env = self.sandbox(rackspace_fixture(hires, False, shared=False), limits=UNLIMITED)
        self.run(role_play(hires), dict(env, **NO_PACING))
        reads, writes = counts(sandbox)
        # reads: the shared mailbox's GET and, as it is absent, its domain's (a typo must not read as absent), the
        # listing, the new shared mailbox's grant page; writes: the shared mailbox, each hire, each grant
        floor_reads, floor_writes = 2 + 1 + 1, 1 + 2 * self.count
        self.rows.append(("onboard role, first run, %d new hires" % self.count,
                          "%d GETs, %d writes" % (reads, writes), "%d GETs, %d writes" % (floor_reads, floor_writes),
                          "%.2f" % (float(reads + writes) / (floor_reads + floor_writes))))

    def wall_time(self):
        hires = [hire(number) for number in range(1, self.count + 1)]
        sandbox, env = self.sandbox(rackspace_fixture(hires, True), limits=UNLIMITED)
        _result, roster_seconds = self.run(roster_play(hires), dict(env, **NO_PACING), check=True)
        log = sandbox.requests()
        requests_seconds = log[-1]["time"] - log[0]["time"]
        script_seconds = plain_reads(sandbox.url, env["HOSTED_EXCHANGE_API_USER"], env["HOSTED_EXCHANGE_API_SECRET"],
                                     self.count)
        self.rows.append(("wall time, roster --check over %d compliant hires: its %d reads" % (self.count, len(log)),
                          "%.2f s" % requests_seconds, "%.2f s (plain requests script, same reads)" % script_seconds,
                          "%.2f" % (requests_seconds / script_seconds)))
        self.rows.append(("wall time, the same, whole ansible-playbook run (process start, module transfer)",
                          "%.1f s" % roster_seconds, "%.2f s (plain requests script)" % script_seconds,
                          "%.2f" % (roster_seconds / script_seconds)))

    def pacing(self, count=100, scale=0.05):
        hires = [hire(number) for number in range(1, count + 1)]
        sandbox, env = self.sandbox(rackspace_fixture([], False), time_scale=scale)
        env = dict(env, HOSTED_EXCHANGE_RATE_WINDOW=str(60 * scale))
        self.run(roster_play(hires), env)
        log = sandbox.requests()
        throttled = [entry for entry in log if entry["status"] == 403]
        writes = len(sandbox.writes())
        window = 60 * scale
        imposed = (math.ceil(writes / 30.0) - 1) * window  # the last batch of 30 can start no earlier
        spent = log[-1]["time"] - log[0]["time"]
        self.rows.append(("pacing, %d new hires (%d writes) against the throttled sandbox (a minute lasts %.0f s)"
                          % (count, writes, window), "%.1f s, %d throttle refusals" % (spent, len(throttled)),
                          "%.1f s (what 30 writes a minute impose)" % imposed, "%.2f" % (spent / imposed)))

    def report(self):
        lines = ["| measurement | collection | floor / reference | ratio |", "|---|---|---|---|"]
        lines += ["| %s | %s | %s | %s |" % row for row in self.rows]
        return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hires", type=int, default=300, help="hires in the economy and wall-time runs (300)")
    args = parser.parse_args()
    output = REPO / ".build" / "bench"
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        bench = Bench(args.hires, Path(workdir))
        try:
            bench.economy()
            bench.wall_time()
            bench.pacing()
        finally:
            bench.factory.stop_all()
    table = bench.report()
    (output / "results.md").write_text(table + "\n", encoding="utf-8")
    (output / "results.json").write_text(json.dumps(bench.rows, indent=2) + "\n", encoding="utf-8")
    print(table)
    print("\n(written to %s)" % (output / "results.md"))


if __name__ == "__main__":
    main()
