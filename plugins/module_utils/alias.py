# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailbox_alias: reconcile the extra e-mail addresses of one mailbox."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    InvalidInputError,
    NotFoundError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import mailbox_address
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome, assume_created_in_check_mode


def wanted_addresses(aliases):
    """Lower-cased, de-duplicated, in the order given; each must look like local@domain."""
    seen = []
    for alias in aliases:
        address = (alias or '').strip().lower()
        local, _sep, domain = address.partition('@')
        if not local or '.' not in domain or '@' in domain or ' ' in address:
            raise InvalidInputError('%r is not an e-mail address (expected local@domain)' % alias)
        if address not in seen:
            seen.append(address)
    return seen


def run(client, params, check_mode):
    client.require_feature('alias', 'mailbox_alias')
    domain, name = params['domain'], params['mailbox']
    address = mailbox_address(name, domain)
    wanted = wanted_addresses(params['aliases'])
    if params['exclusive'] and params['state'] == 'absent':
        raise InvalidInputError('exclusive=true only applies to state=present')

    warnings = []
    record = client.get_mailbox(domain, name)
    if record is None:
        assume_created_in_check_mode(check_mode, NotFoundError('mailbox does not exist', provider=client.name, obj=address),
                                     warnings)
        record = {'primary_address': address, 'aliases': []}
    primary, current = record['primary_address'], record['aliases']

    if params['state'] == 'present':
        to_add = [alias for alias in wanted if alias not in current and alias != primary]
        to_remove = [alias for alias in current if alias not in wanted] if params['exclusive'] else []
    else:
        if primary in wanted:
            raise InvalidInputError('%s is the primary address and cannot be removed' % primary,
                                    provider=client.name, obj=address)
        to_add, to_remove = [], [alias for alias in wanted if alias in current]

    if not check_mode:
        for alias in to_add:
            client.add_alias(domain, name, alias)
        for alias in to_remove:
            client.remove_alias(domain, name, alias)
    after = sorted(set(current) - set(to_remove) | set(to_add))
    result = {'aliases': after, 'addresses': [primary] + after, 'added': to_add, 'removed': to_remove}
    return Outcome(bool(to_add or to_remove), result, {'aliases': current}, {'aliases': after},
                   'aliases of %s (%s)' % (address, client.name), warnings)
