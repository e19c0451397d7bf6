# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailbox_alias: reconcile the extra e-mail addresses of one mailbox."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import InvalidInputError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import mailbox_address
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.plan import (
    Step,
    apply_steps,
    first_error,
    reconcile_list,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome, assume_created_in_check_mode


def wanted_addresses(client, aliases):
    """Lower-cased, de-duplicated, in the order given; each checked as an address before any request."""
    seen = []
    for alias in aliases:
        address = client.check_address(alias, 'alias')
        if address not in seen:
            seen.append(address)
    return seen


def plan(client, domain, name, record, wanted, state, exclusive, rows=()):
    """(steps, after, warnings) for one mailbox's aliases; refuses, before any write, what cannot be done.

    state=present adds what is missing (exclusive: and removes what wanted does not name); state=absent
    removes wanted. The primary address and the addresses the client finds the mailbox by are protected.
    """
    address = mailbox_address(name, domain)
    primary, current = record['primary_address'], record['aliases']
    protected = [primary] + [item for item in client.protected_addresses(domain, name) if item != primary]
    if state == 'present':
        wanted = [alias for alias in wanted if alias != primary]
        change = reconcile_list(current, add=wanted, exact=wanted if exclusive else None, protected=protected)
    else:
        change = reconcile_list(current, remove=wanted, protected=protected)
    if change.refused:
        raise InvalidInputError('%s cannot be removed: %s' % (', '.join(change.refused), 'it is the primary address'
                                if change.refused == [primary] else 'the collection finds the mailbox by it'),
                                provider=client.name, obj=address)
    for alias in change.to_add:
        client.check_alias_domain(domain, alias)
    warnings = []
    kept = [alias for alias in change.kept if alias in current]
    if kept:
        warnings.append('%s kept on %s: provider %s finds the mailbox by it' % (', '.join(kept), address, client.name))
    steps = [Step('alias_add', name, {'address': alias}, rows, shown={'address': alias}) for alias in change.to_add]
    steps += [Step('alias_remove', name, {'address': alias}, rows, takes_away=True, shown={'address': alias})
              for alias in change.to_remove]
    steps += [Step('alias_remove', name, {'address': alias}, rows, takes_away=True, prune='aliases',
                   shown={'address': alias}) for alias in change.pruned]
    return steps, sorted(change.after(current)), warnings


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
    steps, after, notes = plan(client, domain, name, record, wanted, params['state'], params['exclusive'])
    warnings.extend(notes)
    if not check_mode:
        apply_steps(client, domain, steps)
        first_error(steps)
    added = [step.data['address'] for step in steps if step.kind == 'alias_add']
    removed = [step.data['address'] for step in steps if step.kind == 'alias_remove']
    result = {'aliases': after, 'addresses': [record['primary_address']] + after, 'added': added, 'removed': removed}
    return Outcome(bool(steps), result, {'aliases': record['aliases']}, {'aliases': after},
                   'aliases of %s (%s)' % (address, client.name), warnings, steps=steps)
