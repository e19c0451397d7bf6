"""What the runner checks before any request: the host's libraries and the connection options.

Modules run in-process (as the fuzz suite runs them) against a Rackspace sandbox that records
every request, so "before any request" is what the sandbox received.
"""

import io
import json
import os
import sys
from contextlib import redirect_stdout
from types import SimpleNamespace

import pytest

from ansible_collections.mailops.hosted_exchange.plugins.module_utils import runner, transport
from ansible_collections.mailops.hosted_exchange.plugins.modules import exchange_mailbox, mailbox_info
from tests.sandbox import start_sandbox
from tests.unit.plugins.fakes import patch_module_args

API_USER, API_SECRET = "runner-user", "runner-secret-Qx7"
CREDENTIAL_TYPE = "'Hosted Exchange' custom credential type"


def run(module, args):
    output = io.StringIO()
    with patch_module_args(args), redirect_stdout(output):
        with pytest.raises(SystemExit):
            module.main()
    text = output.getvalue()
    return json.loads(text[text.index("{"):])


@pytest.fixture
def sandbox():
    fixture = {"domains": {"example.com": {"mailboxes": [{"name": "alex", "displayName": "Alex", "size": 1024}]}}}
    server = start_sandbox("rackspace", api_user=API_USER, api_secret=API_SECRET, fixture=fixture)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_connection_environment(monkeypatch):
    """Only what a test sets: nothing from the environment of whoever runs the tests."""
    for name in list(os.environ):
        if name.startswith("HOSTED_EXCHANGE_"):
            monkeypatch.delenv(name)


def connection(sandbox):
    return dict(provider="rackspace", api_url=sandbox.url, api_user=API_USER, api_secret=API_SECRET,
                max_reads_per_minute=0, max_writes_per_minute=0)


def test_a_task_that_works_reaches_the_sandbox(sandbox):
    # The control for the tests below: the same task, nothing missing, sends its read.
    result = run(mailbox_info, dict(connection(sandbox), domain="example.com", name="alex"))
    assert not result.get("failed") and result["mailboxes"][0]["display_name"] == "Alex"
    assert len(sandbox.requests()) == 1


@pytest.mark.parametrize("version", ["1.26.20", "2.6.3", "2.0.0a1"])
def test_urllib3_older_than_2_7_fails_naming_the_requirement_before_any_request(sandbox, monkeypatch, version):
    monkeypatch.setattr(transport, "URLLIB3_VERSION", version)
    result = run(exchange_mailbox, dict(connection(sandbox), domain="example.com", name="alex", display_name="New"))
    assert result["failed"] and not result.get("changed")
    assert "urllib3 >= 2.7.0 is required on the host that runs this module" in result["msg"]
    assert "found urllib3 %s" % version in result["msg"] and sys.executable in result["msg"]
    assert sandbox.requests() == []


@pytest.mark.parametrize("version", ["2.7.0", "2.8.0", "3.0.1"])
def test_urllib3_2_7_or_later_is_accepted(version):
    assert not transport.urllib3_too_old(version)


def test_a_python_too_old_for_urllib3_2_7_is_named_too(sandbox, monkeypatch):
    monkeypatch.setattr(transport, "URLLIB3_VERSION", "1.26.20")
    monkeypatch.setattr(runner, "sys", SimpleNamespace(version_info=(3, 9, 18), executable="/usr/bin/python3.9"))
    result = run(mailbox_info, dict(connection(sandbox), domain="example.com"))
    assert result["failed"]
    assert "Python 3.9 at /usr/bin/python3.9" in result["msg"]
    assert "urllib3 2.7.0 needs Python 3.10 or later" in result["msg"]
    assert sandbox.requests() == []


def test_missing_provider_names_the_option_its_variable_and_the_credential_type(sandbox):
    args = connection(sandbox)
    del args["provider"]
    result = run(mailbox_info, dict(args, domain="example.com"))
    assert result["failed"]
    assert result["msg"].startswith("provider is required")
    assert "HOSTED_EXCHANGE_PROVIDER" in result["msg"] and CREDENTIAL_TYPE in result["msg"]
    assert "missing required arguments" not in result["msg"]
    assert sandbox.requests() == []


def test_the_provider_from_the_environment_is_enough(sandbox, monkeypatch):
    monkeypatch.setenv("HOSTED_EXCHANGE_PROVIDER", "rackspace")
    args = connection(sandbox)
    del args["provider"]
    result = run(mailbox_info, dict(args, domain="example.com", name="alex"))
    assert not result.get("failed") and result["count"] == 1


def test_an_unknown_provider_is_refused_with_the_registered_choices(sandbox):
    result = run(mailbox_info, dict(connection(sandbox), provider="exchange-online"))
    assert result["failed"] and "rackspace, hostway, odin" in result["msg"]
    assert sandbox.requests() == []


@pytest.mark.parametrize("provider,missing,extra", [
    ("rackspace", ["api_user", "api_secret"], {}),
    ("hostway", ["account"], {}),
    ("odin", ["api_url"], {"account": "1000"}),
    ("odin", ["account"], {}),
])
def test_a_missing_option_a_provider_needs_names_it_its_variable_and_the_credential_type(
        sandbox, provider, missing, extra):
    args = dict(connection(sandbox), provider=provider, **extra)
    for option in missing:
        args.pop(option, None)
    result = run(mailbox_info, dict(args, domain="example.com"))
    assert result["failed"]
    assert result["msg"].startswith("%s %s required for provider %s" % (
        ", ".join(missing), "are" if len(missing) > 1 else "is", provider))
    for option in missing:
        assert "HOSTED_EXCHANGE_%s" % option.upper() in result["msg"]
    assert CREDENTIAL_TYPE in result["msg"] and API_SECRET not in json.dumps(result)
    assert sandbox.requests() == []


def test_an_empty_variable_counts_as_missing(sandbox, monkeypatch):
    # AWX injects an empty string for a credential field left empty.
    monkeypatch.setenv("HOSTED_EXCHANGE_API_USER", "")
    args = connection(sandbox)
    del args["api_user"]
    result = run(mailbox_info, dict(args, domain="example.com"))
    assert result["failed"] and result["msg"].startswith("api_user is required for provider rackspace")
    assert sandbox.requests() == []
