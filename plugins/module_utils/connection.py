# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares (see doc_fragments/connection.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible.module_utils.basic import env_fallback

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import InvalidInputError

# The custom credential type of docs/awx.md, which injects the connection options as environment variables.
CREDENTIAL_TYPE = "the 'Hosted Exchange' custom credential type (docs/awx.md)"


def env_var(option):
    """The environment variable an option falls back to (what the AWX credential type injects)."""
    return 'HOSTED_EXCHANGE_' + option.upper()


def _env(option):
    return (env_fallback, [env_var(option)])


def connection_argument_spec(providers):
    """A fresh copy of the connection options, with the env fallbacks AWX credential types use.

    ``providers``: the provider names (clients.CLIENTS). provider is not required here: the
    runner checks it, so a missing one names its environment variable and the credential type.
    """
    return dict(
        provider=dict(type='str', choices=list(providers), fallback=_env('provider')),
        api_url=dict(type='str', fallback=_env('api_url')),
        api_user=dict(type='str', fallback=_env('api_user')),
        api_secret=dict(type='str', no_log=True, fallback=_env('api_secret')),
        account=dict(type='str', fallback=_env('account')),
        validate_certs=dict(type='bool', default=True, fallback=_env('validate_certs')),
        timeout=dict(type='float', default=30.0, fallback=_env('timeout')),
        retries=dict(type='int', default=5, fallback=_env('retries')),
        retry_budget=dict(type='float', default=120.0, fallback=_env('retry_budget')),
        max_reads_per_minute=dict(type='int', fallback=_env('max_reads_per_minute')),
        max_writes_per_minute=dict(type='int', fallback=_env('max_writes_per_minute')),
        rate_window=dict(type='float', default=60.0, fallback=_env('rate_window')),
    )


def missing_options(options, provider=None, hint=None):
    """The error for connection options a task needs but got neither from the task nor from the environment:
    it names each option, its environment variable and the AWX credential type that injects them."""
    plural = len(options) > 1
    return InvalidInputError(
        '%s %s required%s%s: set %s in the task (or module_defaults) or the environment variable%s %s; '
        'in AWX, attach a credential of %s to the job template'
        % (', '.join(options), 'are' if plural else 'is', ' for provider %s' % provider if provider else '',
           ' (%s)' % hint if hint else '', 'them' if plural else 'it', 's' if plural else '',
           ', '.join(env_var(option) for option in options), CREDENTIAL_TYPE))


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
