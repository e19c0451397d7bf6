# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which client serves which provider.

Imports are static on purpose: AnsiballZ bundles only the module_utils it can see imported.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.hostway import HostwayClient
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.odin import OdinClient
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.rackspace import RackspaceClient

CLIENTS = {
    'rackspace': RackspaceClient,
    'hostway': HostwayClient,
    'odin': OdinClient,
}


def make_client(params):
    """A client for params['provider']; sends nothing until a method is called."""
    return CLIENTS[params['provider']](params)
