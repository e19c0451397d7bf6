# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client-side pacing inside a provider's documented rate limits.

A provider that counts requests per API user in fixed windows (Rackspace: 60 reads and
30 writes a minute) answers a burst over the limit with a refusal that still counts. So
the client keeps under the limit itself: at most ``limit`` requests of a kind in any
``window`` seconds, a sliding window slightly longer than the provider's so network
jitter cannot push one request into the wrong window.

The log of send times is shared through a small file under the system temp directory,
locked while it is read and written, so every module process on this host that uses the
same API user (ansible forks, parallel plays) draws from the same allowance. Where the
file cannot be used (no fcntl, read-only temp), pacing falls back to this process alone.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import os
import tempfile
import time

try:
    import fcntl
    HAS_FCNTL = True
except ImportError:  # not POSIX: pace this process only
    HAS_FCNTL = False

# The window is stretched by this share (and at least MIN_MARGIN seconds) against jitter.
MARGIN = 0.02
MIN_MARGIN = 0.05
STATE_DIRECTORY = 'mailops-hosted-exchange-pacing'


class Pacer(object):
    """Waits before a request until its kind ('read' or 'write') is inside its limit."""

    def __init__(self, identity, limits, window=60.0, clock=time.time, sleep=time.sleep, directory=None):
        # limits: {'read': n, 'write': n}; a missing or 0 limit means that kind is not paced.
        self.limits = dict((kind, int(limit)) for kind, limit in limits.items() if limit and limit > 0)
        self.window = float(window) + max(float(window) * MARGIN, MIN_MARGIN)
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0
        self._local = {}
        self._path = None
        if self.limits and HAS_FCNTL:
            self._path = self._state_path(identity, directory)

    @staticmethod
    def _state_path(identity, directory):
        digest = hashlib.sha256(identity.encode('utf-8')).hexdigest()[:24]
        folder = directory or os.path.join(tempfile.gettempdir(), STATE_DIRECTORY)
        try:
            if not os.path.isdir(folder):
                os.makedirs(folder, 0o700)
        except OSError:
            return None
        return os.path.join(folder, digest + '.json')

    def acquire(self, kind):
        """Block until one more request of kind fits in the window, then record it."""
        limit = self.limits.get(kind)
        if not limit:
            return
        while True:
            wait = self._reserve(kind, limit)
            if wait <= 0:
                return
            self.waited += wait
            self.sleep(wait)

    def _reserve(self, kind, limit):
        """Record a send now and return 0, or return how long to wait before trying again."""
        if self._path is not None:
            try:
                return self._reserve_shared(kind, limit)
            except (IOError, OSError, ValueError):
                self._path = None  # the shared log is unusable: pace this process alone
        sends = self._local.setdefault(kind, [])
        return self._take(sends, limit)

    def _reserve_shared(self, kind, limit):
        descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, 'r+') as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                text = handle.read()
                state = json.loads(text) if text.strip() else {}
                if not isinstance(state, dict):
                    state = {}
                sends = [float(stamp) for stamp in state.get(kind) or []]
                wait = self._take(sends, limit)
                if wait <= 0:
                    state[kind] = sends
                    handle.seek(0)
                    handle.truncate()
                    handle.write(json.dumps(state))
                    handle.flush()
                return wait
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _take(self, sends, limit):
        now = self.clock()
        # Send times from the future (a clock stepped back, a stale file) are dropped, so no wait outlasts a window.
        sends[:] = sorted(stamp for stamp in sends if 0 <= now - stamp < self.window)
        if len(sends) < limit:
            sends.append(now)
            return 0
        return min(self.window, sends[len(sends) - limit] + self.window - now)
