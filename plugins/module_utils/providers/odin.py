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

import xmlrpc.client

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    ProviderError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import RIGHTS, mailbox_address, split_address
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.payload import (
    as_dict,
    as_flag,
    as_list,
    as_name,
    as_number,
    as_text,
    unexpected,
    UnexpectedAnswer,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.base import ProviderClient
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.transport import CONFIRMED

P = 'odin'
KB_PER_MB = 1024
XML_HEADERS = {'Content-Type': 'text/xml'}
PROTOCOLS = ('owa', 'mapi', 'imap4', 'pop3')
# Permission codes: getMailboxPermissions (1 = Full Access), getDeliveryPermissions (1 = Send As, 2 = Send On Behalf).
FULL_ACCESS = 1
SEND_AS = 1
SEND_ON_BEHALF = 2
PERMISSION_LISTS = {
    'mailbox': ('pem.exchange.getMailboxPermissions', {FULL_ACCESS: 'full_access'}),
    'delivery': ('pem.exchange.getDeliveryPermissions', {SEND_AS: 'send_as', SEND_ON_BEHALF: 'send_on_behalf'}),
}
GRANTS = {
    'full_access': ('pem.exchange.grantMailboxPermissions', FULL_ACCESS),
    'send_as': ('pem.exchange.grantDeliveryPermissions', SEND_AS),
    'send_on_behalf': ('pem.exchange.grantDeliveryPermissions', SEND_ON_BEHALF),
}
# mailbox_info fields= values Odin can fill (size and activesync cost one getMailboxInfo per mailbox).
LISTING_FIELDS = frozenset(('size', 'current_usage', 'activesync'))
# Canonical fields getMailboxes carries for every mailbox; the rest needs getMailboxInfo.
DIRECTORY_FIELDS = frozenset(('display_name', 'primary_address', 'current_usage'))


class RefusedCall(ProviderError):
    """A status -1 envelope: the call failed. What it means is never read from its wording."""


def mb_to_kb(megabytes):
    return int(megabytes) * KB_PER_MB


def kb_to_mb(kilobytes, what='a size in KB', obj=None, required=False):
    """Whole megabytes as an int; anything else as the exact float, never rounded. A value that is not a
    number is an error naming the field and the object."""
    kilobytes = as_number(kilobytes, what, P, obj, required=required)
    if kilobytes is None:
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


def split_addresses(entries, obj=None):
    """(primary, sorted other addresses) from [{email_address, is_primary}] (plain strings are not primary)."""
    primary, others = None, set()
    for entry in as_list(entries, 'the e-mail addresses', P, obj):
        if isinstance(entry, dict):
            address = as_text(entry.get('email_address'), 'email_address', P, obj)
            is_primary = as_flag(entry.get('is_primary'), 'is_primary', P, obj)
        else:
            address, is_primary = as_text(entry, 'an e-mail address', P, obj), False
        address = address.strip().lower()
        if not address:
            continue
        if is_primary and primary is None:
            primary = address
        else:
            others.add(address)
    others.discard(primary)
    return primary, sorted(others)


def from_info(info, entry, addresses, domain, name):
    """getMailboxInfo (or None), the mailbox's directory entry and its addresses (or None) as a canonical record."""
    address = mailbox_address(name, domain)
    record = {
        'name': name,
        'domain': domain,
        'address': address,
        'display_name': entry['display_name'],
        'primary_address': entry['primary'] or address,
        'mailbox_id': entry['mailbox_id'],
        'user_id': entry['user_id'],
        'login': entry['login'] or None,
    }
    if entry['usage'] is not None:
        record['current_usage'] = entry['usage']
    if addresses is not None:
        primary, aliases = split_addresses(addresses, address)
        record['primary_address'] = primary or record['primary_address']
        record['aliases'] = aliases
    if info is not None:
        info = as_dict(info, 'getMailboxInfo', P, address)
        record['display_name'] = as_text(info.get('display_name'), 'display_name', P, address) or record['display_name']
        # getMailboxInfo always carries these: an absent one is a broken answer, never "off" or "no limit".
        record['size'] = kb_to_mb(info.get('size_limit'), 'size_limit', address, required=True)
        usage = kb_to_mb(info.get('size'), 'size', address)
        if usage is not None:
            record['current_usage'] = usage
        record['hidden'] = not as_flag(info.get('show_in_address_book'), 'show_in_address_book', P, address,
                                       required=True)
        # The mailbox's own answer wins over what the listing (or a create just made) said.
        record['login'] = as_text(info.get('login'), 'login', P, address) or record['login']
        user_id = as_number(info.get('user_id'), 'user_id', P, address)
        record['user_id'] = user_id if isinstance(user_id, int) else record['user_id']
        record['activesync'] = as_flag(info.get('active_sync'), 'active_sync', P, address, required=True)
        for protocol in PROTOCOLS:
            record[protocol] = as_flag(info.get(protocol), protocol, P, address, required=True)
    return record


def mailbox_id_of(value, obj):
    """A mailbox id the API can be sent back: a whole number within the XML-RPC int range."""
    mailbox_id = as_number(value, 'mailbox_id', P, obj)
    if not isinstance(mailbox_id, int) or not xmlrpc.client.MININT <= mailbox_id <= xmlrpc.client.MAXINT:
        raise unexpected('mailbox_id', 'a whole number of at most 32 bits', value, P, obj)
    return mailbox_id


def directory_entry(entry, obj):
    """One getMailboxes entry, checked: the fields the client relies on."""
    entry = as_dict(entry, 'a getMailboxes entry', P, obj)
    mailbox_id = mailbox_id_of(entry.get('mailbox_id'), obj)
    user_id = as_number(entry.get('user_id'), 'user_id', P, obj)
    return {
        'mailbox_id': mailbox_id,
        'primary': as_text(entry.get('email_address'), 'email_address', P, obj).strip().lower(),
        'alias': as_text(entry.get('alias'), 'alias', P, obj).strip().lower(),
        'display_name': as_text(entry.get('display_name'), 'display_name', P, obj),
        'login': as_text(entry.get('login'), 'login', P, obj),
        'user_id': user_id if isinstance(user_id, int) else None,
        'usage': kb_to_mb(entry.get('size'), 'size', obj),
    }


def trustee_id(entry, obj):
    trustee = as_dict(entry, 'a permission entry', P, obj).get('trustee')
    if isinstance(trustee, dict) and trustee.get('mailbox_id') is not None:
        found = as_number(trustee['mailbox_id'], 'trustee mailbox_id', P, obj)
        return found if isinstance(found, int) else None
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
    listing_fields = DIRECTORY_FIELDS
    # getMailboxes names a mailbox by its primary address; after a primary address change the mailbox
    # still answers to name@domain, which only a lookup finds.
    listing_may_miss_names = True
    # addMailbox takes the aliases and the ActiveSync switch too: a roster create is one write.
    create_sets = frozenset(('aliases', 'activesync'))
    # size_limit travels in KB as an XML-RPC int (32 bits).
    max_size_mb = (2 ** 31 - 1) // KB_PER_MB
    # Odin cannot disable a mailbox; switching every protocol and ActiveSync off cuts its use.
    disable_changes = {'owa': False, 'mapi': False, 'imap4': False, 'pop3': False, 'activesync': False}
    access_kept_when_disabled = ('the service user itself (its login and password cannot be changed through the API)',)
    # Not in the pem.exchange API: the mailbox switch, forwarding, the directory settings and the contact fields.
    unreadable = frozenset(('enabled', 'public_folder_admin', 'directory_visible', 'forwarding_address',
                            'save_forwarded_email', 'first_name', 'last_name', 'job_title', 'company', 'department',
                            'business_phone', 'home_phone', 'mobile_phone', 'fax', 'pager', 'street', 'city',
                            'state_province', 'postal_code', 'country', 'notes', 'custom_id'))

    def __init__(self, params):
        super(OdinClient, self).__init__(params)
        self.require_params('api_url', hint='the XML-RPC address of the management node, for example '
                                            'https://oa.example.com:8440/RPC2')
        self.require_params('account', hint='the subscription ID')
        try:
            self.subscription_id = int(str(params['account']).strip())
        except ValueError:
            raise InvalidInputError('account must be the Odin subscription ID, a number (got %r)'
                                    % str(params['account'])[:40], provider=self.name)
        if params.get('service_user_id') is not None:
            # With an existing service user Odin keeps that user's display name and password.
            conflicting = [option for option in ('display_name', 'password') if params.get(option) not in (None, '')]
            if conflicting:
                raise InvalidInputError('%s cannot be set together with service_user_id: the existing service user '
                                        'keeps its own' % ' and '.join(conflicting), provider=self.name)
        self.api_url = self.check_api_url(params['api_url'])
        self.auth = (params['api_user'], params.get('api_secret') or '') if params.get('api_user') else None
        self.make_transport()
        self._directory = None  # mailbox_id -> directory entry of this subscription, read once per run
        self._domains = None  # the subscription's domains, read only when needed
        self._addresses = {}  # mailbox_id -> addresses, read once per run
        self._last_rights = {}  # mailbox_id -> rights from the last full permissions read

    def api_origin(self):
        return self.api_url

    def check_password(self, password, name, domain, display_name=None):
        """Odin's password policy is the installation's own: it is left to the provider."""

    # --- one call -------------------------------------------------------------------------

    def _call(self, method, args, obj, confirm=None, idempotent=False, kind=None):
        """One XML-RPC call: its result, CONFIRMED, or a clear error (never carrying the arguments)."""
        kwargs = {'data': encode_call(method, args)}
        if self.auth is not None:
            kwargs['auth'] = self.auth
        response = self.transport.request('POST', self.api_url, obj=obj, confirm=confirm, idempotent=idempotent,
                                          headers=XML_HEADERS, kind=kind, **kwargs)
        if response is CONFIRMED:
            return CONFIRMED
        status = response.status_code
        if status == 401:
            raise AuthError('authentication refused (check api_user and api_secret)', provider=self.name, obj=obj,
                            status=401)
        if status == 403:
            raise AuthError('access refused (is this client network allowed, may this login use the API?)',
                            provider=self.name, obj=obj, status=403)
        if 300 <= status < 400:
            raise ProviderError('the API redirected the call; not followed, so the credentials stay with %s '
                                '(check api_url)' % self.api_url, provider=self.name, obj=obj, status=status)
        if status == 404:
            raise ProviderError('%s: no XML-RPC service at api_url (check it: the management node\'s XML-RPC address, '
                                'for example https://oa.example.com:8440/RPC2)' % method, provider=self.name, obj=obj,
                                status=status)
        if status >= 400:
            raise ProviderError('%s failed' % method, provider=self.name, obj=obj, status=status,
                                provider_message=self.hide_secrets(response.reason))
        envelope = self._envelope(method, response, obj)
        if envelope['status'] == 0:
            return envelope.get('result')
        # A failure envelope is a failure: whether something exists is never read from its wording.
        message = as_text(envelope.get('error_message'), 'error_message', P, obj) or 'no error message given'
        raise RefusedCall('%s refused' % method, provider=self.name, obj=obj,
                          provider_message=self.hide_secrets(message)[:300])

    def _envelope(self, method, response, obj):
        try:
            values, _name = xmlrpc.client.loads(response.content)
        except xmlrpc.client.Fault as fault:
            raise ProviderError('%s failed with XML-RPC fault %s' % (method, fault.faultCode), provider=self.name,
                                obj=obj, provider_message=self.hide_secrets(str(fault.faultString))[:300])
        except Exception:  # pylint: disable=broad-except  # any parse failure of a hostile body: say what to check
            raise ProviderError('the answer to %s is not XML-RPC (Content-Type %s): is api_url the XML-RPC address, '
                                'for example https://oa.example.com:8440/RPC2?'
                                % (method, response.headers.get('Content-Type') or 'none'),
                                provider=self.name, obj=obj, status=response.status_code)
        envelope = values[0] if len(values) == 1 else None
        if not isinstance(envelope, dict) or envelope.get('status') not in (0, -1) or \
                isinstance(envelope.get('status'), bool):
            raise ProviderError('the answer to %s has no status envelope' % method, provider=self.name, obj=obj)
        return envelope

    def _read(self, method, args, obj):
        # Reads are POSTs too, but sending one again is harmless.
        result = self._call(method, args, obj, idempotent=True, kind='read')
        if result is None:
            # Every read answers a result (an empty list at least): none must not read as "nothing there".
            raise UnexpectedAnswer('the answer to %s has no result (is api_url the XML-RPC address?)' % method,
                                   provider=self.name, obj=obj)
        return result

    # --- the subscription: what belongs to it -----------------------------------------------

    def _mailboxes(self, fresh=False):
        """mailbox_id -> directory entry of every mailbox of the subscription (one read per run)."""
        if self._directory is None or fresh:
            obj = 'subscription %s' % self.subscription_id
            try:
                entries = self._read('pem.exchange.getMailboxes', {'subscription_id': self.subscription_id}, obj)
            except RefusedCall as exc:
                raise UnknownScopeError('cannot list the mailboxes of subscription %s (check account)'
                                        % self.subscription_id, provider=self.name,
                                        provider_message=exc.provider_message)
            directory = {}
            for entry in as_list(entries, 'getMailboxes', P, obj):
                entry = directory_entry(entry, obj)
                directory[entry['mailbox_id']] = entry
            self._directory = directory
        return self._directory

    def _subscription_domains(self):
        """The subscription's domains (pem.getDomainList; read once per run, only when needed)."""
        if self._domains is None:
            obj = 'subscription %s' % self.subscription_id
            domains = set()
            for entry in as_list(self._read('pem.getDomainList', {'subscription_id': self.subscription_id}, obj),
                                 'getDomainList', P, obj):
                if isinstance(entry, dict):
                    entry = entry.get('domain_name') or entry.get('name')
                domains.add(as_name(entry, 'a domain name', P, obj).lower())
            self._domains = domains
        return self._domains

    def _require_domain(self, domain, what='domain'):
        """A domain of the subscription: known from its mailboxes, else from one getDomainList read."""
        domain = domain.lower()
        if any(entry['primary'].endswith('@' + domain) for entry in self._mailboxes().values()):
            return
        if domain not in self._subscription_domains():
            raise UnknownScopeError('%s %s is not a domain of subscription %s (check domain and account)'
                                    % (what, domain, self.subscription_id), provider=self.name)

    def _address_list(self, mailbox_id, obj, fresh=False):
        if fresh or mailbox_id not in self._addresses:
            # A list, checked by split_addresses: an answer of another kind is an error, never "no addresses".
            self._addresses[mailbox_id] = self._read('pem.exchange.getEmailAddresses', {'mailbox_id': mailbox_id},
                                                     obj)
        return self._addresses[mailbox_id]

    def _addresses_of(self, mailbox_id, obj, fresh=False):
        primary, others = split_addresses(self._address_list(mailbox_id, obj, fresh), obj)
        return ([primary] if primary else []) + others

    def _find(self, domain, name, fresh=False):
        """The mailbox_id of name@domain in this subscription, or None.

        Its primary address in the subscription's listing, else a mailbox whose Exchange alias is
        the name and that holds name@domain (its primary address was changed).
        """
        address = mailbox_address(name, domain)
        directory = self._mailboxes(fresh)
        for mailbox_id, entry in directory.items():
            if entry['primary'] == address:
                return mailbox_id
        for mailbox_id, entry in directory.items():
            if entry['alias'] == name.lower() and address in self._addresses_of(mailbox_id, address, fresh):
                return mailbox_id
        return None

    def _mailbox_id(self, domain, name):
        mailbox_id = self._find(domain, name)
        if mailbox_id is None:
            self._require_domain(domain)  # an unknown domain is an error, not an absent mailbox
            raise self.not_found(domain, name)
        return mailbox_id

    def not_found(self, domain, name, status=None):
        return NotFoundError('mailbox does not exist in subscription %s' % self.subscription_id,
                             provider=self.name, obj=mailbox_address(name, domain))

    def _info(self, mailbox_id, obj):
        return self._read('pem.exchange.getMailboxInfo', {'mailbox_id': mailbox_id}, obj)

    # --- mailboxes --------------------------------------------------------------------------

    def get_mailbox(self, domain, name, need=None):
        address = mailbox_address(name, domain)
        mailbox_id = self._find(domain, name)
        if mailbox_id is None:
            self._require_domain(domain)
            return None
        entry = self._directory[mailbox_id]
        need = None if need is None else set(need)
        info = None
        if need is None or need - DIRECTORY_FIELDS - set(('aliases',)):
            info = self._info(mailbox_id, address)
        addresses = None
        if need is None or 'aliases' in need:
            addresses = self._address_list(mailbox_id, address)
        return from_info(info, entry, addresses, domain, name)

    def create_mailbox(self, domain, name, fields, password):
        address = mailbox_address(name, domain)
        primary = (fields.get('primary_address') or address).strip().lower()
        self._require_domain(split_address(primary)[1], 'the domain of primary address')
        args = {
            'alias': name,
            'primary_email_address': primary,
            'size_limit': mb_to_kb(fields['size']),
            # Off unless the caller asks (mailbox_roster does: one write instead of two).
            'active_sync': bool(fields.get('activesync', False)),
        }
        for protocol in PROTOCOLS:
            args[protocol] = bool(fields.get(protocol, True))
        # Keep name@domain on the mailbox (it is how every later task finds it), with any aliases asked for.
        asked = [alias for alias in fields.get('aliases') or [] if alias not in (primary, address)]
        extra = ([address] if primary != address else []) + asked
        if extra:
            args['alt_email_addresses'] = extra
        if fields.get('service_user_id') is not None:
            args['user_id'] = int(fields['service_user_id'])
        else:
            args['new_user'] = {'subscription_id': self.subscription_id, 'login': fields.get('login') or address,
                                'password': self.secret(password) or None, 'display_name': fields.get('display_name') or None}
        result = self._call('pem.exchange.addMailbox', args, address,
                            confirm=lambda: self._find(domain, name, fresh=True) is not None)
        mailbox_id = None
        if isinstance(result, dict) and result.get('mailbox_id') is not None:
            mailbox_id = mailbox_id_of(result['mailbox_id'], address)
        if mailbox_id is not None:
            self._directory[mailbox_id] = {
                'mailbox_id': mailbox_id, 'primary': primary, 'alias': name.lower(),
                'display_name': fields.get('display_name') or '', 'login': fields.get('login') or address,
                'user_id': fields.get('service_user_id'), 'usage': 0}
            self._addresses[mailbox_id] = [{'email_address': primary, 'is_primary': True}] + [
                {'email_address': other, 'is_primary': False} for other in extra]
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
            elif field == 'activesync':
                modify['active_sync'] = bool(value)
            elif field != 'primary_address':
                raise NotSupportedError('cannot change %s of an existing mailbox' % field, provider=self.name,
                                        obj=address)
        mailbox_id = before.get('mailbox_id') or self._mailbox_id(domain, name)
        # Both set values, so sending one again is harmless.
        if modify:
            self._call('pem.exchange.modifyMailbox', dict(modify, mailbox_id=mailbox_id), address, idempotent=True)
        if 'primary_address' in changes:
            new_primary = changes['primary_address'].strip().lower()
            self._call('pem.exchange.changePrimaryEmailAddress', {'mailbox_id': mailbox_id, 'email_address': new_primary},
                       address, idempotent=True)
            self._addresses.pop(mailbox_id, None)
            if mailbox_id in self._directory:
                self._directory[mailbox_id]['primary'] = new_primary

    def delete_mailbox(self, domain, name, before):
        address = mailbox_address(name, domain)
        mailbox_id = before.get('mailbox_id') or self._mailbox_id(domain, name)
        self._call('pem.exchange.removeMailbox', {'mailbox_id': mailbox_id}, address,
                   confirm=lambda: mailbox_id not in self._mailboxes(fresh=True))
        self._directory.pop(mailbox_id, None)

    def list_mailboxes(self, domain, filters):
        wanted = set(filters.get('fields') or ())
        unsupported = sorted(wanted - LISTING_FIELDS)
        if unsupported:
            raise NotSupportedError('mailbox_info fields=%s is not supported by provider odin' % ','.join(unsupported),
                                    provider=self.name)
        records = []
        for mailbox_id, entry in sorted(self._mailboxes().items()):
            local, entry_domain = split_address(entry['primary'])
            if entry_domain != domain.lower():
                continue
            record = {'name': local, 'domain': domain, 'address': entry['primary'], 'mailbox_id': mailbox_id,
                      'display_name': entry['display_name'], 'primary_address': entry['primary']}
            if 'current_usage' in wanted and entry['usage'] is not None:
                record['current_usage'] = entry['usage']
            if wanted & set(('size', 'activesync')):
                info = as_dict(self._info(mailbox_id, entry['primary']), 'getMailboxInfo', P, entry['primary'])
                if 'size' in wanted:
                    record['size'] = kb_to_mb(info.get('size_limit'), 'size_limit', entry['primary'], required=True)
                if 'activesync' in wanted:
                    record['activesync'] = as_flag(info.get('active_sync'), 'active_sync', P, entry['primary'],
                                                   required=True)
            records.append(record)
        if not records:
            self._require_domain(domain)
        return sorted(records, key=lambda record: record['name'])

    def domain_listing(self, domain):
        """The subscription's listing (one read) carries name, display name and primary address - and, as names,
        the Exchange alias, which a mailbox whose primary address changed may still be found by (get_mailbox says)
        and which no new mailbox can take."""
        records = self.list_mailboxes(domain, {})
        directory = self._mailboxes()
        for record in records:
            alias = directory[record['mailbox_id']]['alias']
            if alias and alias != record['name'].lower():
                record['names'] = [alias]
        return records

    # --- aliases ------------------------------------------------------------------------------

    def protected_addresses(self, domain, name):
        # name@domain is how every task finds the mailbox: it stays, even after a primary address change.
        return [mailbox_address(name, domain)]

    def check_alias_domain(self, domain, address):
        try:
            self._require_domain(split_address(address)[1])
        except UnknownScopeError:
            raise InvalidInputError("the alias's domain %s is not a domain of subscription %s" % (
                split_address(address)[1], self.subscription_id), provider=self.name, obj=address)

    def add_alias(self, domain, name, address):
        self.check_alias_domain(domain, address)
        mailbox_id = self._mailbox_id(domain, name)
        obj = 'alias %s of %s' % (address, mailbox_address(name, domain))
        self._call('pem.exchange.addEmailAddresses', {'mailbox_id': mailbox_id, 'email_addresses': [address]}, obj,
                   confirm=lambda: address in self._addresses_of(mailbox_id, obj, fresh=True))
        self._addresses.pop(mailbox_id, None)

    def remove_alias(self, domain, name, address):
        own = mailbox_address(name, domain)
        if address == own:
            raise InvalidInputError('cannot remove %s: it is the address the collection finds the mailbox by' % address,
                                    provider=self.name, obj=own)
        mailbox_id = self._mailbox_id(domain, name)
        obj = 'alias %s of %s' % (address, own)
        self._call('pem.exchange.removeEmailAddresses', {'mailbox_id': mailbox_id, 'email_addresses': [address]}, obj,
                   confirm=lambda: address not in self._addresses_of(mailbox_id, obj, fresh=True))
        self._addresses.pop(mailbox_id, None)

    # --- permissions --------------------------------------------------------------------------

    def _rights(self, mailbox_id, obj, lists=('mailbox', 'delivery')):
        """trustee mailbox_id -> set of rights (send_on_behalf included), from a fresh read of the lists named."""
        rights = {}
        for kind in lists:
            method, codes = PERMISSION_LISTS[kind]
            for entry in as_list(self._read(method, {'mailbox_id': mailbox_id}, obj), method, P, obj):
                trustee = trustee_id(entry, obj)
                code = as_number(entry.get('permission'), 'permission', P, obj)
                right = codes.get(code) if isinstance(code, int) else None
                if trustee is not None and right is not None:
                    rights.setdefault(trustee, set()).add(right)
        if len(lists) == len(PERMISSION_LISTS):
            self._last_rights[mailbox_id] = rights
        return rights

    def _address_of(self, mailbox_id):
        entry = self._mailboxes().get(mailbox_id)
        # A trustee outside the subscription has no address we may read.
        return entry['primary'] if entry else 'mailbox-id:%d' % mailbox_id

    def get_permissions(self, domain, name):
        address = mailbox_address(name, domain)
        granted = []
        for trustee, held in self._rights(self._mailbox_id(domain, name), address).items():
            held = frozenset(held) & RIGHTS['both']
            if held:
                permission = 'both' if held == RIGHTS['both'] else next(iter(held))
                granted.append({'grantee': self._address_of(trustee), 'permission': permission, 'key': trustee})
        return sorted(granted, key=lambda entry: entry['grantee'])

    def resolve_grantee(self, domain, grantee_address):
        grantee_name, grantee_domain = split_address(grantee_address)
        mailbox_id = self._find(grantee_domain, grantee_name)
        if mailbox_id is None:
            # An address that is no mailbox's name: ask the platform who holds it, then check it is ours.
            try:
                found = self._read('pem.exchange.getMailboxByEmailAddress', {'email_address': grantee_address},
                                   grantee_address)
            except RefusedCall:
                return None  # the platform has no mailbox with this address (or will not say): not a grantee
            found = found.get('mailbox_id') if isinstance(found, dict) else found
            mailbox_id = mailbox_id_of(found, grantee_address)
            if mailbox_id not in self._mailboxes():
                # Another subscription's. No earlier task of this run can create it in ours (addresses are unique
                # on the platform), so it is refused in check mode too; the message says no more than that.
                raise InvalidInputError(str(self.grantee_missing(grantee_address, None).message),
                                        provider=self.name)
        return {'key': mailbox_id, 'address': self._address_of(mailbox_id)}

    def grantee_missing(self, grantee_address, owner):
        return NotFoundError('grantee %s is not a mailbox of subscription %s; refused'
                             % (grantee_address, self.subscription_id), provider=self.name, obj=owner)

    def set_permission(self, domain, name, grantee, permission, current):
        mailbox_id, obj = self._owner(domain, name, grantee)
        have, want = RIGHTS.get(current, frozenset()), RIGHTS[permission]
        for right in sorted(want - have):
            self._grant(mailbox_id, grantee['key'], right, obj)
        for right in sorted(have - want):
            self._revoke(mailbox_id, grantee['key'], right, obj)

    def revoke_permission(self, domain, name, grantee, current):
        mailbox_id, obj = self._owner(domain, name, grantee)
        for right in sorted(RIGHTS.get(current, ())):
            self._revoke(mailbox_id, grantee['key'], right, obj)

    def _owner(self, domain, name, grantee):
        owner = mailbox_address(name, domain)
        if grantee['key'] not in self._mailboxes():
            raise InvalidInputError('grantee %s is not a mailbox of subscription %s; refused'
                                    % (grantee['address'], self.subscription_id), provider=self.name, obj=owner)
        return self._mailbox_id(domain, name), 'permission of %s on %s' % (grantee['address'], owner)

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
        record = self.get_mailbox(domain, name, need=('activesync',))
        if record is None:
            raise self.not_found(domain, name)
        # Odin has no setup information to give, only the switch.
        return {'enabled': True} if record['activesync'] else None

    def set_activesync(self, domain, name, enabled):
        self._call('pem.exchange.modifyMailbox', {'mailbox_id': self._mailbox_id(domain, name), 'active_sync': enabled},
                   mailbox_address(name, domain), idempotent=True)
