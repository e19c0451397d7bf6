"""The size of mailbox_roster's result for a domain of 5,000 mailboxes, in check mode, with and without --diff.

AWX (ansible-runner) drops an event's result above 700,000 characters; every result here must stay under
500,000 (headroom), measured as ansible-runner measures it (the length of str(result)) and as JSON. The module
runs in-process, as Ansible runs it, against the Rackspace sandbox (its rate limits lifted: only sizes count).
"""

import io
import json
from contextlib import redirect_stdout

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mailops.hosted_exchange.plugins.modules import mailbox_roster
from tests.sandbox import start_sandbox

API_USER, API_SECRET, PASSWORD = "size-user", "size-secret-Zq81", "Size-Passw0rd!7"
DOMAIN = "example.com"
COUNT = 5000
LIMIT = 500000


def hire(number, department="Finance"):
    return {"name": "hire%05d" % number, "display_name": "Hire Number %d" % number, "size": 2048,
            "first_name": "Hire", "last_name": "Number %d" % number, "department": department,
            "job_title": "Clerk", "aliases": ["h%05d@example.com" % number], "activesync": True}


def run(sandbox, check, diff, mailboxes, **options):
    args = dict(provider="rackspace", api_url=sandbox.url, api_user=API_USER, api_secret=API_SECRET, timeout=30,
                max_reads_per_minute=0, max_writes_per_minute=0, domain=DOMAIN, mailboxes=mailboxes,
                _ansible_check_mode=check, _ansible_diff=diff, **options)
    output = io.StringIO()
    with patch_module_args(args), redirect_stdout(output):
        try:
            mailbox_roster.main()
        except SystemExit:
            pass
    text = output.getvalue()
    return json.loads(text[text.find("{"):])


def sizes(result):
    return len(str(result)), len(json.dumps(result))


@pytest.fixture(scope="module")
def onboarding():
    """A domain of a shared mailbox, and 5,000 new hires each with an alias, ActiveSync and a grant on it."""
    fixture = {"domains": {DOMAIN: {"mailboxes": [{"name": "support", "displayName": "Support", "size": 2048}]}}}
    with start_sandbox("rackspace", api_user=API_USER, api_secret=API_SECRET, fixture=fixture,
                       limits={"GET": 10 ** 9, "WRITE": 10 ** 9}) as sandbox:
        yield sandbox


@pytest.mark.parametrize("diff", [False, True])
def test_onboarding_5000_hires_in_check_mode_stays_under_the_limit(onboarding, diff):
    hires = [hire(number) for number in range(COUNT)]
    delegates = [{"mailbox": "support", "grantee": h["name"], "permission": "full_access"} for h in hires]
    result = run(onboarding, True, diff, hires, password=PASSWORD, delegates=delegates, unlisted="report")
    assert len(result["created"]) == COUNT and len(result["delegates"]["support"]) == COUNT, result.get("msg")
    assert max(sizes(result)) < LIMIT, sizes(result)
    assert ("diff" in result) == diff and PASSWORD not in json.dumps(result)
    print("onboarding, diff=%s: %d characters" % (diff, max(sizes(result))))


@pytest.fixture(scope="module")
def drifted():
    """A domain of 5,000 mailboxes, every one of them drifted from the HR list in its department."""
    fixture = {"domains": {DOMAIN: {"mailboxes": [
        {"name": h["name"], "displayName": h["display_name"], "size": 2048, "firstName": "Hire",
         "lastName": h["last_name"], "department": "Sales", "jobTitle": "Clerk", "activeSync": True,
         "aliases": h["aliases"]} for h in (hire(number) for number in range(COUNT))]}}}
    with start_sandbox("rackspace", api_user=API_USER, api_secret=API_SECRET, fixture=fixture,
                       limits={"GET": 10 ** 9, "WRITE": 10 ** 9}) as sandbox:
        yield sandbox


@pytest.mark.parametrize("diff", [False, True])
def test_auditing_a_domain_of_5000_drifted_mailboxes_stays_under_the_limit(drifted, diff):
    result = run(drifted, True, diff, [hire(number) for number in range(COUNT)], unlisted="report")
    assert len(result["updated"]) == COUNT and result["changes"]["hire00042"] == {
        "department": ["Sales", "Finance"]}, result.get("msg")
    assert max(sizes(result)) < LIMIT, sizes(result)
    print("audit, diff=%s: %d characters" % (diff, max(sizes(result))))


@pytest.fixture(scope="module")
def drifted_everywhere():
    """A domain of 5,000 mailboxes, every one drifted in four fields at once."""
    fixture = {"domains": {DOMAIN: {"mailboxes": [
        {"name": h["name"], "displayName": h["display_name"], "size": 2048, "firstName": "Hire",
         "lastName": h["last_name"], "department": "Sales", "jobTitle": "Temp", "activeSync": False,
         "aliases": []} for h in (hire(number) for number in range(COUNT))]}}}
    with start_sandbox("rackspace", api_user=API_USER, api_secret=API_SECRET, fixture=fixture,
                       limits={"GET": 10 ** 9, "WRITE": 10 ** 9}) as sandbox:
        yield sandbox


def test_thousands_drifted_in_many_fields_keep_every_name_and_the_changes_within_a_budget(drifted_everywhere):
    result = run(drifted_everywhere, True, True, [hire(number) for number in range(COUNT)], unlisted="report")
    assert len(result["updated"]) == COUNT, result.get("msg")
    assert result["changes"]["hire00000"] == {"activesync": [False, True], "aliases": [[], ["h00000@example.com"]],
                                              "department": ["Sales", "Finance"], "job_title": ["Temp", "Clerk"]}
    # the first ones in full, the rest counted: every mailbox is accounted for
    assert len(result["changes"]) + result["changes_omitted"] == COUNT and result["changes_omitted"] > 0
    assert max(sizes(result)) < LIMIT, sizes(result)


@pytest.mark.parametrize("diff", [False, True])
def test_a_list_of_5000_rows_that_all_fail_stays_under_the_limit_and_names_every_row(onboarding, diff):
    # a wrong export: the display name column holds something no provider takes (a control character)
    rows = [dict(hire(number), display_name="Hire\x07%d" % number) for number in range(COUNT)]
    result = run(onboarding, check=True, diff=diff, mailboxes=rows, unlisted="remove")
    print("5,000 failing rows, diff=%s: %d characters" % (diff, max(sizes(result))))
    assert result["failed"] and max(sizes(result)) < LIMIT
    assert len(result["failed_entries"]) == COUNT
    assert result["errors_omitted"] > 0 and len(result["errors"]) + result["errors_omitted"] == COUNT
    assert "5000 of the roster's entries failed" in result["msg"] and "... and 4980 more" in result["msg"]
    assert result["removed"] == [] and result["held"]
