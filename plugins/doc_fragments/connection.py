# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options every module of the collection takes.
    DOCUMENTATION = r'''
options:
  provider:
    description:
      - Which hosted Exchange provider's API to talk to.
      - If not set, the value of the E(HOSTED_EXCHANGE_PROVIDER) environment variable is used.
      - Required, from the task or from the environment; without either the task fails before any request
        with a message naming both (in AWX, a credential of the collection's custom credential type sets it).
    type: str
    choices: [rackspace, hostway, odin]
  api_url:
    description:
      - Base URL of the provider's API.
      - Defaults to V(https://api.emailsrvr.com/v1) for O(provider=rackspace) and V(https://api.hostway.com)
        for O(provider=hostway). Required for O(provider=odin), for example V(https://oa.example.com:8440/RPC2).
      - If not set, the value of the E(HOSTED_EXCHANGE_API_URL) environment variable is used.
    type: str
  api_user:
    description:
      - The API user. Rackspace API user key; Hostway user name; Odin staff login for HTTP Basic
        authentication. Required for O(provider=rackspace) and O(provider=hostway), optional for O(provider=odin).
      - If not set, the value of the E(HOSTED_EXCHANGE_API_USER) environment variable is used.
    type: str
  api_secret:
    description:
      - The API secret. Rackspace secret key; Hostway password; Odin password. Required for O(provider=rackspace)
        and O(provider=hostway).
      - If not set, the value of the E(HOSTED_EXCHANGE_API_SECRET) environment variable is used.
      - Never shown in output, diffs or error messages.
    type: str
  account:
    description:
      - The account the mailboxes belong to. Rackspace customer account number (default V(me), the
        caller's own account); Hostway account; Odin subscription ID. Required for O(provider=hostway) and
        O(provider=odin).
      - If not set, the value of the E(HOSTED_EXCHANGE_ACCOUNT) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate. Only turn this off for a trusted test endpoint.
      - If not set, the value of the E(HOSTED_EXCHANGE_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
      - If not set, the value of the E(HOSTED_EXCHANGE_TIMEOUT) environment variable is used.
    type: float
    default: 30.0
  retries:
    description:
      - How many times a read (or an edit that only sets values) is re-sent after a connection error,
        a timeout or HTTP 502/503/504. Creates and deletes are never re-sent blindly; after an ambiguous
        failure the module reads back whether they took effect.
      - If not set, the value of the E(HOSTED_EXCHANGE_RETRIES) environment variable is used.
    type: int
    default: 5
  retry_budget:
    description:
      - The most seconds one request may spend waiting between attempts, on retries and on
        provider throttling together (exponential backoff with jitter). When the budget would be
        exceeded the task fails with a message saying so.
      - If not set, the value of the E(HOSTED_EXCHANGE_RETRY_BUDGET) environment variable is used.
    type: float
    default: 120.0
  max_reads_per_minute:
    description:
      - The most reads (GET) the collection sends per O(rate_window) for this API user, so the provider's
        rate limit never refuses one. Every module process on the controller that uses the same API user
        shares this allowance (forks and parallel plays included).
      - Defaults to the provider's documented limit - V(60) for O(provider=rackspace); no limit for hostway
        and odin, whose limits are not documented. V(0) turns pacing of reads off.
      - If not set, the value of the E(HOSTED_EXCHANGE_MAX_READS_PER_MINUTE) environment variable is used.
    type: int
    version_added: 0.2.0
  max_writes_per_minute:
    description:
      - The most writes (POST, PUT, DELETE) per O(rate_window) for this API user, like O(max_reads_per_minute).
      - Defaults to V(30) for O(provider=rackspace); no limit for hostway and odin. V(0) turns pacing of writes off.
      - If not set, the value of the E(HOSTED_EXCHANGE_MAX_WRITES_PER_MINUTE) environment variable is used.
    type: int
    version_added: 0.2.0
  rate_window:
    description:
      - The length in seconds of the provider's counting window for O(max_reads_per_minute) and
        O(max_writes_per_minute). Keep V(60) for a real provider; a sandbox started with a time scale
        counts in shorter windows (60 times the scale).
      - If not set, the value of the E(HOSTED_EXCHANGE_RATE_WINDOW) environment variable is used.
    type: float
    default: 60.0
    version_added: 0.2.0
requirements:
  - Python 3.10 or later on the host that runs the modules (the oldest Python urllib3 2.7 installs on), within
    the target Pythons of the ansible-core in use
  - requests 2.30.0 or later
  - urllib3 >= 2.7.0 (it inflates a compressed answer in bounded steps, so the size cap on answers holds; with an
    older urllib3 the task fails before any request)
notes:
  - Pacing happens per controller host. Runs on several hosts (or several AWX jobs) that share one API
    user share the provider's limit too - give each its own API user or lower the limits accordingly;
    a throttle answer is still waited out within O(retry_budget).
  - All modules of this collection belong to the action group C(mailops.hosted_exchange.hosted_exchange),
    so a play can set the connection options once with C(module_defaults).
'''
