# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract every provider client implements, in the canonical model.

Mailboxes are named by (domain, name); a client that addresses them otherwise (Odin's
numeric ids) resolves that itself. Records are dicts of model.MAILBOX_FIELDS plus the
read-only keys name, domain, address, aliases, activesync, ...; a client never calls
exit_json and never returns a secret. A field the provider cannot read is left out of a
record (``unreadable``), never filled with an empty or default value; a value the provider
answers in the wrong shape is an error naming the field and the object.

What a provider can do is said here, once, by each client's class attributes; modules,
roles and playbooks ask ``capabilities()`` instead of keeping a copy.

The abstract methods are what every client must implement; the methods of a feature
(FEATURE_METHODS) are what a client that lists the feature in ``features`` must implement.
Everything else has a default here. docs/providers.md ("Adding a provider") says how a new
provider is added; tests/unit/plugins/test_registry.py checks every registered client.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import abc
import base64
import json
from xml.sax.saxutils import escape

from ansible.module_utils.six.moves.urllib.parse import quote, quote_plus, urlsplit

from ansible_collections.mailops.hosted_exchange.plugins.module_utils import model
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.connection import (
    check_connection,
    missing_options,
    secrets_of,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.pacing import Pacer
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.transport import Transport

FEATURES = ('alias', 'permission', 'activesync')
# The methods a client must implement for each feature it serves (the others refuse by default).
FEATURE_METHODS = {
    'alias': ('add_alias', 'remove_alias'),
    'permission': ('get_permissions', 'resolve_grantee', 'set_permission', 'revoke_permission'),
    'activesync': ('get_activesync', 'set_activesync'),
}


class ProviderClient(metaclass=abc.ABCMeta):
    # The provider's key: the value of the provider option, and the key of clients.CLIENTS.
    name = None
    # The customer, account or subscription the task is scoped to (set from the connection options).
    account = None
    # The API's public base URL, where it has one (else api_url is required).
    default_api_url = None
    # exchange_mailbox options this provider honours; any other option set in a task fails.
    mailbox_options = frozenset()
    # What a create needs besides the name (checked before any write).
    create_requires = ()
    # Fields the provider can set only when creating; asking to change them fails clearly.
    update_immutable = frozenset()
    # Whether update_password=always can be honoured on an existing mailbox.
    password_updatable = True
    # mailbox_info options this provider honours, and which values of its include option.
    info_options = frozenset()
    info_includes = frozenset()
    # Which of FEATURES (mailbox_alias, mailbox_permission, activesync_service) it serves.
    features = frozenset()
    # Canonical fields a domain listing carries for every mailbox (more needs a read per mailbox).
    listing_fields = frozenset()
    # Whether every name a domain listing returns is a hosted Exchange mailbox (else each is checked with a read),
    # and whether a mailbox may answer to a name its listing entry does not show (then an absent name is asked).
    listing_is_exchange_only = True
    listing_may_miss_names = False
    # The changes that cut a mailbox's access (exchange_mailbox state=disabled, roster unlisted=disable),
    # and what such a mailbox can still do because the API cannot cut it.
    disable_changes = {}
    access_kept_when_disabled = ()
    # The provider's documented rate limits per API user: {'read': n, 'write': n} per minute.
    rate_limits = {}
    # What create_mailbox can set besides the mailbox fields ('aliases', 'activesync'), saving a write each.
    create_sets = frozenset()
    # The largest mailbox size (MB) the API can carry, where it has a bound.
    max_size_mb = None
    # Canonical fields of a full mailbox record that the API cannot read: left out of every record it returns.
    unreadable = frozenset()

    def __init__(self, params):
        check_connection(params, self.name)
        self.params = params
        self.account = params.get('account')
        self.transport = None
        self._secrets = set(secrets_of(params))

    @classmethod
    def capabilities(cls):
        """What this provider can do, for tasks, roles and playbooks to ask instead of keeping a table."""
        return {
            'provider': cls.name,
            'mailbox_options': sorted(cls.mailbox_options),
            'entry_options': list(model.ENTRY_OPTIONS),
            'create_requires': list(cls.create_requires),
            'update_immutable': sorted(cls.update_immutable),
            'password_updatable': cls.password_updatable,
            'modules': sorted(cls.features),
            'info_options': sorted(cls.info_options),
            'info_includes': sorted(cls.info_includes),
            'listing_fields': sorted(cls.listing_fields),
            'disable': dict(cls.disable_changes),
            'can_disable': bool(cls.disable_changes),
            # Whether a domain listing names only hosted Exchange mailboxes (else each name needs a read to tell).
            'listing_is_exchange_only': cls.listing_is_exchange_only,
            'access_kept_when_disabled': list(cls.access_kept_when_disabled),
            'rate_limits': dict(cls.rate_limits),
            'max_size_mb': cls.max_size_mb,
            'unreadable': sorted(cls.unreadable),
        }

    def make_transport(self, **kwargs):
        params = self.params
        self.transport = Transport(self.name, timeout=params['timeout'], validate_certs=params['validate_certs'],
                                   retries=params['retries'], retry_budget=params['retry_budget'],
                                   pacer=self._pacer(), **kwargs)
        return self.transport

    def _pacer(self):
        """A pacer inside the rate limits (the task's, else the provider's documented ones), or None."""
        params = self.params
        limits = {
            'read': params.get('max_reads_per_minute'),
            'write': params.get('max_writes_per_minute'),
        }
        for kind, documented in self.rate_limits.items():
            if limits.get(kind) is None:
                limits[kind] = documented
        limits = dict((kind, limit) for kind, limit in limits.items() if limit)
        if not limits:
            return None
        identity = '%s|%s|%s' % (self.name, self.api_origin(), params.get('api_user') or '')
        return Pacer(identity, limits, window=params.get('rate_window') or 60.0)

    def api_origin(self):
        return ''

    def close(self):
        if self.transport is not None:
            self.transport.close()

    # --- secrets: what a provider message must never echo back ----------------------------------

    def secret(self, value):
        """value, remembered as a secret this client sends (a password), so no provider message can carry it."""
        if value:
            self._secrets.add(value)
        return value

    def hide_secrets(self, text):
        """A provider's message with every secret this client sends masked: as is, URL-, JSON- or XML-encoded,
        in an HTTP Basic header, and at the end of a message cut short. A server may echo a request back."""
        if not text:
            return text
        forms = set()
        for secret in self._secrets:
            forms.update([secret, quote(secret, safe=''), quote_plus(secret), json.dumps(secret)[1:-1], escape(secret)])
        if self.params.get('api_user') and self.params.get('api_secret'):
            basic = '%s:%s' % (self.params['api_user'], self.params['api_secret'])
            forms.add(base64.b64encode(basic.encode('utf-8')).decode('ascii'))
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, '********')
        for form in forms:
            for size in range(len(form) - 1, 3, -1):
                if text.endswith(form[:size]):
                    return text[:-size] + '********'
        return text

    # --- checks made before any request -----------------------------------------------------

    def require_params(self, *names, **kwargs):
        """Fail, before any request, on connection options this provider needs that the task did not get
        (naming each option, its environment variable and the AWX credential type)."""
        missing = [name for name in names if self.params.get(name) in (None, '')]
        if missing:
            raise missing_options(missing, provider=self.name, hint=kwargs.get('hint'))

    def check_api_url(self, url):
        """url without a trailing slash, if it is an http(s) URL with a host; else a clear error, nothing sent."""
        try:
            parts = urlsplit(url)
            parts.port  # pylint: disable=pointless-statement  # raises ValueError on a port that is not a number
            valid = parts.scheme in ('http', 'https') and bool(parts.hostname)
        except (ValueError, TypeError, AttributeError):
            valid = False
        if not valid or any(char.isspace() for char in url):
            raise InvalidInputError('api_url %s is not an http(s) URL with a host (for example https://api.example.com)'
                                    % model.shown(url), provider=self.name)
        return url.rstrip('/')

    def require_feature(self, feature, module_name):
        if feature not in self.features:
            raise NotSupportedError('%s is not supported by provider %s' % (module_name, self.name))

    def reject_unsupported(self, params, names, supported):
        """Fail on any option among names that the task sets but this provider cannot honour."""
        unsupported = sorted(name for name in names if params.get(name) is not None and name not in supported)
        if unsupported:
            raise NotSupportedError('option%s %s not supported by provider %s' % (
                's' if len(unsupported) > 1 else '', ', '.join(unsupported), self.name))

    def check_name(self, name, what='mailbox name'):
        return model.check_name(name, what, provider=self.name)

    def check_domain(self, domain):
        return model.check_domain(domain, provider=self.name)

    def check_address(self, address, what='e-mail address'):
        return model.check_address(address, what, provider=self.name)

    def check_grantee(self, grantee, domain):
        """The grantee's address: a bare name means a mailbox of the same domain. Checked before any request."""
        text = grantee.strip() if isinstance(grantee, str) else grantee
        if isinstance(text, str) and '@' in text:
            return self.check_address(text, 'grantee address')
        return model.mailbox_address(self.check_name(text, 'grantee name'), domain)

    def not_found(self, domain, name, status=None):
        """The error for a mailbox that does not exist (in a domain that does)."""
        return NotFoundError('mailbox does not exist', provider=self.name, obj=model.mailbox_address(name, domain),
                             status=status)

    def grantee_missing(self, grantee_address, owner):
        """The error for a grantee no mailbox of this account answers to."""
        return NotFoundError('grantee %s does not exist' % grantee_address, provider=self.name, obj=owner)

    def check_alias_domain(self, domain, address):
        """Before any write: an alias whose domain the account does not have is refused (InvalidInputError).
        Costs at most one read per such domain; aliases in the mailbox's own domain cost nothing."""

    def protected_addresses(self, domain, name):
        """Addresses of a mailbox that must never be removed (the ones the client finds it by)."""
        return []

    @abc.abstractmethod
    def check_password(self, password, name, domain, display_name=None):
        """Before any request: InvalidInputError naming the provider's password rules the password breaks
        (never the password itself), so check mode predicts a refusal too. A provider whose password policy
        is each installation's own checks nothing."""

    # --- mailboxes --------------------------------------------------------------------------

    @abc.abstractmethod
    def get_mailbox(self, domain, name, need=None):
        """The canonical record, or None when the mailbox does not exist in a domain that does.

        ``need``: the canonical fields the caller will look at (None: all). A client may skip
        reads that only serve fields nobody needs. An unknown domain or account is an error
        (NotFoundError naming it), found with at most one more read, made only when the
        mailbox is absent. Fields in ``unreadable`` are never in the record.
        """

    @abc.abstractmethod
    def create_mailbox(self, domain, name, fields, password):
        """Create the mailbox with fields (canonical, plus create_sets and the create options)."""

    @abc.abstractmethod
    def update_mailbox(self, domain, name, changes, password, before):
        """Apply changes (canonical fields); password is None unless it is to be set."""

    @abc.abstractmethod
    def delete_mailbox(self, domain, name, before):
        """Remove the mailbox (before: its record as read); one already gone is not an error."""

    @abc.abstractmethod
    def list_mailboxes(self, domain, filters):
        """Summaries of every mailbox of a domain that matches filters (mailbox_info options), all pages.

        An unknown domain or account is an error, never an empty list.
        """

    def domain_listing(self, domain):
        """Every mailbox of a domain with the listing_fields, in as few reads as the provider allows.

        A record may carry ``names``: other names it may be found by (confirmed with get_mailbox) and that no new
        mailbox can take."""
        return self.list_mailboxes(domain, {'fields': sorted(self.listing_fields & frozenset(('size', 'activesync')))})

    # --- aliases, permissions, ActiveSync: FEATURE_METHODS -----------------------------------
    # A client serving a feature overrides all of its methods; these defaults refuse, for the others.

    def _unsupported(self, module_name):
        raise NotSupportedError('%s is not supported by provider %s' % (module_name, self.name))

    def add_alias(self, domain, name, address):
        self._unsupported('mailbox_alias')

    def remove_alias(self, domain, name, address):
        self._unsupported('mailbox_alias')

    def get_permissions(self, domain, name):
        """[{'grantee': address, 'permission': full_access|send_as|both, 'key': identity}] or raise NotFoundError.

        ``key`` identifies the grantee's mailbox (its primary address, or an id) as resolve_grantee does.
        """
        self._unsupported('mailbox_permission')

    def resolve_grantee(self, domain, grantee_address):
        """{'key': identity, 'address': primary address} of the mailbox the address names, or None when no
        mailbox of this account has it. A mailbox of another account is refused (InvalidInputError)."""
        self._unsupported('mailbox_permission')

    def set_permission(self, domain, name, grantee, permission, current):
        """Grant (current None) or change a grant to permission; grantee as resolve_grantee returns it."""
        self._unsupported('mailbox_permission')

    def revoke_permission(self, domain, name, grantee, current):
        self._unsupported('mailbox_permission')

    def get_activesync(self, domain, name):
        """Setup info dict when ActiveSync is attached, None when not; NotFoundError for no mailbox."""
        self._unsupported('activesync_service')

    def set_activesync(self, domain, name, enabled):
        self._unsupported('activesync_service')
