# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP session per module run: timeouts, TLS, retry with backoff, throttle waits.

The retry policy in one place:
- a throttle answer (the provider client recognises it) was not executed, so any
  request is re-sent once the backoff has waited it out, within the time budget;
- a transient failure (connection error, timeout, 502/503/504) of a read is re-sent
  up to ``retries`` times within the same budget;
- a transient failure of an idempotent write (one that sets fields to values) likewise;
- a transient failure of any other write is ambiguous: it may have taken effect. It is never
  blindly re-sent: the caller's ``confirm`` read-back decides. If the write took effect,
  the request counts as done; if not, it is sent again; with no ``confirm`` it fails.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import random
import time
import traceback

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    ProviderError,
    RetryExhaustedError,
)

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

USER_AGENT = 'mailops.hosted_exchange Ansible collection'
SAFE_METHODS = ('GET', 'HEAD', 'OPTIONS')
TRANSIENT_STATUSES = (502, 503, 504)
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0

# What request() returns when a write failed ambiguously and the read-back showed it took effect.
CONFIRMED = object()


def backoff_delay(attempt, base=BACKOFF_BASE, cap=BACKOFF_CAP, rand=random.uniform):
    """Exponential backoff with jitter: between half and all of base * 2**attempt, capped."""
    ceiling = min(cap, base * (2 ** attempt))
    return rand(ceiling / 2.0, ceiling)


class Transport(object):
    """HTTP for one provider client; knows nothing of any provider's payloads."""

    def __init__(self, provider, timeout=30.0, validate_certs=True, retries=5, retry_budget=120.0,
                 is_throttle=None, sign=None, sleep=time.sleep, clock=time.monotonic, session=None):
        self.provider = provider
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.retries = retries
        self.retry_budget = retry_budget
        self.is_throttle = is_throttle or (lambda response: False)
        # sign() returns headers computed afresh for every attempt (Rackspace signatures go stale).
        self.sign = sign
        self.sleep = sleep
        self.clock = clock
        self.session = session if session is not None else requests.Session()
        self.session.headers['User-Agent'] = USER_AGENT

    def request(self, method, url, obj=None, confirm=None, idempotent=False, headers=None, **kwargs):
        """Send one request under the retry policy; return the final response (any status) or CONFIRMED.

        ``obj`` names what the request is about, for error messages. ``confirm`` is a
        read-back for writes: called after an ambiguous failure, it returns True when
        the write is found to have taken effect. ``idempotent`` marks a write that may be
        re-sent like a read (setting fields to values).
        """
        method = method.upper()
        started = self.clock()
        transient_failures = 0
        throttles = 0
        while True:
            response, failure = self._send(method, url, headers, kwargs)
            if response is not None and self.is_throttle(response):
                reason = 'throttled by the provider (HTTP %s)' % response.status_code
                delay = backoff_delay(throttles)
                throttles += 1
            elif failure is not None or response.status_code in TRANSIENT_STATUSES:
                reason = failure or 'transient HTTP %s' % response.status_code
                if method not in SAFE_METHODS and not idempotent:
                    if confirm is None:
                        raise RetryExhaustedError(
                            '%s %s failed ambiguously (%s) and cannot be verified, so it was not re-sent'
                            % (method, obj or 'request', reason), provider=self.provider, obj=obj,
                            status=getattr(response, 'status_code', None))
                    if confirm():
                        return CONFIRMED
                if transient_failures >= self.retries:
                    raise RetryExhaustedError(
                        'gave up after %d retries: %s' % (transient_failures, reason),
                        provider=self.provider, obj=obj, status=getattr(response, 'status_code', None))
                delay = backoff_delay(transient_failures)
                transient_failures += 1
            else:
                return response
            if self.clock() - started + delay > self.retry_budget:
                raise RetryExhaustedError(
                    'retry/throttle budget of %s seconds exhausted: %s' % (self.retry_budget, reason),
                    provider=self.provider, obj=obj, status=getattr(response, 'status_code', None))
            self.sleep(delay)

    def _send(self, method, url, headers, kwargs):
        """One attempt: (response, None) or (None, a short description of the connection failure)."""
        all_headers = dict(headers or {})
        if self.sign is not None:
            all_headers.update(self.sign())
        try:
            response = self.session.request(method, url, headers=all_headers, timeout=self.timeout,
                                            verify=self.validate_certs, **kwargs)
        except requests.exceptions.SSLError:
            # Not transient: retrying a certificate failure cannot help; say what to check.
            raise ProviderError(
                'TLS verification failed for %s (set validate_certs=false only for a trusted test endpoint)'
                % _origin(url), provider=self.provider)
        except requests.exceptions.Timeout:
            return None, 'timed out after %s seconds' % self.timeout
        except requests.exceptions.ConnectionError:
            return None, 'could not connect to %s' % _origin(url)
        return response, None

    def close(self):
        self.session.close()


def _origin(url):
    """scheme://host:port of a URL: enough to say where, never a query string or credentials."""
    scheme, _sep, rest = url.partition('://')
    host = rest.split('/', 1)[0].rsplit('@', 1)[-1]
    return '%s://%s' % (scheme, host)
