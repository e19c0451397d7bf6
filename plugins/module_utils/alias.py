# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailbox_alias: reconcile the extra e-mail addresses of one mailbox."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import InvalidInputError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import mailbox_address
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome, assume_created_in_check_mode


def wanted_addresses(client, aliases):
    """Lower-cased, de-duplicated, in the order given; each checked as an address before any request."""
    seen = []
    for alias in aliases:
        address = client.check_address(alias, 'alias')
        if address not in seen:
            seen.append(address)
    return seen


def plan(client, domain, name, record, wanted, state, exclusive):
    """(to_add, to_remove, warnings) for one mailbox's aliases; refuses, before any write, what cannot be done."""
    address = mailbox_address(name, domain)
    primary, current = record['primary_address'], record['aliases']
    protected = set(client.protected_addresses(domain, name)) | set([primary])
    warnings = []
    if state == 'present':
        to_add = [alias for alias in wanted if alias not in current and alias != primary]
        for alias in to_add:
            client.check_alias_domain(domain, alias)
        to_remove = []
        if exclusive:
            kept = [alias for alias in current if alias not in wanted and alias in protected]
            if kept:
                warnings.append('%s kept on %s: provider %s finds the mailbox by it'
                                % (', '.join(kept), address, client.name))
            to_remove = [alias for alias in current if alias not in wanted and alias not in protected]
    else:
        refused = [alias for alias in wanted if alias in protected]
        if refused:
            raise InvalidInputError('%s cannot be removed: %s' % (', '.join(refused), 'it is the primary address'
                                    if refused == [primary] else 'the collection finds the mailbox by it'),
                                    provider=client.name, obj=address)
        to_add, to_remove = [], [alias for alias in wanted if alias in current]
    return to_add, to_remove, warnings


def run(client, params, check_mode):
    client.require_feature('alias', 'mailbox_alias')
    domain = client.check_domain(params['domain'])
    name = client.check_name(params['mailbox'])
    address = mailbox_address(name, domain)
    wanted = wanted_addresses(client, params['aliases'])
    if params['exclusive'] and params['state'] == 'absent':
        raise InvalidInputError('exclusive=true only applies to state=present')

    warnings = []
    record = client.get_mailbox(domain, name, need=('aliases', 'primary_address'))
    if record is None:
        assume_created_in_check_mode(check_mode, client.not_found(domain, name), warnings)
        record = {'primary_address': address, 'aliases': []}
    to_add, to_remove, notes = plan(client, domain, name, record, wanted, params['state'], params['exclusive'])
    warnings.extend(notes)
    primary, current = record['primary_address'], record['aliases']

    if not check_mode:
        for alias in to_add:
            client.add_alias(domain, name, alias)
        for alias in to_remove:
            client.remove_alias(domain, name, alias)
    after = sorted(set(current) - set(to_remove) | set(to_add))
    result = {'aliases': after, 'addresses': [primary] + after, 'added': to_add, 'removed': to_remove}
    return Outcome(bool(to_add or to_remove), result, {'aliases': current}, {'aliases': after},
                   'aliases of %s (%s)' % (address, client.name), warnings)
