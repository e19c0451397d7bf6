# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The canonical model every provider client speaks, and the compare/diff helpers.

Option names here are the same for every provider; each client maps them to and from
its own field names and units.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import InvalidInputError

# Settable mailbox fields and how values compare. 'address' compares case-insensitively;
# 'text' treats "absent" and "" as the same (providers leave empty fields out of reads).
MAILBOX_FIELDS = {
    'display_name': 'text',
    'size': 'int',
    'enabled': 'bool',
    'hidden': 'bool',
    'public_folder_admin': 'bool',
    'directory_visible': 'bool',
    'forwarding_address': 'address',
    'save_forwarded_email': 'bool',
    'first_name': 'text',
    'last_name': 'text',
    'job_title': 'text',
    'company': 'text',
    'department': 'text',
    'business_phone': 'text',
    'home_phone': 'text',
    'mobile_phone': 'text',
    'fax': 'text',
    'pager': 'text',
    'street': 'text',
    'city': 'text',
    'state_province': 'text',
    'postal_code': 'text',
    'country': 'text',
    'notes': 'text',
    'custom_id': 'text',
    'primary_address': 'address',
    'owa': 'bool',
    'mapi': 'bool',
    'imap4': 'bool',
    'pop3': 'bool',
}

# The canonical fields of a full mailbox record: a provider leaves out the ones it cannot read (its client's
# ``unreadable``), never filling them with an empty or default value.
RECORD_FIELDS = tuple(sorted(list(MAILBOX_FIELDS) + ['aliases', 'activesync', 'current_usage']))

PERMISSIONS = ('full_access', 'send_as', 'both')
# Everything a mailbox_roster entry (an HR list row) may carry, on any provider.
ENTRY_OPTIONS = tuple(sorted(list(MAILBOX_FIELDS) + ['name', 'login', 'service_user_id', 'aliases', 'activesync']))
# A permission as the set of rights it carries, so "absent send_as" on "both" leaves full_access.
RIGHTS = {'full_access': frozenset(['full_access']), 'send_as': frozenset(['send_as']),
          'both': frozenset(['full_access', 'send_as'])}

# How a password shows in a diff: it cannot be read back, so only the fact of a change.
PASSWORD_BEFORE = '<hidden>'
PASSWORD_AFTER = '<changed>'


def normalize(kind, value):
    if kind == 'bool':
        if isinstance(value, str):
            return value.strip().lower() == 'true'
        return bool(value)
    if kind == 'int':
        if value is None or value == '':
            return None
        # A fractional read-back (Odin: KB that are not whole MB) must not compare equal to its truncation.
        if isinstance(value, float) and value != int(value):
            return value
        return int(value)
    if kind == 'address':
        return (value or '').strip().lower()
    return '' if value is None else value


def values_equal(field, current, wanted):
    kind = MAILBOX_FIELDS.get(field, 'text')
    return normalize(kind, current) == normalize(kind, wanted)


def changed_fields(before, desired):
    """The desired fields (non-None) whose value differs from before, in a stable order."""
    return dict((field, wanted) for field, wanted in sorted(desired.items())
                if wanted is not None and not values_equal(field, before.get(field), wanted))


# What may reach a URL or a payload as a name, a domain or an address (checked before any request).
# A mailbox name: letters, digits, ".", "_", "-"; starts with a letter or digit; no ".." and no
# trailing "." (so never "." or ".." as a path segment); at most 64 characters.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.)){0,62}[A-Za-z0-9_-]?$')
DOMAIN_LABEL = r'[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?'
DOMAIN_PATTERN = re.compile(r'^(?:%s\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$' % DOMAIN_LABEL)
# The local part of an address: a dot-atom without the characters that carry meaning in a URL (/ ? # %).
LOCAL_PART_PATTERN = re.compile(r"^[A-Za-z0-9!$&'*+=^_`{|}~-]+(?:\.[A-Za-z0-9!$&'*+=^_`{|}~-]+)*$")
MAX_DOMAIN_LENGTH = 253
MAX_LOCAL_PART_LENGTH = 64


def check_name(name, what='mailbox name', provider=None):
    """name unchanged if it is a valid mailbox name, else InvalidInputError (nothing is sent)."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or name.endswith('.'):
        raise InvalidInputError('invalid %s %s: use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter '
                                'or digit, without ".." or a final "."' % (what, shown(name)), provider=provider)
    return name


def check_domain(domain, provider=None):
    """The domain in lower case, if it is a valid domain name, else InvalidInputError."""
    lowered = domain.strip().lower() if isinstance(domain, str) else domain
    if not isinstance(lowered, str) or len(lowered) > MAX_DOMAIN_LENGTH or not DOMAIN_PATTERN.match(lowered):
        raise InvalidInputError('invalid domain %s: expected a domain name such as example.com' % shown(domain),
                                provider=provider)
    return lowered


def check_address(address, what='e-mail address', provider=None):
    """The address in lower case, if it is local@domain with a valid local part and domain, else InvalidInputError."""
    text = address.strip().lower() if isinstance(address, str) else ''
    local, sep, domain = text.rpartition('@')
    if (not sep or not local or len(local) > MAX_LOCAL_PART_LENGTH or not LOCAL_PART_PATTERN.match(local)
            or len(domain) > MAX_DOMAIN_LENGTH or not DOMAIN_PATTERN.match(domain)):
        raise InvalidInputError('invalid %s %s: expected local@domain (letters, digits and .!$&\'*+=^_`{|}~- '
                                'before the @)' % (what, shown(address)), provider=provider)
    return text


def shown(value):
    """A value quoted for an error message, cut short: never the whole of a huge input."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def mailbox_address(name, domain):
    return ('%s@%s' % (name, domain)).lower()


def split_address(address):
    name, _sep, domain = address.partition('@')
    return name, domain.lower()


def normalize_permission(value):
    """Map any provider or user spelling (fullAccess, SendAs, full_access...) to the canonical one."""
    key = (value or '').replace('_', '').replace('-', '').replace(' ', '').lower()
    return {'fullaccess': 'full_access', 'sendas': 'send_as', 'both': 'both'}.get(key, value)


def pick(record, keys):
    """The part of a canonical record named by keys, for a diff of only what a task manages."""
    return dict((key, record.get(key)) for key in keys)
