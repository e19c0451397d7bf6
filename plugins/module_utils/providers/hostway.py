# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostway API, email family: ``/accounts/{account}/email/{domain}/usernames/...``.

Hosted Exchange mailboxes live under ``usernames/{name}/exchange`` (PUT creates or updates,
DELETE removes) and their forwarding under ``usernames/{name}/forwards``. Quota and the
protocol switches are read-only here, and the API has no mailbox aliases, permissions or
ActiveSync switch, so the client serves exchange_mailbox and mailbox_info only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible.module_utils.six.moves.urllib.parse import quote, urljoin, urlsplit

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    ProviderError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils import model
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import (
    MAILBOX_FIELDS,
    mailbox_address,
    normalize,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.payload import (
    as_dict,
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
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.transport import CONFIRMED

# The API's largest page: 1,000 mailboxes cost three page reads.
PAGE_SIZE = 400
# Bounds on loops driven by the server's answers (a million mailboxes; a redirect chain).
MAX_PAGE_READS = 2500
MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
ACCEPT_JSON = {'Accept': 'application/json'}
SEND_JSON = {'Accept': 'application/json', 'Content-Type': 'application/json; charset=UTF-8'}

# (canonical, wire): fields the exchange PUT sets and the exchange GET returns.
SETTABLE_FIELDS = (
    ('display_name', 'displayName'),
    ('first_name', 'firstName'),
    ('last_name', 'lastName'),
    ('job_title', 'title'),
    ('company', 'company'),
    ('department', 'department'),
    ('home_phone', 'homePhone'),
    ('mobile_phone', 'mobilePhone'),
    ('fax', 'fax'),
    ('street', 'street'),
    ('city', 'city'),
    ('state_province', 'state'),
    ('postal_code', 'postalCode'),
    ('country', 'country'),
)
SETTABLE_WIRE = dict(SETTABLE_FIELDS)
CANONICAL_OF_WIRE = dict((wire, canonical) for canonical, wire in SETTABLE_FIELDS)
# Read-only booleans of the exchange GET.
SWITCH_FIELDS = (
    ('activesync', 'activeSyncEnabled'),
    ('owa', 'owaEnabled'),
    ('mapi', 'mapiEnabled'),
    ('imap4', 'imapEnabled'),
    ('pop3', 'popEnabled'),
)
# exchange_mailbox options the exchange GET reports but the PUT cannot set.
READ_ONLY_OPTIONS = frozenset(('size', 'owa', 'mapi', 'imap4', 'pop3', 'primary_address'))
SORT_FIELDS = {'name': 'username', 'size': 'quota'}
LIST_FIELDS = frozenset(('size',))

NAME_CHARACTERS = re.compile(r'^[A-Za-z0-9._-]*$')
ACCOUNT_PATTERN = re.compile(r'^[A-Za-z0-9._-]{1,64}$')
P = 'hostway'
PASSWORD_MIN, PASSWORD_MAX = 8, 128
FORBIDDEN_PASSWORD_STARTS = ('pass', '123', 'abc')


def password_problems(password, name, domain):
    """Which of Hostway's password rules the password breaks, as phrases; never the password itself."""
    problems = []
    lowered = password.lower()
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        problems.append('be %d to %d characters long' % (PASSWORD_MIN, PASSWORD_MAX))
    if not password[:1].isalpha():
        problems.append('start with a letter')
    if not any(c.isdigit() for c in password):
        problems.append('contain a digit')
    if not any(c.isupper() for c in password):
        problems.append('contain an upper-case letter')
    if not any(c.islower() for c in password):
        problems.append('contain a lower-case letter')
    # Hostway counts the underscore as a word character, not a special one.
    if not any(not c.isalnum() and c != '_' for c in password):
        problems.append('contain a special character (not a letter, digit or underscore)')
    if lowered.startswith(FORBIDDEN_PASSWORD_STARTS):
        problems.append('not start with "pass", "123" or "abc"')
    name = (name or '').lower()
    if name and name in lowered:
        problems.append('not contain the mailbox name')
    elif len(name) >= 3 and lowered.startswith(name[:3]):
        problems.append('not start with the first 3 characters of the mailbox name')
    labels = (domain or '').lower().strip('.').split('.')
    if len(labels) >= 2 and labels[-2] and labels[-2] in lowered:
        problems.append('not contain the domain name "%s"' % labels[-2])
    return problems


def check_password(password, name, domain):
    problems = password_problems(password, name, domain)
    if problems:
        raise InvalidInputError('password does not meet the Hostway password rules: it must %s'
                                % '; '.join(problems), provider='hostway', obj=mailbox_address(name, domain))


def from_exchange(data, name, domain, forwarding=None):
    """An exchange GET body as a canonical record; forwarding is added only when it was read."""
    address = mailbox_address(name, domain)
    data = as_dict(data, 'the exchange resource', P, address)
    if not any(wire in data for wire in ('username', 'primarySmtpAddress', 'quota', 'displayName')):
        raise UnexpectedAnswer('the answer has none of the fields of an Exchange mailbox (is api_url the provider\'s '
                               'API?)', provider=P, obj=address)
    record = {'name': as_text(data.get('username'), 'username', P, address) or name, 'domain': domain,
              'address': address}
    for canonical, wire in SETTABLE_FIELDS:
        record[canonical] = normalize(MAILBOX_FIELDS[canonical], as_text(data.get(wire), wire, P, address))
    for canonical, wire in SWITCH_FIELDS:
        record[canonical] = flag(data.get(wire), wire, address)
    record['primary_address'] = as_name(data.get('primarySmtpAddress'), 'primarySmtpAddress', P, address).lower()
    record['size'] = megabytes(data.get('quota'), address, required=True)
    # Hostway has no way to read a mailbox's aliases: they are left out (unreadable), never "none".
    if forwarding is not None:
        record['forwarding_address'] = forwarding
    return record


def flag(value, wire, obj):
    """A switch the exchange resource always carries: absent or anything but true/false is a broken answer."""
    if isinstance(value, bool) or isinstance(value, str) and value.strip().lower() in ('true', 'false'):
        return normalize('bool', value)
    raise unexpected(wire, 'true or false', value, P, obj)


def megabytes(value, obj, required=False):
    """A quota in megabytes (the list sends a number, the exchange resource a string); anything that is not
    a number is an error naming it, never "no quota"."""
    return as_number(value, 'quota', P, obj, required=required)


def forward_targets(data, obj=None):
    targets = set()
    for entry in as_list(as_dict(data, 'the forwards', P, obj).get('targets'), 'targets', P, obj, optional=False):
        target = as_text(as_dict(entry, 'a forward target', P, obj).get('target'), 'target', P, obj).strip().lower()
        if target:
            targets.add(target)
    return sorted(targets)


def link(page, rel, obj=None):
    for entry in as_list(page.get('links'), 'links', P, obj):
        if isinstance(entry, dict) and entry.get('rel') == rel:
            target = entry.get('href') or entry.get('location')
            return as_text(target, 'a %s link' % rel, P, obj) or None
    return None


def error_message(response):
    """Hostway's own words: a wrapper's message ({"conflict": {...}}) or field-keyed validation errors.

    Always a text of at most 300 characters, whatever the body holds.
    """
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return foreign_text(response) if response.content else response.reason
    if not isinstance(body, dict) or not body:
        return response.reason
    if len(body) == 1:
        wrapped = list(body.values())[0]
        if isinstance(wrapped, dict) and wrapped.get('message'):
            return _text(wrapped['message'])[:300]
    problems = []
    for wire, text in sorted(body.items()):
        if isinstance(text, list):
            text = ', '.join(str(item) for item in text)
        elif isinstance(text, dict):
            text = text.get('message') or text
        canonical = CANONICAL_OF_WIRE.get(wire)
        label = '%s (option %s)' % (wire, canonical) if canonical and canonical != wire else wire
        problems.append('%s: %s' % (label, _text(text)))
    return '; '.join(problems)[:300]


def _text(value):
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


class HostwayClient(ProviderClient):
    name = 'hostway'
    default_api_url = 'https://api.hostway.com'
    mailbox_options = frozenset(canonical for canonical, _wire in SETTABLE_FIELDS) | frozenset(('forwarding_address',))
    create_requires = ('password',)
    info_options = frozenset(('name_startswith', 'name_contains', 'fields', 'details', 'include'))
    info_includes = frozenset(('activesync',))
    features = frozenset()
    listing_fields = frozenset(('size',))
    # The username list holds mailboxes of the older mail platform too.
    listing_is_exchange_only = False
    # Nothing of a Hostway mailbox's access can be cut through the API: no disable, read-only protocols.
    access_kept_when_disabled = ('login with the password', 'OWA', 'Outlook (MAPI)', 'IMAP4', 'POP3', 'ActiveSync')
    # Not in the API's exchange resource (aliases: no way to read them at all).
    unreadable = frozenset(('aliases', 'enabled', 'hidden', 'public_folder_admin', 'directory_visible',
                            'save_forwarded_email', 'business_phone', 'pager', 'notes', 'custom_id', 'current_usage'))

    def __init__(self, params):
        super(HostwayClient, self).__init__(params)
        self.require_params('api_user', 'api_secret', 'account')
        self.base_url = self.check_api_url(params.get('api_url') or self.default_api_url)
        self.account = str(params['account']).strip()
        if not ACCOUNT_PATTERN.match(self.account):
            raise InvalidInputError('account must be a Hostway account name (letters, digits, ".", "_", "-"; got %r)'
                                    % self.account[:40], provider=self.name)
        # Usernames the last listing returned: a 404 on their exchange resource means "not Exchange".
        self.listed = set()
        self.make_transport()
        self.transport.session.auth = (params['api_user'], params['api_secret'])

    def api_origin(self):
        return self.base_url

    def check_password(self, password, name, domain, display_name=None):
        """Hostway's password rules, checked before any request so check mode predicts a refusal too."""
        check_password(password, name, domain)

    def reject_unsupported(self, params, names, supported):
        read_only = sorted(name for name in names if params.get(name) is not None and name in READ_ONLY_OPTIONS)
        if read_only:
            raise NotSupportedError('option%s %s not supported by provider %s: its API only reads %s' % (
                's' if len(read_only) > 1 else '', ', '.join(read_only), self.name,
                'them' if len(read_only) > 1 else 'it'))
        super(HostwayClient, self).reject_unsupported(params, names, supported)

    # --- HTTP ---------------------------------------------------------------------------------

    def _url(self, domain, *parts):
        path = '/'.join(quote(str(part), safe='') for part in parts)
        return '%s/accounts/%s/email/%s/%s' % (self.base_url, quote(self.account, safe=''),
                                               quote(domain, safe=''), path)

    def _same_origin(self, base, target):
        """target resolved against base, if it is on the API's own scheme://host:port; the credentials go nowhere else."""
        try:
            url = urljoin(base, target)
            wanted, given = urlsplit(self.base_url), urlsplit(url)
        except ValueError:  # not a URL at all (e.g. a broken IPv6 host)
            raise ProviderError('the API pointed to %s, which is not a URL; not following it (check api_url)'
                                % model.shown(target), provider=self.name)
        if (given.scheme, given.netloc.lower()) != (wanted.scheme, wanted.netloc.lower()):
            raise ProviderError('the API pointed to %s://%s, which is not %s; not following it with the credentials'
                                % (given.scheme, given.netloc, self.base_url), provider=self.name)
        return url

    def _send(self, method, url, obj, body=None, params=None, confirm=None, idempotent=False):
        """One call; a GET follows redirects itself (same origin, bounded). Returns a response or CONFIRMED."""
        kwargs = {'params': params, 'allow_redirects': False}
        headers = ACCEPT_JSON
        if body is not None:
            kwargs['data'] = json.dumps(body)
            headers = SEND_JSON
        for _hop in range(MAX_REDIRECTS + 1):
            response = self.transport.request(method, url, obj=obj, confirm=confirm, idempotent=idempotent,
                                              headers=headers, **kwargs)
            if response is CONFIRMED or response.status_code not in REDIRECT_STATUSES:
                return response
            if method != 'GET':
                raise ProviderError('the API redirected a %s; not followed (check api_url)' % method,
                                    provider=self.name, obj=obj, status=response.status_code)
            location = (response.headers.get('Location') or '').strip()
            if not location:
                raise ProviderError('redirect without a Location', provider=self.name, obj=obj,
                                    status=response.status_code)
            # The Location carries the whole query (e.g. pageSize=100 for an unpaged list).
            url, kwargs['params'] = self._same_origin(response.url, location), None
        raise ProviderError('more than %d redirects' % MAX_REDIRECTS, provider=self.name, obj=obj)

    def _call(self, method, url, obj, body=None, params=None, confirm=None, idempotent=False, missing_ok=False):
        """One call checked: (decoded JSON or None, response), CONFIRMED, or a clear error."""
        response = self._send(method, url, obj, body=body, params=params, confirm=confirm, idempotent=idempotent)
        if response is CONFIRMED:
            return CONFIRMED, None
        status = response.status_code
        if 200 <= status < 300:
            # A read always answers a document: an empty one is never "nothing there".
            data = decode_json(response, self.name, obj, required=True) if method == 'GET' else None
            return data, response
        message = self.hide_secrets(error_message(response))
        if status == 404 and not is_json_answer(response):
            raise wrong_api(response, self.base_url, self.name, obj, hide=self.hide_secrets)
        if status == 404:
            if missing_ok:
                return None, response
            raise NotFoundError('not found', provider=self.name, obj=obj, status=status, provider_message=message)
        if status == 401:
            raise AuthError('credentials refused (check api_user and api_secret)', provider=self.name, obj=obj,
                            status=status, provider_message=message)
        if status == 403:
            raise AuthError('permission refused (check api_user, api_secret and account)', provider=self.name,
                            obj=obj, status=status, provider_message=message)
        if status == 400:
            raise ProviderError('request rejected: %s' % message, provider=self.name, obj=obj, status=status,
                                provider_message=message)
        if status == 409:
            raise ProviderError('conflict: %s' % message, provider=self.name, obj=obj, status=status,
                                provider_message=message)
        raise ProviderError('%s refused' % method, provider=self.name, obj=obj, status=status,
                            provider_message=message)

    # --- mailboxes --------------------------------------------------------------------------

    def _exchange(self, domain, name):
        """The exchange resource's body, or None on 404."""
        data, _response = self._call('GET', self._url(domain, 'usernames', name, 'exchange'),
                                     mailbox_address(name, domain), missing_ok=True)
        return data

    def _forwarding(self, domain, name):
        obj = 'forwarding of %s' % mailbox_address(name, domain)
        data, _response = self._call('GET', self._url(domain, 'usernames', name, 'forwards'), obj)
        return ','.join(forward_targets(data, obj))

    def get_mailbox(self, domain, name, need=None):
        data = self._exchange(domain, name)
        if data is None:
            if name.lower() not in self.listed:
                self._absent_or_other_kind(domain, name)
            return None
        # A listing's full reads cost one GET each (mailbox_info's details promise); forwards come
        # with a single named mailbox, or when the caller needs them.
        if need is None:
            wants_forwarding = name.lower() not in self.listed
        else:
            wants_forwarding = 'forwarding_address' in need
        forwarding = self._forwarding(domain, name) if wants_forwarding else None
        return from_exchange(data, name, domain, forwarding)

    def _absent_or_other_kind(self, domain, name):
        """After a 404 on .../exchange, one list read filtered to the name tells: an unknown account or
        domain (404), a username of another kind (listed), or no such mailbox (an empty list)."""
        address = mailbox_address(name, domain)
        query = {'filterUsername': name, 'page': 1, 'pageSize': 1}
        data, _response = self._call('GET', self._url(domain, 'usernames'), address, params=query, missing_ok=True)
        if data is None:
            raise self._unknown_domain(domain)
        for entry in as_list(as_dict(data, 'the username list', P, address).get('list'), 'list', P, address,
                             optional=False):
            if isinstance(entry, dict) and str(entry.get('username') or '').lower() == name.lower():
                raise InvalidInputError('the name is taken by a username that is not a hosted Exchange mailbox '
                                        '(for example one of the older Hostway mail platform); it is left untouched',
                                        provider=self.name, obj=address)

    def _unknown_domain(self, domain, provider_message=None):
        return UnknownScopeError('domain %s is not an e-mail domain of Hostway account %s (check domain and account)'
                                 % (domain, self.account), provider=self.name, status=404,
                                 provider_message=provider_message)

    def _put_exchange(self, domain, name, fields, password, creating=False):
        body = dict((SETTABLE_WIRE[canonical], '' if value is None else value)
                    for canonical, value in fields.items() if canonical in SETTABLE_WIRE)
        if password is None:
            # Only sets values: sending it again after an ambiguous failure is harmless.
            retry = {'idempotent': True}
        elif creating:
            # Hostway refuses a password used before, so a create that may have happened is
            # read back rather than re-sent.
            retry = {'confirm': lambda: self._exchange(domain, name) is not None}
        else:
            # A password change cannot be read back: an ambiguous failure is reported, never re-sent.
            retry = {}
        if password is not None:
            body['password'] = self.secret(password)
        self._call('PUT', self._url(domain, 'usernames', name, 'exchange'), mailbox_address(name, domain),
                   body=body, **retry)

    def create_mailbox(self, domain, name, fields, password):
        self._put_exchange(domain, name, fields, password, creating=True)
        if fields.get('forwarding_address'):
            self._set_forwarding(domain, name, fields['forwarding_address'], [])

    def update_mailbox(self, domain, name, changes, password, before):
        settable = [field for field in changes if field in SETTABLE_WIRE]
        if settable or password is not None:
            # Whether Hostway's PUT replaces or merges is not documented: send every non-empty
            # value it holds besides the changes, which is right under either reading.
            fields = dict((canonical, before.get(canonical)) for canonical, _wire in SETTABLE_FIELDS
                          if before.get(canonical))
            fields.update((field, changes[field]) for field in settable)
            self._put_exchange(domain, name, fields, password)
        if 'forwarding_address' in changes:
            current = [target for target in (before.get('forwarding_address') or '').split(',') if target]
            self._set_forwarding(domain, name, changes['forwarding_address'], current)

    def _set_forwarding(self, domain, name, wanted, current):
        """POST sets the whole target list; turning forwarding off deletes each current target."""
        url = self._url(domain, 'usernames', name, 'forwards')
        obj = 'forwarding of %s' % mailbox_address(name, domain)
        wanted = normalize('address', wanted)
        if wanted:
            self._call('POST', url, obj, body={'targets': [{'target': wanted}]}, idempotent=True)
            return
        for target in current:
            self._call('DELETE', '%s/%s' % (url, quote(target, safe='@')), obj,
                       confirm=lambda target=target: target not in self._forwarding(domain, name).split(','))

    def delete_mailbox(self, domain, name, before):
        url = self._url(domain, 'usernames', name, 'exchange')
        # A 404 means it is gone already, which is what the task asks for.
        self._call('DELETE', url, mailbox_address(name, domain), missing_ok=True,
                   confirm=lambda: self._exchange(domain, name) is None)

    def list_mailboxes(self, domain, filters):
        fields = set(filters.get('fields') or ())
        if fields - LIST_FIELDS:
            raise NotSupportedError('mailbox_info fields=%s is not supported by provider %s (only size)'
                                    % (','.join(sorted(fields - LIST_FIELDS)), self.name))
        query = {'page': 1, 'pageSize': PAGE_SIZE}
        for option, pattern in (('name_startswith', '%s*'), ('name_contains', '*%s*')):
            text = filters.get(option)
            if text:
                # Only name characters: a "*" would be taken as another wildcard.
                if not NAME_CHARACTERS.match(text):
                    raise InvalidInputError('%s=%r can never match a Hostway mailbox name (letters, digits, '
                                            '".", "_" and "-")' % (option, text), provider=self.name)
                query['filterUsername'] = pattern % text
        if filters.get('sort_by'):
            query['sortField'] = SORT_FIELDS[filters['sort_by']]
            query['sortOrder'] = self.params.get('sort_order') or 'asc'
        full_reads = bool(filters.get('details') or filters.get('include'))
        if full_reads:
            query['details'] = 1
        obj = 'mailboxes of %s' % domain
        try:
            entries = self._all_pages(self._url(domain, 'usernames'), obj, query)
        except NotFoundError as exc:
            raise self._unknown_domain(domain, exc.provider_message)
        records = []
        for entry in entries:
            entry = as_dict(entry, 'a username list entry', P, obj)
            name = as_text(entry.get('username'), 'username', P, obj)
            if not name:
                continue
            record = {'name': name, 'domain': domain, 'address': mailbox_address(name, domain)}
            if 'size' in fields:
                record['size'] = megabytes(entry.get('quota'), obj, required=True)
            records.append(record)
        # A 404 on the exchange resource of a listed username means "not Exchange", not "absent".
        self.listed.update(record['name'].lower() for record in records)
        return records

    def _all_pages(self, url, obj, query):
        """Every entry of a list, following the ``next`` links to the end."""
        entries, seen, params = [], set(), query
        for _page in range(MAX_PAGE_READS):
            page, response = self._call('GET', url, obj, params=params)
            page = as_dict(page, 'a page of the username list', P, obj)
            # Always there: a page without it must not read as an empty page.
            entries.extend(as_list(page.get('list'), 'list', P, obj, optional=False))
            following = link(page, 'next', obj)
            if not following:
                return entries
            url, params = self._same_origin(response.url, following), None
            if url in seen:
                raise ProviderError('paging went in a circle at %s' % url, provider=self.name, obj=obj)
            seen.add(url)
        raise ProviderError('the list did not end after %d pages' % MAX_PAGE_READS, provider=self.name, obj=obj)
