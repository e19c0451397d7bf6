"""The provider registry and the client contract: one list of providers, and every client keeps the contract.

A new provider is its client file, its entry in clients.CLIENTS and its sandbox (docs/providers.md,
"Adding a provider"); everything that lists providers is derived from the registry or checked here.
"""

import inspect
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.mailops.hosted_exchange.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.mailops.hosted_exchange.plugins.module_utils import clients
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.connection import env_var
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import NotSupportedError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import RECORD_FIELDS
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.base import (
    FEATURE_METHODS,
    FEATURES,
    ProviderClient,
)
from tests.sandbox import start_sandbox
from tests.sandbox.common import PROVIDER_MODULES

REPO = Path(__file__).resolve().parents[3]
RESOURCES = ("mailbox", "alias", "permission", "activesync", "info", "roster", "plan", "runner")
FRAGMENT = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
SPEC = clients.argument_spec()
REGISTERED = sorted(clients.CLIENTS.items())


def test_each_client_is_registered_under_its_own_name():
    assert list(clients.CLIENTS) == ["rackspace", "hostway", "odin"]
    for key, client in clients.CLIENTS.items():
        assert client.name == key and issubclass(client, ProviderClient)


def test_the_provider_choices_are_the_registry():
    assert SPEC["provider"]["choices"] == list(clients.CLIENTS)


@pytest.mark.parametrize("provider,client", REGISTERED)
def test_every_registered_client_implements_the_contract(provider, client):
    assert not inspect.isabstract(client), "%s leaves abstract: %s" % (provider, sorted(client.__abstractmethods__))
    assert set(client.features) <= set(FEATURES)
    for feature in client.features:
        for method in FEATURE_METHODS[feature]:
            assert getattr(client, method) is not getattr(ProviderClient, method), (
                "%s serves %s but does not implement %s" % (provider, feature, method))
    assert set(client.unreadable).isdisjoint(client.listing_fields)
    capabilities = client.capabilities()
    assert capabilities["provider"] == provider and capabilities["unreadable"] == sorted(client.unreadable)


def test_every_registered_client_has_a_sandbox():
    assert set(PROVIDER_MODULES) == set(clients.CLIENTS)


def test_the_contract_declares_everything_the_resources_ask_of_a_client():
    asked = set()
    for resource in RESOURCES:
        source = (REPO / "plugins" / "module_utils" / ("%s.py" % resource)).read_text()
        asked.update(re.findall(r"\bclient\.([A-Za-z_]\w*)", source))
    assert "check_password" in asked and len(asked) > 30
    undeclared = sorted(name for name in asked if not hasattr(ProviderClient, name))
    assert undeclared == []


def test_a_client_that_leaves_out_part_of_the_contract_cannot_be_made():
    class Partial(ProviderClient):  # pylint: disable=abstract-method
        name = "partial"

        def get_mailbox(self, domain, name, need=None):
            return None

    with pytest.raises(TypeError) as caught:
        Partial({})  # pylint: disable=abstract-class-instantiated
    for method in ("check_password", "create_mailbox", "update_mailbox", "delete_mailbox", "list_mailboxes"):
        assert method in str(caught.value)


def test_a_feature_a_client_does_not_serve_is_refused_by_default():
    def nothing(self, *args, **kwargs):
        return None

    class Minimal(ProviderClient):
        name = "minimal"
        check_password = get_mailbox = create_mailbox = update_mailbox = delete_mailbox = list_mailboxes = nothing

    client = Minimal({})
    for feature, methods in FEATURE_METHODS.items():
        for method in methods:
            with pytest.raises(NotSupportedError, match="not supported by provider minimal"):
                getattr(client, method)(*(["x"] * (len(inspect.signature(getattr(client, method)).parameters))))


# One mailbox in each provider's sandbox, and the connection a client needs for it.
SANDBOXES = {
    "rackspace": ({"domains": {"example.com": {"mailboxes": [{"name": "alex", "displayName": "Alex"}]}}}, None),
    "hostway": ({"account": "acct-1", "domains": {"example.com": {"usernames": [
        {"username": "alex", "displayName": "Alex"}]}}}, "acct-1"),
    "odin": ({"subscriptions": {"1000": {"domains": ["example.com"], "mailboxes": [
        {"email_address": "alex@example.com", "display_name": "Alex", "size_limit": 1048576}]}}}, "1000"),
}


@pytest.mark.parametrize("provider,client", REGISTERED)
def test_a_full_record_has_every_field_but_those_the_client_declares_unreadable(provider, client):
    fixture, account = SANDBOXES[provider]
    sandbox = start_sandbox(provider, api_user="user", api_secret="secret-Qz9", fixture=fixture)
    try:
        record = client(dict(provider=provider, api_url=sandbox.url, api_user="user", api_secret="secret-Qz9",
                             account=account, validate_certs=True, timeout=5.0, retries=0, retry_budget=5.0,
                             rate_window=60.0)).get_mailbox("example.com", "alex")
    finally:
        sandbox.stop()
    assert set(RECORD_FIELDS) - set(record) == set(client.unreadable)
    assert all(record[field] is not None for field in RECORD_FIELDS if field in record)


# --- the doc fragment and the AWX guide, against the registry and the argument spec ---------------------

def test_the_doc_fragment_documents_exactly_the_connection_options():
    assert set(FRAGMENT["options"]) == set(SPEC)
    for option, spec in SPEC.items():
        documented = FRAGMENT["options"][option]
        assert documented.get("type") == spec["type"], option
        assert documented.get("default") == spec.get("default"), option
        assert documented.get("required", False) == spec.get("required", False), option


def test_the_doc_fragment_lists_the_registered_providers():
    assert FRAGMENT["options"]["provider"]["choices"] == list(clients.CLIENTS)


def test_the_doc_fragment_names_each_options_environment_variable():
    for option, spec in SPEC.items():
        assert spec["fallback"][1] == [env_var(option)], option
        text = " ".join(FRAGMENT["options"][option]["description"])
        assert "E(%s)" % env_var(option) in text, option


def test_the_doc_fragment_gives_each_providers_api_url_default_or_says_it_is_required():
    text = " ".join(FRAGMENT["options"]["api_url"]["description"])
    for provider, client in REGISTERED:
        if client.default_api_url:
            assert "V(%s) for O(provider=%s)" % (client.default_api_url, provider) in text
        else:
            assert re.search(r"Required for (O\(provider=\w+\)(, | and )?)*O\(provider=%s\)" % provider, text), provider


def test_the_awx_credential_type_offers_the_registered_providers_and_injects_their_variables():
    guide = (REPO / "docs" / "awx.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", guide, re.S)
    inputs = next(yaml.safe_load(block) for block in blocks if block.startswith("fields:"))
    injector = next(yaml.safe_load(block) for block in blocks if block.startswith("env:"))
    fields = dict((field["id"], field) for field in inputs["fields"])
    assert fields["provider"]["choices"] == list(clients.CLIENTS)
    assert set(fields) <= set(SPEC) and "provider" in inputs["required"]
    assert injector["env"] == dict((env_var(option), "{{ %s }}" % option) for option in fields)
    assert fields["api_secret"].get("secret") is True
