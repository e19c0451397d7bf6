# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""exchange_mailbox: reconcile one mailbox with the task."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    InvalidInputError,
    NotSupportedError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import (
    MAILBOX_FIELDS,
    PASSWORD_AFTER,
    PASSWORD_BEFORE,
    changed_fields,
    mailbox_address,
    normalize,
    pick,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome

# Options that only shape how a provider creates a mailbox; never compared after creation.
CREATE_OPTIONS = ('login', 'service_user_id')


def desired_fields(params):
    return dict((field, params.get(field)) for field in MAILBOX_FIELDS if params.get(field) is not None)


def run(client, params, check_mode):
    client.reject_unsupported(params, list(MAILBOX_FIELDS) + list(CREATE_OPTIONS), client.mailbox_options)
    domain, name = params['domain'], params['name']
    address = mailbox_address(name, domain)
    if params.get('size') is not None and params['size'] <= 0:
        raise InvalidInputError('size must be a positive number of megabytes, not %s' % params['size'], obj=address)
    header = 'mailbox %s (%s)' % (address, client.name)
    before = client.get_mailbox(domain, name)

    if params['state'] == 'absent':
        if before is None:
            return Outcome(False, {'mailbox': {}}, {'state': 'absent'}, {'state': 'absent'}, header)
        if not check_mode:
            client.delete_mailbox(domain, name, before)
        return Outcome(True, {'mailbox': {}}, dict(pick(before, ('address', 'display_name')), state='present'),
                       {'state': 'absent'}, header)

    desired = desired_fields(params)
    password = params.get('password')
    if before is None:
        return _create(client, params, check_mode, desired, header)

    changes = changed_fields(before, desired)
    immutable = sorted(set(changes) & client.update_immutable)
    if immutable:
        raise NotSupportedError('cannot change %s of an existing mailbox' % ', '.join(immutable),
                                provider=client.name, obj=address)
    set_password = password if password and params['update_password'] == 'always' else None
    if set_password and not client.password_updatable:
        raise NotSupportedError('cannot change the password of an existing mailbox (use update_password=on_create)',
                                provider=client.name, obj=address)
    predicted = dict(before)
    for field, value in changes.items():
        predicted[field] = normalize(MAILBOX_FIELDS[field], value)
    changed = bool(changes) or set_password is not None
    mailbox = before
    if changed:
        mailbox = predicted
        if not check_mode:
            client.update_mailbox(domain, name, changes, set_password, before)
            mailbox = client.get_mailbox(domain, name) or predicted

    managed = sorted(desired)
    diff_before = dict(pick(before, managed), state='present')
    diff_after = dict(pick(predicted, managed), state='present')
    if set_password:
        diff_before['password'], diff_after['password'] = PASSWORD_BEFORE, PASSWORD_AFTER
    return Outcome(changed, {'mailbox': mailbox}, diff_before, diff_after, header)


def _create(client, params, check_mode, desired, header):
    domain, name = params['domain'], params['name']
    missing = [option for option in client.create_requires if params.get(option) in (None, '')]
    if missing:
        raise InvalidInputError('creating a mailbox needs %s' % ', '.join(missing),
                                provider=client.name, obj=mailbox_address(name, domain))
    create_options = dict((option, params.get(option)) for option in CREATE_OPTIONS if params.get(option) is not None)
    predicted = dict(desired, name=name, domain=domain, address=mailbox_address(name, domain))
    mailbox = predicted
    if not check_mode:
        client.create_mailbox(domain, name, dict(desired, **create_options), params.get('password'))
        mailbox = client.get_mailbox(domain, name) or predicted
    diff_after = dict(desired, state='present')
    if params.get('password'):
        diff_after['password'] = PASSWORD_AFTER
    return Outcome(True, {'mailbox': mailbox}, {'state': 'absent'}, diff_after, header)
