# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rackspace Email & Apps API v1 (hosted Exchange routes, ``ex/...``)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime
import hashlib

import re

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urlsplit

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    ProviderError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import (
    MAILBOX_FIELDS,
    mailbox_address,
    normalize,
    normalize_permission,
    split_address,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.payload import (
    as_dict,
    as_flag,
    as_list,
    as_name,
    as_number,
    as_text,
    decode_json,
    foreign_text,
    is_json_answer,
    wrong_api,
    unexpected,
    UnexpectedAnswer,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.base import ProviderClient
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.transport import USER_AGENT, CONFIRMED

PAGE_SIZE = 250  # the API's maximum
# A bound on paging driven by the server's "total" (a million mailboxes).
MAX_PAGE_READS = 4000
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


P = 'rackspace'
# A customer is a customer number, or "me" (the caller's own account).
ACCOUNT_PATTERN = re.compile(r'^(me|[0-9]{1,20})$')


def from_show(data, domain, name=None, obj=None):
    """A show body (nested contactInfo) as a canonical mailbox record."""
    data = as_dict(data, 'the mailbox', P, obj)
    if 'name' not in data and not any(wire in data for _canonical, wire in TOP_FIELDS):
        raise UnexpectedAnswer('the answer has none of the fields of a mailbox (is api_url the provider\'s API?)',
                               provider=P, obj=obj)
    name = as_text(data.get('name'), 'the mailbox name', P, obj) or name
    record = {'name': name, 'domain': domain, 'address': mailbox_address(name, domain)}
    for canonical, wire in TOP_FIELDS:
        record[canonical] = _field(canonical, data.get(wire), wire, obj)
    # Without contactInfo the contact fields are unknown: left out, not read as empty.
    if data.get('contactInfo') is not None:
        contact = as_dict(data['contactInfo'], 'contactInfo', P, obj)
        for canonical, wire in CONTACT_FIELDS:
            record[canonical] = _field(canonical, contact.get(wire), wire, obj)
    primary, aliases = None, []
    # Always in a show: without it the aliases are unknown, which must not read as "none".
    for entry in as_list(data.get('emailAddressList'), 'emailAddressList', P, obj, optional=False):
        entry = as_dict(entry, 'an emailAddressList entry', P, obj)
        address = as_name(entry.get('address'), 'an address', P, obj).lower()
        if as_flag(entry.get('replyTo'), 'replyTo', P, obj) and primary is None:
            primary = address
        else:
            aliases.append(address)
    record['primary_address'] = primary or record['address']
    record['aliases'] = sorted(set(aliases) - set([record['primary_address']]))
    record['activesync'] = as_flag(data.get('hasActiveSyncMobileService'), 'hasActiveSyncMobileService', P, obj,
                                   required=True)
    record['blackberry'] = as_flag(data.get('hasBlackBerryMobileService'), 'hasBlackBerryMobileService', P, obj,
                                   required=True)
    usage = as_number(data.get('currentUsage'), 'currentUsage', P, obj)
    if usage is not None:
        record['current_usage'] = usage
    record['last_login'] = as_text(data.get('lastLogin'), 'lastLogin', P, obj) or None
    record['sam_account_name'] = as_text(data.get('samAccountName'), 'samAccountName', P, obj) or None
    return record


def _field(canonical, value, wire, obj):
    """A show's field: a switch or a number the show always carries (absent is a broken answer, never false or
    none); a text the API leaves out when it is empty."""
    kind = MAILBOX_FIELDS[canonical]
    if kind == 'bool':
        return as_flag(value, wire, P, obj, required=True)
    if kind == 'int':
        return as_number(value, wire, P, obj, required=True)
    return normalize(kind, as_text(value, wire, P, obj))


def to_form(fields):
    """Canonical fields as the flat add/edit form (booleans as "true"/"false")."""
    form = {}
    for canonical, value in fields.items():
        if isinstance(value, bool):
            value = 'true' if value else 'false'
        form[WIRE_NAMES[canonical]] = '' if value is None else str(value)
    return form


def from_index_entry(entry, domain, obj):
    entry = as_dict(entry, 'a mailbox list entry', P, obj)
    name = as_name(entry.get('name'), 'a mailbox name', P, obj)
    record = {'name': name, 'domain': domain, 'address': mailbox_address(name, domain),
              'display_name': as_text(entry.get('displayName'), 'displayName', P, obj)}
    for canonical, wire in INDEX_FIELDS:
        if wire in entry:
            if canonical in ('activesync', 'blackberry'):
                record[canonical] = as_flag(entry[wire], wire, P, obj)
            else:
                record[canonical] = as_number(entry[wire], wire, P, obj)
    return record


def error_message(response):
    """The provider's own message: x-error-message, else the one fault wrapper's message."""
    header = response.headers.get('x-error-message')
    if header:
        return header[:300]
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return foreign_text(response) if response.content else response.reason
    if isinstance(body, dict) and len(body) == 1:
        fault = list(body.values())[0]
        if isinstance(fault, dict) and isinstance(fault.get('message'), str):
            return fault['message'][:300]
    return response.reason


def is_throttle(response):
    return response.status_code == 403 and THROTTLE_MESSAGE in (error_message(response) or '')


def password_problems(password, name, display_name):
    """Which of Rackspace's password rules the password breaks, as phrases; never the password itself."""
    problems = []
    if len(password) < 8:
        problems.append('be at least 8 characters long')
    classes = [any(c.isupper() for c in password), any(c.islower() for c in password),
               any(c.isdigit() for c in password), any(not c.isalnum() for c in password)]
    if sum(classes) < 3:
        problems.append('contain 3 of: upper-case letters, lower-case letters, digits, symbols')
    lowered = password.lower()
    if any(part and len(part) >= 3 and part.lower() in lowered for part in (name, display_name)):
        problems.append('not contain the mailbox name or display name')
    return problems


class RackspaceClient(ProviderClient):
    name = 'rackspace'
    default_api_url = 'https://api.emailsrvr.com/v1'
    mailbox_options = frozenset(name for name in MAILBOX_FIELDS if name in WIRE_NAMES)
    create_requires = ('display_name', 'password', 'size')
    info_options = frozenset(('enabled', 'name_startswith', 'name_contains', 'fields', 'details', 'include'))
    info_includes = frozenset(('aliases', 'permissions', 'activesync'))
    features = frozenset(('alias', 'permission', 'activesync'))
    listing_fields = frozenset(('display_name', 'size', 'activesync'))
    disable_changes = {'enabled': False}
    rate_limits = {'read': 60, 'write': 30}
    # The API has no protocol switches.
    unreadable = frozenset(('owa', 'mapi', 'imap4', 'pop3'))

    def __init__(self, params):
        super(RackspaceClient, self).__init__(params)
        self.require_params('api_user', 'api_secret')
        self.base_url = self.check_api_url(params.get('api_url') or self.default_api_url)
        self.account = str(params.get('account') or 'me').strip()
        if not ACCOUNT_PATTERN.match(self.account):
            raise InvalidInputError('account must be a Rackspace customer number or "me" (got %r)' % self.account[:40],
                                    provider=self.name)
        self._known_domains = set()
        self._primaries = {}  # name@domain -> primary address of mailboxes this run has read or created
        self.make_transport(is_throttle=is_throttle, sign=self._sign)

    def api_origin(self):
        return self.base_url

    def check_password(self, password, name, domain, display_name=None):
        """Rackspace's password rules, checked before any request so check mode predicts a refusal too."""
        problems = password_problems(password, name, display_name)
        if problems:
            raise InvalidInputError('password does not meet the Rackspace password rules: it must %s'
                                    % '; '.join(problems), provider=self.name, obj=mailbox_address(name, domain))

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
        status = response.status_code
        if 300 <= status < 400:
            try:
                target = urlsplit(response.headers.get('Location') or '')
            except ValueError:  # not a URL at all (e.g. a broken IPv6 host)
                target = urlsplit('')
            raise ProviderError('the API redirected to %s; not followed, so the credentials stay with %s '
                                '(check api_url)' % ('%s://%s' % (target.scheme, target.netloc) if target.netloc
                                                     else 'another address', self.base_url),
                                provider=self.name, obj=obj, status=status)
        if status < 300:
            # A read always answers a document: an empty one is never "nothing there".
            return decode_json(response, self.name, obj, required=True) if method == 'GET' else None
        message = self.hide_secrets(error_message(response))
        if status == 404 and not is_json_answer(response) and not response.headers.get('x-error-message'):
            raise wrong_api(response, self.base_url, self.name, obj, hide=self.hide_secrets)
        if status == 404:
            if missing_ok:
                return None
            raise NotFoundError('does not exist', provider=self.name, obj=obj, status=404, provider_message=message)
        if status in (401, 403):
            raise AuthError('authentication or permission refused (check api_user, api_secret and account)',
                            provider=self.name, obj=obj, status=status, provider_message=message)
        raise ProviderError('%s refused' % method, provider=self.name, obj=obj, status=status,
                            provider_message=message)

    def _paged(self, domain, parts, key, obj, params=None):
        """Every entry of a paged index: size=250 pages until total is reached."""
        entries, offset = [], 0
        for _page in range(MAX_PAGE_READS):
            query = dict(params or {}, size=PAGE_SIZE, offset=offset)
            page = as_dict(self._call('GET', domain, parts, obj, params=query), 'a page of %s' % key, P, obj)
            # Both are always there: a page without them must not read as an empty or a last page.
            batch = as_list(page.get(key), key, P, obj, optional=False)
            total = as_number(page.get('total'), 'total', P, obj)
            if total is None:
                raise unexpected('total', 'a number', None, P, obj)
            entries.extend(batch)
            offset += len(batch)
            if not batch or offset >= total:
                return entries
        raise ProviderError('the index did not end after %d pages' % MAX_PAGE_READS, provider=self.name, obj=obj)

    def _require_domain(self, domain):
        """After a 404: one read of the domain's mailbox index tells an absent mailbox from an unknown domain."""
        if domain.lower() in self._known_domains:
            return
        try:
            self._call('GET', domain, ('ex', 'mailboxes'), 'domain %s' % domain, params={'size': 1, 'offset': 0})
        except NotFoundError as exc:
            raise self._unknown_domain(domain, exc)
        self._known_domains.add(domain.lower())

    def _unknown_domain(self, domain, exc):
        return UnknownScopeError('domain %s is not a hosted Exchange domain of customer %s (check domain and account)'
                                 % (domain, self.account), provider=self.name, status=exc.status,
                                 provider_message=exc.provider_message)

    # --- mailboxes --------------------------------------------------------------------------

    def get_mailbox(self, domain, name, need=None):
        obj = mailbox_address(name, domain)
        data = self._call('GET', domain, ('ex', 'mailboxes', name), obj, missing_ok=True)
        if data is None:
            self._require_domain(domain)
            return None
        self._known_domains.add(domain.lower())
        record = from_show(data, domain, name, obj)
        self._primaries[obj] = record['primary_address']
        return record

    def create_mailbox(self, domain, name, fields, password):
        form = to_form(fields)
        form['password'] = self.secret(password)
        self._call('POST', domain, ('ex', 'mailboxes', name), mailbox_address(name, domain), form=form,
                   confirm=lambda: self.get_mailbox(domain, name) is not None)
        self._primaries[mailbox_address(name, domain)] = mailbox_address(name, domain)

    def update_mailbox(self, domain, name, changes, password, before):
        form = to_form(changes)
        if password is not None:
            form['password'] = self.secret(password)
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
        obj = 'domain %s' % domain
        try:
            entries = self._paged(domain, ('ex', 'mailboxes'), 'mailboxes', obj, params=query)
        except NotFoundError as exc:
            raise self._unknown_domain(domain, exc)
        self._known_domains.add(domain.lower())
        return [from_index_entry(entry, domain, obj) for entry in entries]

    # --- aliases ------------------------------------------------------------------------------

    def check_alias_domain(self, domain, address):
        alias_domain = split_address(address)[1]
        if alias_domain == domain.lower():
            return
        try:
            self._require_domain(alias_domain)
        except UnknownScopeError:
            raise InvalidInputError("the alias's domain %s is not a domain of customer %s" % (alias_domain, self.account),
                                    provider=self.name, obj=address)

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
        obj = mailbox_address(name, domain)
        granted = []
        try:
            entries = self._paged(domain, ('ex', 'mailboxes', name, 'permissions'), 'permissions', obj)
        except NotFoundError:
            self._require_domain(domain)  # an unknown domain is an error, not an absent mailbox
            raise self.not_found(domain, name, status=404)
        for entry in entries:
            entry = as_dict(entry, 'a permission entry', P, obj)
            address = as_name(entry.get('emailAddress'), 'emailAddress', P, obj).lower()
            permission = normalize_permission(as_name(entry.get('permissionType'), 'permissionType', P, obj))
            # The list names each grantee by its mailbox's primary address: that is its identity.
            granted.append({'grantee': address, 'permission': permission, 'key': address})
        return granted

    def resolve_grantee(self, domain, grantee_address):
        primary = self._primaries.get(grantee_address)
        if primary is None:
            # Not read or created in this run yet: its show says whether it exists and its primary address.
            grantee_name, grantee_domain = split_address(grantee_address)
            record = self.get_mailbox(grantee_domain, grantee_name, need=('primary_address',))
            if record is None:
                return None
            primary = record['primary_address']
        return {'key': primary, 'address': primary}

    def _grantee_part(self, domain, grantee):
        # The API names a grantee of the same domain by mailbox name, others by full address.
        grantee_name, grantee_domain = split_address(grantee['address'])
        return grantee_name if grantee_domain == domain.lower() else grantee['address']

    def _permission_of(self, domain, name, key):
        for entry in self.get_permissions(domain, name):
            if entry['key'] == key:
                return entry['permission']
        return None

    def set_permission(self, domain, name, grantee, permission, current):
        parts = ('ex', 'mailboxes', name, 'permissions', self._grantee_part(domain, grantee))
        obj = 'permission of %s on %s' % (grantee['address'], mailbox_address(name, domain))
        form = {'permission': WIRE_PERMISSIONS[permission]}
        if current is None:
            self._call('POST', domain, parts, obj, form=form,
                       confirm=lambda: self._permission_of(domain, name, grantee['key']) == permission)
        else:
            self._call('PUT', domain, parts, obj, form=form, idempotent=True)

    def revoke_permission(self, domain, name, grantee, current):
        parts = ('ex', 'mailboxes', name, 'permissions', self._grantee_part(domain, grantee))
        obj = 'permission of %s on %s' % (grantee['address'], mailbox_address(name, domain))
        self._call('DELETE', domain, parts, obj,
                   confirm=lambda: self._permission_of(domain, name, grantee['key']) is None)

    # --- ActiveSync ---------------------------------------------------------------------------

    def get_activesync(self, domain, name):
        address = mailbox_address(name, domain)
        data = self._call('GET', domain, ('ex', 'mailboxes', name, 'activesyncmobileservice'), address,
                          missing_ok=True)
        if data is None:
            # One 404 means two things: no service, or no mailbox. The mailbox itself says which.
            if self.get_mailbox(domain, name, need=('activesync',)) is None:
                raise self.not_found(domain, name, status=404)
            return None
        data = as_dict(data, 'the ActiveSync service', P, address)
        if not any(wire in data for wire in ('emailAddress', 'serverAddress', 'userName', 'domainAddress')):
            raise UnexpectedAnswer('the answer has none of the fields of an ActiveSync service (is api_url the '
                                   'provider\'s API?)', provider=self.name, obj=address)
        return dict((key, as_text(data.get(wire), wire, P, address) or None) for key, wire in (
            ('email_address', 'emailAddress'), ('server_address', 'serverAddress'),
            ('user_name', 'userName'), ('domain_address', 'domainAddress')))

    def set_activesync(self, domain, name, enabled):
        address = mailbox_address(name, domain)
        parts = ('ex', 'mailboxes', name, 'activesyncmobileservice')
        if enabled:
            self._call('POST', domain, parts, address,
                       confirm=lambda: self.get_activesync(domain, name) is not None)
        else:
            self._call('DELETE', domain, parts, address,
                       confirm=lambda: self.get_activesync(domain, name) is None)
