# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares (see doc_fragments/connection.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible.module_utils.basic import env_fallback

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import InvalidInputError

PROVIDERS = ('rackspace', 'hostway', 'odin')

# Odin has no public default: every installation has its own management node.
DEFAULT_API_URLS = {
    'rackspace': 'https://api.emailsrvr.com/v1',
    'hostway': 'https://api.hostway.com',
}


def _env(name):
    return (env_fallback, ['HOSTED_EXCHANGE_' + name])


def connection_argument_spec():
    """A fresh copy of the connection options, with the env fallbacks AWX credential types use."""
    return dict(
        provider=dict(type='str', required=True, choices=list(PROVIDERS), fallback=_env('PROVIDER')),
        api_url=dict(type='str', fallback=_env('API_URL')),
        api_user=dict(type='str', fallback=_env('API_USER')),
        api_secret=dict(type='str', no_log=True, fallback=_env('API_SECRET')),
        account=dict(type='str', fallback=_env('ACCOUNT')),
        validate_certs=dict(type='bool', default=True, fallback=_env('VALIDATE_CERTS')),
        timeout=dict(type='float', default=30.0, fallback=_env('TIMEOUT')),
        retries=dict(type='int', default=5, fallback=_env('RETRIES')),
        retry_budget=dict(type='float', default=120.0, fallback=_env('RETRY_BUDGET')),
        max_reads_per_minute=dict(type='int', fallback=_env('MAX_READS_PER_MINUTE')),
        max_writes_per_minute=dict(type='int', fallback=_env('MAX_WRITES_PER_MINUTE')),
        rate_window=dict(type='float', default=60.0, fallback=_env('RATE_WINDOW')),
    )


def check_connection(params, provider=None):
    """The numeric connection options, checked before any request: a clear error, never a crash later."""
    problems = []
    # (option, whether 0 is refused too): a timeout or a window of 0 would never let a request through.
    for name, positive in (('timeout', True), ('retry_budget', False), ('rate_window', True), ('retries', False),
                           ('max_reads_per_minute', False), ('max_writes_per_minute', False)):
        value = params.get(name)
        if value is None:
            continue
        finite = isinstance(value, (int, float)) and not math.isnan(value) and not math.isinf(value)
        if not finite or value < 0 or (positive and value == 0):
            problems.append('%s must be %s (got %s)' % (name, 'more than 0' if positive else 'at least 0', value))
    if problems:
        raise InvalidInputError('; '.join(problems), provider=provider)


def secrets_of(params):
    """Values that must never appear in anything a module returns."""
    return [value for value in (params.get('api_secret'), params.get('password')) if value]
