# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP session per module run: timeouts, TLS, pacing, retry with backoff, throttle waits.

The retry policy in one place:
- a throttle answer (the provider client recognises it, or HTTP 429) was not executed, so
  any request is re-sent once the backoff (or the 429's Retry-After) has waited it out,
  within the time budget;
- a transient failure (connection error, timeout, an answer cut off mid-body, HTTP 500 or
  502-504) of a read is re-sent up to ``retries`` times within the same budget;
- a transient failure of an idempotent write (one that sets fields to values) likewise;
- a transient failure of any other write is ambiguous: it may have taken effect. It is never
  blindly re-sent: the caller's ``confirm`` read-back decides. If the write took effect,
  the request counts as done; if not, it is sent again; with no ``confirm`` it fails.

Answers are read in chunks, and one larger than MAX_ANSWER_BYTES is refused, not retried.

Redirects are never followed here: a provider client that expects them follows them itself
after checking the target is the API's own origin, so credentials never leave it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import email.utils
import random
import threading
import time
import traceback

from ansible.module_utils.compat.version import LooseVersion

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    InvalidInputError,
    ProviderError,
    RetryExhaustedError,
)

try:
    import requests
    import urllib3
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
    URLLIB3_VERSION = urllib3.__version__
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    URLLIB3_VERSION = None

# urllib3 inflates a compressed answer in bounded steps from 2.7 on; older ones inflate a whole read, or a chain
# of encodings, at once, so the cap on an answer's size (MAX_ANSWER_BYTES) would not hold for compressed answers.
URLLIB3_MINIMUM = '2.7.0'

USER_AGENT = 'mailops.hosted_exchange Ansible collection'
SAFE_METHODS = ('GET', 'HEAD', 'OPTIONS')
TRANSIENT_STATUSES = (500, 502, 503, 504)
TOO_MANY_REQUESTS = 429
BACKOFF_BASE = 1.0
BACKOFF_CAP = 30.0
# requests applies the timeout to each socket read, so an answer that trickles in (a byte now and
# then, each within the timeout) would never end: a whole answer gets this many timeouts at most.
ANSWER_DEADLINE = 2
# The largest answer body read, after decompression. The biggest real answers (an Odin subscription's
# whole mailbox list) are a few MB; past this a server is broken or hostile, and reading on would only
# exhaust the controller's memory (a gzip bomb is a few KB on the wire).
MAX_ANSWER_BYTES = 64 * 1024 * 1024
READ_CHUNK = 64 * 1024

# What request() returns when a write failed ambiguously and the read-back showed it took effect.
CONFIRMED = object()


def urllib3_too_old(version=None):
    """Whether the installed urllib3 (or the given version text) is older than URLLIB3_MINIMUM."""
    version = URLLIB3_VERSION if version is None else version
    try:
        return LooseVersion(str(version)) < LooseVersion(URLLIB3_MINIMUM)
    except TypeError:  # a version text that does not compare (e.g. starting with letters): not one we know
        return True


def backoff_delay(attempt, base=BACKOFF_BASE, cap=BACKOFF_CAP, rand=random.uniform):
    """Exponential backoff with jitter: between half and all of base * 2**attempt, capped."""
    ceiling = min(cap, base * (2 ** attempt))
    return rand(ceiling / 2.0, ceiling)


