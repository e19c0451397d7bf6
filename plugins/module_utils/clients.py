# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The provider registry: which client serves which provider.

The one list of providers: the provider option's choices come from it, and a unit test checks
the doc fragment against it. A new provider is its client (providers/<name>.py, implementing
providers.base.ProviderClient), its entry here, and its sandbox (docs/providers.md).
Imports are static on purpose: AnsiballZ bundles only the module_utils it can see imported.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.connection import connection_argument_spec
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.hostway import HostwayClient
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.odin import OdinClient
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.rackspace import RackspaceClient

# In the order the documentation lists them; each client's name is its key.
CLIENTS = dict((client.name, client) for client in (
    RackspaceClient,
    HostwayClient,
    OdinClient,
))


def argument_spec():
    """The connection options, their provider choices taken from the registry."""
    return connection_argument_spec(CLIENTS)


def make_client(params):
    """A client for params['provider']; sends nothing until a method is called."""
    return CLIENTS[params['provider']](params)
