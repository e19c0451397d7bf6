# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Odin / CloudBlue Operations Automation public API: XML-RPC ``pem.exchange.*`` methods.

Every method takes one struct and answers a struct envelope: ``{status: 0, result}`` or
``{status: -1, error_message, ...}``. Mailboxes are numeric ids there; the modules name
them by address, so the client resolves (and remembers, for the run) each id.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import xml.parsers.expat
import xmlrpc.client

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    ProviderError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import (
    mailbox_address,
    normalize,
    split_address,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.base import ProviderClient
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.transport import CONFIRMED

KB_PER_MB = 1024
XML_HEADERS = {'Content-Type': 'text/xml'}
PROTOCOLS = ('owa', 'mapi', 'imap4', 'pop3')
# Permission codes: getMailboxPermissions (1 = Full Access), getDeliveryPermissions (1 = Send As, 2 = Send On Behalf).
FULL_ACCESS = 1
SEND_AS = 1
SEND_ON_BEHALF = 2
RIGHTS = {'full_access': frozenset(['full_access']), 'send_as': frozenset(['send_as']),
          'both': frozenset(['full_access', 'send_as'])}
PERMISSION_LISTS = {
    'mailbox': ('pem.exchange.getMailboxPermissions', {FULL_ACCESS: 'full_access'}),
    'delivery': ('pem.exchange.getDeliveryPermissions', {SEND_AS: 'send_as', SEND_ON_BEHALF: 'send_on_behalf'}),
}
GRANTS = {
    'full_access': ('pem.exchange.grantMailboxPermissions', FULL_ACCESS),
    'send_as': ('pem.exchange.grantDeliveryPermissions', SEND_AS),
    'send_on_behalf': ('pem.exchange.grantDeliveryPermissions', SEND_ON_BEHALF),
}
# A status -1 answer has no documented "not found" code; its message says it.
NOT_FOUND_HINTS = ('not found', 'does not exist', 'no such')
# mailbox_info fields= values Odin can fill (size and activesync cost one getMailboxInfo per mailbox).
LISTING_FIELDS = frozenset(('size', 'current_usage', 'activesync'))


def mb_to_kb(megabytes):
    return int(megabytes) * KB_PER_MB


def kb_to_mb(kilobytes):
    """Whole megabytes as an int; anything else as the exact float, never rounded."""
    if kilobytes is None or kilobytes == '':
        return None
    kilobytes = int(kilobytes)
    if kilobytes % KB_PER_MB == 0:
        return kilobytes // KB_PER_MB
    return kilobytes / float(KB_PER_MB)


def without_none(value):
    """XML-RPC has no nil (allow_none=False): leave unset members out instead."""
    if isinstance(value, dict):
        return dict((key, without_none(item)) for key, item in value.items() if item is not None)
    if isinstance(value, (list, tuple)):
        return [without_none(item) for item in value if item is not None]
    return value


def encode_call(method, args):
    return xmlrpc.client.dumps((without_none(args),), method, allow_none=False).encode('utf-8')


def split_addresses(entries):
    """(primary, sorted other addresses) from [{email_address, is_primary}] (plain strings are not primary)."""
    primary, others = None, set()
    for entry in entries or []:
        if isinstance(entry, dict):
            address, is_primary = entry.get('email_address'), normalize('bool', entry.get('is_primary'))
        else:
            address, is_primary = entry, False
        address = (address or '').strip().lower()
        if not address:
            continue
        if is_primary and primary is None:
            primary = address
        else:
            others.add(address)
    others.discard(primary)
    return primary, sorted(others)


def from_info(info, addresses, domain, name):
    """A getMailboxInfo answer and the mailbox's addresses as a canonical record."""
    address = mailbox_address(name, domain)
    primary, aliases = split_addresses(addresses)
    record = {
        'name': name,
        'domain': domain,
        'address': address,
        'display_name': info.get('display_name') or '',
        'size': kb_to_mb(info.get('size_limit')),
        'current_usage': kb_to_mb(info.get('size')),
        'hidden': not normalize('bool', info.get('show_in_address_book', True)),
        'primary_address': primary or address,
        'aliases': aliases,
        'activesync': normalize('bool', info.get('active_sync')),
        'mailbox_id': info.get('mailbox_id'),
        'user_id': info.get('user_id'),
        'login': info.get('login'),
    }
    for protocol in PROTOCOLS:
        record[protocol] = normalize('bool', info.get(protocol))
    return record


def is_not_found(message):
    lowered = (message or '').lower()
    return any(hint in lowered for hint in NOT_FOUND_HINTS)


def trustee_id(entry):
    trustee = entry.get('trustee') if isinstance(entry, dict) else None
    if isinstance(trustee, dict) and trustee.get('mailbox_id') is not None:
        return int(trustee['mailbox_id'])
    return None  # a distribution list: not a mailbox grantee


class OdinClient(ProviderClient):
    name = 'odin'
    mailbox_options = frozenset(('display_name', 'size', 'hidden', 'primary_address', 'login', 'service_user_id')
                                + PROTOCOLS)
    # addMailbox needs a size_limit; there is no sensible quota to invent.
    create_requires = ('size',)
    # modifyMailbox has no display name and no password: both are set only by addMailbox.
    update_immutable = frozenset(['display_name'])
    password_updatable = False
    info_options = frozenset(('fields', 'details', 'include'))
    info_includes = frozenset(('aliases', 'permissions', 'activesync'))
    features = frozenset(('alias', 'permission', 'activesync'))

    def __init__(self, params):
        super(OdinClient, self).__init__(params)
        if not params.get('api_url'):
            raise InvalidInputError('api_url is required for provider odin (the XML-RPC address of the management '
                                    'node, for example https://oa.example.com:8440/RPC2)', provider=self.name)
        if params.get('account') in (None, ''):
            raise InvalidInputError('account is required for provider odin (the subscription ID)', provider=self.name)
        try:
            self.subscription_id = int(str(params['account']).strip())
        except ValueError:
            raise InvalidInputError('account must be the Odin subscription ID, a number (got %r)' % params['account'],
                                    provider=self.name)
        if params.get('service_user_id') is not None:
            # With an existing service user Odin keeps that user's display name and password.
            conflicting = [option for option in ('display_name', 'password') if params.get(option) not in (None, '')]
            if conflicting:
                raise InvalidInputError('%s cannot be set together with service_user_id: the existing service user '
                                        'keeps its own' % ' and '.join(conflicting), provider=self.name)
        self.api_url = params['api_url']
        self.auth = (params['api_user'], params.get('api_secret') or '') if params.get('api_user') else None
        self.make_transport()
        self._ids = {}  # address -> mailbox_id, resolved once per run
        self._directory = None  # mailbox_id -> primary address, from getMailboxes
        self._last_rights = {}  # mailbox_id -> rights from the last full permissions read

    # --- one call -------------------------------------------------------------------------

    def _call(self, method, args, obj, confirm=None, idempotent=False):
        """One XML-RPC call: its result, CONFIRMED, or a clear error (never carrying the arguments)."""
        kwargs = {'data': encode_call(method, args)}
        if self.auth is not None:
            kwargs['auth'] = self.auth
        response = self.transport.request('POST', self.api_url, obj=obj, confirm=confirm, idempotent=idempotent,
                                          headers=XML_HEADERS, **kwargs)
        if response is CONFIRMED:
            return CONFIRMED
        if response.status_code == 401:
            raise AuthError('authentication refused (check api_user and api_secret)', provider=self.name, obj=obj,
                            status=401)
        if response.status_code == 403:
            raise AuthError('access refused (is this client network allowed, may this login use the API?)',
                            provider=self.name, obj=obj, status=403)
        if response.status_code >= 400:
            raise ProviderError('%s failed' % method, provider=self.name, obj=obj, status=response.status_code,
                                provider_message=response.reason)
        envelope = self._envelope(method, response, obj)
        if envelope['status'] == 0:
            return envelope.get('result')
        message = envelope.get('error_message') or 'no error message given'
        if is_not_found(message):
            raise NotFoundError('does not exist', provider=self.name, obj=obj, provider_message=message)
        raise ProviderError('%s refused' % method, provider=self.name, obj=obj, provider_message=message)

    def _envelope(self, method, response, obj):
        try:
            values, _name = xmlrpc.client.loads(response.content)
        except xmlrpc.client.Fault as fault:
            raise ProviderError('%s failed with XML-RPC fault %s' % (method, fault.faultCode), provider=self.name,
                                obj=obj, provider_message=str(fault.faultString))
        except (xml.parsers.expat.ExpatError, xmlrpc.client.ResponseError, ValueError, TypeError, IndexError):
            raise ProviderError('the answer to %s is not XML-RPC (Content-Type %s): is api_url the XML-RPC address, '
                                'for example https://oa.example.com:8440/RPC2?'
                                % (method, response.headers.get('Content-Type') or 'none'),
                                provider=self.name, obj=obj, status=response.status_code)
        envelope = values[0] if len(values) == 1 else None
        if not isinstance(envelope, dict) or envelope.get('status') not in (0, -1):
            raise ProviderError('the answer to %s has no status envelope' % method, provider=self.name, obj=obj)
        return envelope

    def _read(self, method, args, obj):
        # Reads are POSTs too, but sending one again is harmless.
        return self._call(method, args, obj, idempotent=True)

    # --- ids ------------------------------------------------------------------------------

    def _lookup(self, address):
        """(mailbox_id, addresses or None) of the mailbox holding address, or None; always asks."""
        try:
            found = self._read('pem.exchange.getMailboxByEmailAddress', {'email_address': address}, address)
        except NotFoundError:
            self._ids.pop(address, None)
            return None
        if isinstance(found, dict):
            mailbox_id, addresses = found.get('mailbox_id'), found.get('email_addresses')
        else:
            mailbox_id, addresses = found, None
        if mailbox_id is None:
            raise ProviderError('getMailboxByEmailAddress answered no mailbox_id', provider=self.name, obj=address)
        self._ids[address] = int(mailbox_id)
        return int(mailbox_id), addresses

    def _resolve(self, address):
        if address in self._ids:
            return self._ids[address], None
        return self._lookup(address)

    def _mailbox_id(self, domain, name):
        address = mailbox_address(name, domain)
        found = self._resolve(address)
        if found is None:
            raise NotFoundError('mailbox does not exist', provider=self.name, obj=address)
        return found[0]

    def _info(self, domain, name):
        """(getMailboxInfo answer, addresses from the lookup or None), or None when there is no such mailbox."""
        address = mailbox_address(name, domain)
        for _attempt in range(2):
            cached = address in self._ids
            found = self._resolve(address)
            if found is None:
                return None
            try:
                return self._read('pem.exchange.getMailboxInfo', {'mailbox_id': found[0]}, address), found[1]
            except NotFoundError:
                # A remembered id whose mailbox has gone since: ask once more by address.
                self._ids.pop(address, None)
                if not cached:
                    return None
        return None

    def _addresses(self, mailbox_id, obj):
        return self._read('pem.exchange.getEmailAddresses', {'mailbox_id': mailbox_id}, obj) or []

    def _subscription_mailboxes(self):
        entries = self._read('pem.exchange.getMailboxes', {'subscription_id': self.subscription_id},
                             'subscription %s' % self.subscription_id) or []
        self._directory = dict((int(entry['mailbox_id']), (entry.get('email_address') or '').lower())
                               for entry in entries)
        return entries

    def _address_of(self, mailbox_id):
        # One directory read per run is enough: a module run does not outlive its mailboxes.
        if self._directory is None:
            self._subscription_mailboxes()
        # A trustee outside the subscription has no address we can read.
        return self._directory.get(mailbox_id) or 'mailbox-id:%d' % mailbox_id

    # --- mailboxes --------------------------------------------------------------------------

    def get_mailbox(self, domain, name):
        found = self._info(domain, name)
        if found is None:
            return None
        info, addresses = found
        if addresses is None:
            addresses = self._addresses(self._ids[mailbox_address(name, domain)], mailbox_address(name, domain))
        return from_info(info, addresses, domain, name)

    def create_mailbox(self, domain, name, fields, password):
        address = mailbox_address(name, domain)
        primary = (fields.get('primary_address') or address).strip().lower()
        args = {
            'alias': name,
            'primary_email_address': primary,
            'size_limit': mb_to_kb(fields['size']),
            # ActiveSync is activesync_service's to attach; a new mailbox starts without it.
            'active_sync': False,
        }
        for protocol in PROTOCOLS:
            args[protocol] = bool(fields.get(protocol, True))
        if primary != address:
            # Keep name@domain on the mailbox: it is how every later task finds it.
            args['alt_email_addresses'] = [address]
        if fields.get('service_user_id') is not None:
            args['user_id'] = int(fields['service_user_id'])
        else:
            args['new_user'] = {'subscription_id': self.subscription_id, 'login': fields.get('login') or address,
                                'password': password or None, 'display_name': fields.get('display_name') or None}
        result = self._call('pem.exchange.addMailbox', args, address,
                            confirm=lambda: self._lookup(address) is not None)
        if isinstance(result, dict) and result.get('mailbox_id') is not None:
            self._ids[address] = int(result['mailbox_id'])
        if fields.get('hidden'):
            # addMailbox has no address-book switch.
            self._call('pem.exchange.modifyMailbox',
                       {'mailbox_id': self._mailbox_id(domain, name), 'show_in_address_book': False},
                       address, idempotent=True)

    def update_mailbox(self, domain, name, changes, password, before):
        address = mailbox_address(name, domain)
        if password is not None:
            raise NotSupportedError('cannot change the password of an existing mailbox', provider=self.name,
                                    obj=address)
        modify = {}
        for field, value in changes.items():
            if field == 'size':
                modify['size_limit'] = mb_to_kb(value)
            elif field == 'hidden':
                modify['show_in_address_book'] = not value
            elif field in PROTOCOLS:
                modify[field] = bool(value)
            elif field != 'primary_address':
                raise NotSupportedError('cannot change %s of an existing mailbox' % field, provider=self.name,
                                        obj=address)
        mailbox_id = before.get('mailbox_id') or self._mailbox_id(domain, name)
        # Both set values, so sending one again is harmless.
        if modify:
            self._call('pem.exchange.modifyMailbox', dict(modify, mailbox_id=mailbox_id), address, idempotent=True)
        if 'primary_address' in changes:
            self._call('pem.exchange.changePrimaryEmailAddress',
                       {'mailbox_id': mailbox_id, 'email_address': changes['primary_address'].strip().lower()},
                       address, idempotent=True)

    def delete_mailbox(self, domain, name, before):
        address = mailbox_address(name, domain)
        mailbox_id = before.get('mailbox_id') or self._mailbox_id(domain, name)
        self._call('pem.exchange.removeMailbox', {'mailbox_id': mailbox_id}, address,
                   confirm=lambda: self._lookup(address) is None)
        self._ids.pop(address, None)

    def list_mailboxes(self, domain, filters):
        wanted = set(filters.get('fields') or ())
        unsupported = sorted(wanted - LISTING_FIELDS)
        if unsupported:
            raise NotSupportedError('mailbox_info fields=%s is not supported by provider odin' % ','.join(unsupported),
                                    provider=self.name)
        records = []
        for entry in self._subscription_mailboxes():
            primary = (entry.get('email_address') or '').lower()
            local, entry_domain = split_address(primary)
            if entry_domain != domain.lower():
                continue
            mailbox_id = int(entry['mailbox_id'])
            self._ids.setdefault(primary, mailbox_id)
            record = {'name': local, 'domain': domain, 'address': primary, 'display_name': entry.get('display_name') or ''}
            if 'current_usage' in wanted:
                record['current_usage'] = kb_to_mb(entry.get('size'))
            if wanted & set(('size', 'activesync')):
                try:
                    info = self._read('pem.exchange.getMailboxInfo', {'mailbox_id': mailbox_id}, primary)
                except NotFoundError:
                    continue  # removed since the listing
                if 'size' in wanted:
                    record['size'] = kb_to_mb(info.get('size_limit'))
                if 'activesync' in wanted:
                    record['activesync'] = normalize('bool', info.get('active_sync'))
            records.append(record)
        return sorted(records, key=lambda record: record['name'])

    # --- aliases ------------------------------------------------------------------------------

    def add_alias(self, domain, name, address):
        mailbox_id = self._mailbox_id(domain, name)
        obj = 'alias %s of %s' % (address, mailbox_address(name, domain))
        self._call('pem.exchange.addEmailAddresses', {'mailbox_id': mailbox_id, 'email_addresses': [address]}, obj,
                   confirm=lambda: address in self._address_list(mailbox_id, obj))

    def remove_alias(self, domain, name, address):
        own = mailbox_address(name, domain)
        if address == own:
            raise InvalidInputError('cannot remove %s: it is the address the collection finds the mailbox by' % address,
                                    provider=self.name, obj=own)
        mailbox_id = self._mailbox_id(domain, name)
        obj = 'alias %s of %s' % (address, own)
        self._call('pem.exchange.removeEmailAddresses', {'mailbox_id': mailbox_id, 'email_addresses': [address]}, obj,
                   confirm=lambda: address not in self._address_list(mailbox_id, obj))

    def _address_list(self, mailbox_id, obj):
        primary, others = split_addresses(self._addresses(mailbox_id, obj))
        return ([primary] if primary else []) + others

    # --- permissions --------------------------------------------------------------------------

    def _rights(self, mailbox_id, obj, lists=('mailbox', 'delivery')):
        """trustee mailbox_id -> set of rights (send_on_behalf included), from a fresh read of the lists named."""
        rights = {}
        for kind in lists:
            method, codes = PERMISSION_LISTS[kind]
            for entry in self._read(method, {'mailbox_id': mailbox_id}, obj) or []:
                right = codes.get(int(entry.get('permission') or 0))
                if trustee_id(entry) is not None and right is not None:
                    rights.setdefault(trustee_id(entry), set()).add(right)
        if len(lists) == len(PERMISSION_LISTS):
            self._last_rights[mailbox_id] = rights
        return rights

    def get_permissions(self, domain, name):
        address = mailbox_address(name, domain)
        granted = []
        for trustee, held in self._rights(self._mailbox_id(domain, name), address).items():
            held = frozenset(held) & RIGHTS['both']
            if held:
                permission = 'both' if held == RIGHTS['both'] else next(iter(held))
                granted.append({'grantee': self._address_of(trustee), 'permission': permission})
        return sorted(granted, key=lambda entry: entry['grantee'])

    def grantee_exists(self, domain, grantee_address):
        return self._resolve(grantee_address.lower()) is not None

    def _parties(self, domain, name, grantee_address):
        owner = mailbox_address(name, domain)
        mailbox_id = self._mailbox_id(domain, name)
        found = self._resolve(grantee_address.lower())
        if found is None:
            raise NotFoundError('grantee %s does not exist' % grantee_address, provider=self.name, obj=owner)
        return mailbox_id, found[0], 'permission of %s on %s' % (grantee_address, owner)

    def set_permission(self, domain, name, grantee_address, permission, current):
        mailbox_id, grantee_id, obj = self._parties(domain, name, grantee_address)
        have, want = RIGHTS.get(current, frozenset()), RIGHTS[permission]
        for right in sorted(want - have):
            self._grant(mailbox_id, grantee_id, right, obj)
        for right in sorted(have - want):
            self._revoke(mailbox_id, grantee_id, right, obj)

    def revoke_permission(self, domain, name, grantee_address, current):
        mailbox_id, grantee_id, obj = self._parties(domain, name, grantee_address)
        for right in sorted(RIGHTS.get(current, ())):
            self._revoke(mailbox_id, grantee_id, right, obj)

    def _holds(self, mailbox_id, grantee_id, right, obj):
        kind = 'mailbox' if right == 'full_access' else 'delivery'
        return right in self._rights(mailbox_id, obj, lists=(kind,)).get(grantee_id, ())

    def _grant(self, mailbox_id, grantee_id, right, obj):
        method, code = GRANTS[right]
        args = {'mailbox_id': mailbox_id, 'permissions': [{'trustee': {'mailbox_id': grantee_id}, 'permission': code}]}
        self._call(method, args, obj, confirm=lambda: self._holds(mailbox_id, grantee_id, right, obj))

    def _revoke(self, mailbox_id, grantee_id, right, obj):
        args = {'mailbox_id': mailbox_id, 'trustees': [{'mailbox_id': grantee_id}]}
        if right == 'full_access':
            self._call('pem.exchange.revokeMailboxPermissions', args, obj,
                       confirm=lambda: not self._holds(mailbox_id, grantee_id, right, obj))
            return
        rights = self._last_rights.get(mailbox_id)
        if rights is None:
            rights = self._rights(mailbox_id, obj)
        self._call('pem.exchange.revokeDeliveryPermissions', args, obj,
                   confirm=lambda: not self._holds(mailbox_id, grantee_id, right, obj))
        if 'send_on_behalf' in rights.get(grantee_id, ()):
            # The revoke names only the trustee, so it took Send On Behalf too: give that back.
            self._grant(mailbox_id, grantee_id, 'send_on_behalf', obj)

    # --- ActiveSync ---------------------------------------------------------------------------

    def get_activesync(self, domain, name):
        found = self._info(domain, name)
        if found is None:
            raise NotFoundError('mailbox does not exist', provider=self.name, obj=mailbox_address(name, domain))
        # Odin has no setup information to give, only the switch.
        return {'enabled': True} if normalize('bool', found[0].get('active_sync')) else None

    def set_activesync(self, domain, name, enabled):
        self._call('pem.exchange.modifyMailbox', {'mailbox_id': self._mailbox_id(domain, name), 'active_sync': enabled},
                   mailbox_address(name, domain), idempotent=True)