class Transport(object):
    """HTTP for one provider client; knows nothing of any provider's payloads."""

    def __init__(self, provider, timeout=30.0, validate_certs=True, retries=5, retry_budget=120.0,
                 is_throttle=None, sign=None, sleep=time.sleep, clock=time.monotonic, session=None, pacer=None):
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
        # Keeps the client inside the provider's rate limits (pacing.Pacer), or None.
        self.pacer = pacer
        self.session = session if session is not None else requests.Session()
        self.session.headers['User-Agent'] = USER_AGENT

    def request(self, method, url, obj=None, confirm=None, idempotent=False, headers=None, kind=None, **kwargs):
        """Send one request under the retry policy; return the final response (any status) or CONFIRMED.

        ``obj`` names what the request is about, for error messages. ``confirm`` is a
        read-back for writes: called after an ambiguous failure, it returns True when
        the write is found to have taken effect. ``idempotent`` marks a write that may be
        re-sent like a read (setting fields to values). ``kind`` ('read' or 'write', by
        default from the method) is what the pacer counts it as.
        """
        method = method.upper()
        kind = kind or ('read' if method in SAFE_METHODS else 'write')
        kwargs.setdefault('allow_redirects', False)
        started = self.clock()
        transient_failures = 0
        throttles = 0
        while True:
            if self.pacer is not None:
                self.pacer.acquire(kind)
            try:
                response, failure = self._send(method, url, headers, kwargs)
            except ProviderError as exc:
                exc.obj = exc.obj or obj
                raise
            status = getattr(response, 'status_code', None)
            if response is not None and (status == TOO_MANY_REQUESTS or self.is_throttle(response)):
                reason = 'throttled by the provider'
                # Retry-After when the provider says it, but never less than the backoff: "0" is no pause.
                delay = max(retry_after(response) or 0.0, backoff_delay(throttles))
                throttles += 1
            elif failure is not None or status in TRANSIENT_STATUSES:
                reason = failure or 'transient HTTP %s' % status
                if method not in SAFE_METHODS and not idempotent:
                    if confirm is None:
                        raise RetryExhaustedError(
                            '%s %s failed ambiguously (%s) and cannot be verified, so it was not re-sent'
                            % (method, obj or 'request', reason), provider=self.provider, obj=obj, status=status)
                    if confirm():
                        return CONFIRMED
                if transient_failures >= self.retries:
                    raise RetryExhaustedError('gave up after %d retries: %s' % (transient_failures, reason),
                                              provider=self.provider, obj=obj, status=status)
                delay = backoff_delay(transient_failures)
                transient_failures += 1
            else:
                return response
            if self.clock() - started + delay > self.retry_budget:
                raise RetryExhaustedError(
                    'retry/throttle budget of %s seconds exhausted: %s' % (self.retry_budget, reason),
                    provider=self.provider, obj=obj, status=status)
            self.sleep(delay)

    def _send(self, method, url, headers, kwargs):
        """One attempt: (response, None) or (None, a short description of the connection failure)."""
        all_headers = dict(headers or {})
        if self.sign is not None:
            all_headers.update(self.sign())
        outcome = {}

        def read(response, *_args, **_kwargs):
            # As a response hook too: requests reads a redirect's body itself, before it returns.
            _read_whole(response, url, self.provider, method)

        def attempt():
            try:
                response = self.session.request(method, url, headers=all_headers, timeout=self.timeout,
                                                verify=self.validate_certs, stream=True, hooks={'response': read},
                                                **kwargs)
                outcome['response'] = response
                read(response)  # a session that runs no hooks (a test double) has not read it yet
            except Exception as exc:  # pylint: disable=broad-except  # raised again below, in the caller's thread
                outcome['error'] = exc

        # In a thread of its own, so an answer that trickles in is given up at the deadline (the thread
        # is left to end with the connection; it never holds up the module's exit).
        worker = threading.Thread(target=attempt, name='hosted-exchange-request')
        worker.daemon = True
        worker.start()
        worker.join(None if self.timeout is None else ANSWER_DEADLINE * self.timeout)
        if worker.is_alive():
            return None, 'no whole answer from %s within %s seconds' % (_origin(url), ANSWER_DEADLINE * self.timeout)
        try:
            if 'error' in outcome:
                raise outcome['error']
            response = outcome['response']
        except requests.exceptions.SSLError:
            # Not transient: retrying a certificate failure cannot help; say what to check.
            raise ProviderError(
                'TLS verification failed for %s (set validate_certs=false only for a trusted test endpoint)'
                % _origin(url), provider=self.provider)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema, requests.exceptions.URLRequired, ValueError, UnicodeError):
            raise InvalidInputError('api_url %s is not a usable http(s) URL (for example https://api.example.com)'
                                    % _origin(url), provider=self.provider)
        except requests.exceptions.Timeout:
            return None, 'timed out after %s seconds' % self.timeout
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            return None, 'the answer from %s was cut off or garbled' % _origin(url)
        except requests.exceptions.ConnectionError:
            return None, 'could not connect to %s' % _origin(url)
        except requests.exceptions.RequestException as exc:
            return None, 'HTTP failure talking to %s (%s)' % (_origin(url), type(exc).__name__)
        return response, None

    def close(self):
        self.session.close()


def _read_whole(response, url, provider, method):
    """Read a streamed answer's body into the response (as requests would), up to MAX_ANSWER_BYTES."""
    if response._content_consumed:
        return
    body = bytearray()
    for chunk in response.iter_content(READ_CHUNK):
        body.extend(chunk)
        if len(body) > MAX_ANSWER_BYTES:
            response.close()
            acted = '' if method in SAFE_METHODS else ' (the %s may have taken effect: read the object back)' % method
            raise ProviderError('the answer from %s is larger than %g MB%s: check api_url, or what answers there'
                                % (_origin(url), MAX_ANSWER_BYTES / 1048576.0, acted), provider=provider,
                                status=response.status_code)
    # What response.content would have read: from now on it returns this.
    response._content, response._content_consumed = bytes(body), True


def _origin(url):
    """scheme://host:port of a URL: enough to say where, never a path, query string or credentials."""
    scheme, sep, rest = str(url).partition('://')
    if not sep:
        return repr(str(url).split('/', 1)[0][:80])
    host = rest.split('/', 1)[0].split('?', 1)[0].rsplit('@', 1)[-1]
    return '%s://%s' % (scheme, host)


def retry_after(response):
    """Seconds a 429/503 answer asks to wait (Retry-After: seconds or an HTTP date), or None."""
    value = (response.headers.get('Retry-After') or '').strip()
    if not value:
        return None
    if value.isdigit() and value.isascii():  # not "²", which isdigit() accepts and float() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())
