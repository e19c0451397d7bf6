# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rackspace Email & Apps API v1 (hosted Exchange routes, ``ex/...``)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime
import hashlib

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.connection import DEFAULT_API_URLS
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    NotFoundError,
    ProviderError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import (
    MAILBOX_FIELDS,
    mailbox_address,
    normalize,
    normalize_permission,
    split_address,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.base import ProviderClient
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.transport import USER_AGENT, CONFIRMED

PAGE_SIZE = 250  # the API's maximum
THROTTLE_MESSAGE = 'Exceeded request limits'
FORM = {'Content-Type': 'application/x-www-form-urlencoded'}

# (canonical, wire): top-level fields of show, and the same names flat in add/edit.
TOP_FIELDS = (
    ('display_name', 'displayName'),
    ('size', 'size'),
    ('enabled', 'enabled'),
    ('hidden', 'isHidden'),
    ('public_folder_admin', 'isPublicFolderAdmin'),
    ('directory_visible', 'visibleInRackspaceEmailCompanyDirectory'),
    ('forwarding_address', 'emailForwardingAddress'),
    ('save_forwarded_email', 'saveForwardedEmail'),
)
# Nested under show's contactInfo, flat in add/edit.
CONTACT_FIELDS = (
    ('first_name', 'firstName'),
    ('last_name', 'lastName'),
    ('job_title', 'jobTitle'),
    ('company', 'company'),
    ('department', 'department'),
    ('business_phone', 'businessNumber'),
    ('home_phone', 'homeNumber'),
    ('mobile_phone', 'mobileNumber'),
    ('fax', 'faxNumber'),
    ('pager', 'pagerNumber'),
    ('street', 'addressLine1'),
    ('city', 'city'),
    ('state_province', 'state'),
    ('postal_code', 'zip'),
    ('country', 'country'),
    ('notes', 'notes'),
    ('custom_id', 'customID'),
)
WIRE_NAMES = dict(TOP_FIELDS + CONTACT_FIELDS)
# Extra index columns (?fields=) by canonical name.
INDEX_FIELDS = (
    ('size', 'size'),
    ('current_usage', 'currentUsage'),
    ('activesync', 'hasActiveSyncMobileService'),
    ('blackberry', 'hasBlackBerryMobileService'),
)
WIRE_PERMISSIONS = {'full_access': 'fullAccess', 'send_as': 'sendAs', 'both': 'both'}


def signature(user_key, user_agent, timestamp, secret_key):
    """Base64 of the binary SHA1 of userKey + userAgent + timestamp + secretKey."""
    digest = hashlib.sha1((user_key + user_agent + timestamp + secret_key).encode('utf-8')).digest()
    return base64.b64encode(digest).decode('ascii')


def utc_timestamp(now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime('%Y%m%d%H%M%S')


def from_show(data, domain):
    """A show body (nested contactInfo) as a canonical mailbox record."""
    name = data.get('name')
    contact = data.get('contactInfo') or {}
    record = {'name': name, 'domain': domain, 'address': mailbox_address(name, domain)}
    for canonical, wire in TOP_FIELDS:
        record[canonical] = normalize(MAILBOX_FIELDS[canonical], data.get(wire))
    for canonical, wire in CONTACT_FIELDS:
        record[canonical] = normalize(MAILBOX_FIELDS[canonical], contact.get(wire))
    addresses = data.get('emailAddressList') or []
    primary = [entry['address'] for entry in addresses if _true(entry.get('replyTo'))]
    record['primary_address'] = (primary[0] if primary else record['address']).lower()
    record['aliases'] = sorted(entry['address'].lower() for entry in addresses if not _true(entry.get('replyTo')))
    record['activesync'] = _true(data.get('hasActiveSyncMobileService'))
    record['blackberry'] = _true(data.get('hasBlackBerryMobileService'))
    record['current_usage'] = data.get('currentUsage')
    record['last_login'] = data.get('lastLogin')
    record['sam_account_name'] = data.get('samAccountName')
    return record


def to_form(fields):
    """Canonical fields as the flat add/edit form (booleans as "true"/"false")."""
    form = {}
    for canonical, value in fields.items():
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        form[WIRE_NAMES[canonical]] = '' if value is None else str(value)
    return form


def from_index_entry(entry, domain):
    record = {'name': entry.get('name'), 'domain': domain, 'address': mailbox_address(entry.get('name'), domain),
              'display_name': entry.get('displayName') or ''}
    for canonical, wire in INDEX_FIELDS:
        if wire in entry:
            record[canonical] = entry[wire]
    return record


def error_message(response):
    """The provider's own message: x-error-message, else the one fault wrapper's message."""
    header = response.headers.get('x-error-message')
    if header:
        return header
    try:
        body = response.json()
    except ValueError:
        return (response.text or '').strip()[:300] or response.reason
    if isinstance(body, dict) and len(body) == 1:
        fault = list(body.values())[0]
        if isinstance(fault, dict) and fault.get('message'):
            return fault['message']
    return response.reason


def is_throttle(response):
    return response.status_code == 403 and THROTTLE_MESSAGE in error_message(response)


def _true(value):
    return normalize('bool', value)


class RackspaceClient(ProviderClient):
    name = 'rackspace'
    mailbox_options = frozenset(name for name in MAILBOX_FIELDS if name in WIRE_NAMES)
    create_requires = ('display_name', 'password', 'size')
    info_options = frozenset(('enabled', 'name_startswith', 'name_contains', 'fields', 'details', 'include'))
    info_includes = frozenset(('aliases', 'permissions', 'activesync'))
    features = frozenset(('alias', 'permission', 'activesync'))

    def __init__(self, params):
        super(RackspaceClient, self).__init__(params)
        self.require_params('api_user', 'api_secret')
        self.base_url = (params.get('api_url') or DEFAULT_API_URLS['rackspace']).rstrip('/')
        self.account = params.get('account') or 'me'
        self.make_transport(is_throttle=is_throttle, sign=self._sign)

    def _sign(self):
        # Afresh for every attempt: the timestamp is part of the hash and goes stale.
        user, secret = self.params['api_user'], self.params['api_secret']
        stamp = utc_timestamp()
        return {'X-Api-Signature': '%s:%s:%s' % (user, stamp, signature(user, USER_AGENT, stamp, secret)),
                'Accept': 'application/json'}

    def _url(self, domain, *parts):
        # '@' stays as is: legal in a path segment, and how the provider documents address routes.
        path = '/'.join(quote(str(part), safe='@') for part in parts)
        return '%s/customers/%s/domains/%s/%s' % (self.base_url, quote(self.account, safe=''),
                                                  quote(domain, safe=''), path)

    def _call(self, method, domain, parts, obj, form=None, params=None, confirm=None, idempotent=False,
              missing_ok=False):
        """One API call; returns the decoded JSON (or None), CONFIRMED, or raises a clear error."""
        kwargs = {'params': params}
        headers = None
        if method in ('POST', 'PUT'):
            kwargs['data'] = urlencode(sorted((form or {}).items()))
            headers = FORM
        response = self.transport.request(method, self._url(domain, *parts), obj=obj, confirm=confirm,
                                          headers=headers, idempotent=idempotent, **kwargs)
        if response is CONFIRMED:
            return CONFIRMED
        if response.status_code < 400:
            return response.json() if response.content and method == 'GET' else None
        message = error_message(response)
        if response.status_code == 404:
            if missing_ok:
                return None
            raise NotFoundError('does not exist', provider=self.name, obj=obj, status=404, provider_message=message)
        if response.status_code in (401, 403):
            raise AuthError('authentication or permission refused (check api_user, api_secret and account)',
                            provider=self.name, obj=obj, status=response.status_code, provider_message=message)
        raise ProviderError('%s refused' % method, provider=self.name, obj=obj, status=response.status_code,
                            provider_message=message)

    def _paged(self, domain, parts, key, obj, params=None):
        """Every entry of a paged index: size=250 pages until total is reached."""
        entries, offset = [], 0
        while True:
            query = dict(params or {}, size=PAGE_SIZE, offset=offset)
            page = self._call('GET', domain, parts, obj, params=query) or {}
            batch = page.get(key) or []
            entries.extend(batch)
            offset += len(batch)
            if not batch or offset >= int(page.get('total', 0)):
                return entries

    # --- mailboxes --------------------------------------------------------------------------

    def get_mailbox(self, domain, name):
        data = self._call('GET', domain, ('ex', 'mailboxes', name), mailbox_address(name, domain), missing_ok=True)
        return None if data is None else from_show(data, domain)

    def create_mailbox(self, domain, name, fields, password):
        form = to_form(fields)
        form['password'] = password
        self._call('POST', domain, ('ex', 'mailboxes', name), mailbox_address(name, domain), form=form,
                   confirm=lambda: self.get_mailbox(domain, name) is not None)

    def update_mailbox(self, domain, name, changes, password, before):
        form = to_form(changes)
        if password is not None:
            form['password'] = password
        # An edit sets fields to values: sending it again is harmless, so it retries like a read.
        self._call('PUT', domain, ('ex', 'mailboxes', name), mailbox_address(name, domain), form=form,
                   idempotent=True)

    def delete_mailbox(self, domain, name, before):
        self._call('DELETE', domain, ('ex', 'mailboxes', name), mailbox_address(name, domain),
                   confirm=lambda: self.get_mailbox(domain, name) is None)

    def list_mailboxes(self, domain, filters):
        query = {}
        if filters.get('enabled') is not None:
            query['enabled'] = 'true' if filters['enabled'] else 'false'
        if filters.get('name_startswith'):
            query['startswith'] = filters['name_startswith']
        if filters.get('name_contains'):
            query['contains'] = filters['name_contains']
        wanted = set(filters.get('fields') or ())
        columns = [wire for canonical, wire in INDEX_FIELDS if canonical in wanted]
        if columns:
            query['fields'] = ','.join(columns)
        entries = self._paged(domain, ('ex', 'mailboxes'), 'mailboxes', 'domain %s' % domain, params=query)
        return [from_index_entry(entry, domain) for entry in entries]

    # --- aliases ------------------------------------------------------------------------------

    def add_alias(self, domain, name, address):
        self._call('POST', domain, ('ex', 'mailboxes', name, 'emailaddresses', address), address,
                   confirm=lambda: address in self._addresses(domain, name))

    def remove_alias(self, domain, name, address):
        self._call('DELETE', domain, ('ex', 'mailboxes', name, 'emailaddresses', address), address,
                   confirm=lambda: address not in self._addresses(domain, name))

    def _addresses(self, domain, name):
        record = self.get_mailbox(domain, name) or {'aliases': []}
        return record['aliases']

    # --- permissions --------------------------------------------------------------------------

    def get_permissions(self, domain, name):
        entries = self._paged(domain, ('ex', 'mailboxes', name, 'permissions'), 'permissions',
                              mailbox_address(name, domain))
        return [{'grantee': entry['emailAddress'].lower(), 'permission': normalize_permission(entry['permissionType'])}
                for entry in entries]

    def grantee_exists(self, domain, grantee_address):
        grantee_name, grantee_domain = split_address(grantee_address)
        return self.get_mailbox(grantee_domain, grantee_name) is not None

    def _grantee_part(self, domain, grantee_address):
        # The API names a grantee of the same domain by mailbox name, others by full address.
        grantee_name, grantee_domain = split_address(grantee_address)
        return grantee_name if grantee_domain == domain.lower() else grantee_address

    def _permission_of(self, domain, name, grantee_address):
        for entry in self.get_permissions(domain, name):
            if entry['grantee'] == grantee_address:
                return entry['permission']
        return None

    def set_permission(self, domain, name, grantee_address, permission, current):
        parts = ('ex', 'mailboxes', name, 'permissions', self._grantee_part(domain, grantee_address))
        obj = 'permission of %s on %s' % (grantee_address, mailbox_address(name, domain))
        form = {'permission': WIRE_PERMISSIONS[permission]}
        if current is None:
            self._call('POST', domain, parts, obj, form=form,
                       confirm=lambda: self._permission_of(domain, name, grantee_address) == permission)
        else:
            self._call('PUT', domain, parts, obj, form=form, idempotent=True)

    def revoke_permission(self, domain, name, grantee_address, current):
        parts = ('ex', 'mailboxes', name, 'permissions', self._grantee_part(domain, grantee_address))
        obj = 'permission of %s on %s' % (grantee_address, mailbox_address(name, domain))
        self._call('DELETE', domain, parts, obj,
                   confirm=lambda: self._permission_of(domain, name, grantee_address) is None)

    # --- ActiveSync ---------------------------------------------------------------------------

    def get_activesync(self, domain, name):
        address = mailbox_address(name, domain)
        try:
            data = self._call('GET', domain, ('ex', 'mailboxes', name, 'activesyncmobileservice'), address)
        except NotFoundError as exc:
            # One 404 means two things: no service (an answer), or no mailbox (an error).
            if 'activesync' in (exc.provider_message or '').lower():
                return None
            raise
        return {
            'email_address': data.get('emailAddress'),
            'server_address': data.get('serverAddress'),
            'user_name': data.get('userName'),
            'domain_address': data.get('domainAddress'),
        }

    def set_activesync(self, domain, name, enabled):
        address = mailbox_address(name, domain)
        parts = ('ex', 'mailboxes', name, 'activesyncmobileservice')
        if enabled:
            self._call('POST', domain, parts, address,
                       confirm=lambda: self.get_activesync(domain, name) is not None)
        else:
            self._call('DELETE', domain, parts, address,
                       confirm=lambda: self.get_activesync(domain, name) is None)
