# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors raised by the client layer and turned into fail_json by the runner.

Every error carries what an operator needs to act (provider, object, HTTP status,
the provider's own message) and never a secret: clients only ever put provider
messages and object names in them, and the runner scrubs known secrets as a last guard.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class HostedExchangeError(Exception):
    """A failure to report to the user, with structured details for the task result."""

    def __init__(self, message, provider=None, obj=None, status=None, provider_message=None):
        super(HostedExchangeError, self).__init__(message)
        self.message = message
        self.provider = provider
        self.obj = obj
        self.status = status
        self.provider_message = provider_message

    def __str__(self):
        parts = []
        if self.provider:
            parts.append(self.provider)
        if self.obj:
            parts.append(self.obj)
        text = ': '.join(parts + [self.message])
        if self.provider_message and self.provider_message not in self.message:
            text += ': ' + self.provider_message
        if self.status is not None:
            text += ' (HTTP %s)' % self.status
        return text

    def details(self):
        """Extra keys for fail_json, only those that are known."""
        found = dict(provider=self.provider, object=self.obj, status=self.status,
                     provider_message=self.provider_message)
        return dict((key, value) for key, value in found.items() if value is not None)


class InvalidInputError(HostedExchangeError):
    """The task asks for something that cannot be sent; nothing was changed."""


class NotSupportedError(InvalidInputError):
    """The provider cannot honour an option or a whole module."""


class NotFoundError(HostedExchangeError):
    """The object the task names does not exist at the provider."""


class UnknownScopeError(HostedExchangeError):
    """The customer, account, subscription or domain itself is unknown: never read as "absent"."""


class AuthError(HostedExchangeError):
    """The provider refused the credentials or the permission (not retried)."""


class ProviderError(HostedExchangeError):
    """The provider answered with an error that is not one of the above."""


class RetryExhaustedError(HostedExchangeError):
    """Transient failures or throttling outlasted the retry/throttle budget."""
