# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""exchange_mailbox: reconcile one mailbox with the task."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    InvalidInputError,
    NotFoundError,
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
    shown,
    values_equal,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome

# Options that only shape how a provider creates a mailbox; never compared after creation.
CREATE_OPTIONS = ('login', 'service_user_id')
# Fields whose reading costs a provider an extra request; read only when the task manages them.
COSTLY_FIELDS = frozenset(('forwarding_address',))
ADDRESS_OPTIONS = ('primary_address', 'forwarding_address')
CONTROL_CHARACTERS = re.compile(r'[\x00-\x1f\x7f]')


def mailbox_option_spec():
    """The argument spec of a mailbox's settings, shared by exchange_mailbox and mailbox_roster entries."""
    spec = dict((field, dict(type={'bool': 'bool', 'int': 'int'}.get(kind, 'str')))
                for field, kind in MAILBOX_FIELDS.items())
    spec.update(login=dict(type='str'), service_user_id=dict(type='int'))
    return spec


def desired_fields(params):
    return dict((field, params.get(field)) for field in MAILBOX_FIELDS if params.get(field) is not None)


def check_fields(client, fields, obj=None):
    """The static checks of a mailbox's options, made before any request: sizes, addresses and text."""
    size = fields.get('size')
    # bool is an int to Python (and to Ansible's int check): true is no size.
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
        raise InvalidInputError('size must be a positive number of megabytes, not %s' % shown(size), obj=obj)
    if size is not None and client.max_size_mb and size > client.max_size_mb:
        raise InvalidInputError('size %d MB is more than provider %s can carry (%d MB)'
                                % (size, client.name, client.max_size_mb), obj=obj)
    checked = dict(fields)
    for option, value in fields.items():
        if MAILBOX_FIELDS.get(option) == 'text' and isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise InvalidInputError('%s must not contain control characters (line breaks, tabs, NUL): %s'
                                    % (option, shown(value)), obj=obj)
    for option in ADDRESS_OPTIONS:
        # An empty forwarding address turns forwarding off.
        if fields.get(option):
            checked[option] = client.check_address(fields[option], option)
    return checked


def compare(field, current, wanted):
    """Whether a mailbox field (or the activesync switch of disable_changes) already has the wanted value."""
    if field == 'activesync':
        return normalize('bool', current) == normalize('bool', wanted)
    return values_equal(field, current, wanted)


def disable_plan(client, before, desired, obj):
    """The changes that cut access (the provider's disable_changes), checked against what the task also sets."""
    if not client.disable_changes:
        hint = (' - a new password nobody knows (update_password=always) is how to cut its login'
                if client.password_updatable else '')
        raise NotSupportedError('state=disabled is not supported by provider %s: its API cannot disable a mailbox or '
                                'switch its protocols off%s' % (client.name, hint), provider=client.name, obj=obj)
    clashing = sorted(field for field, value in client.disable_changes.items()
                      if field in desired and not compare(field, desired[field], value))
    if clashing:
        raise InvalidInputError('state=disabled sets %s; the task asks otherwise' % ', '.join(clashing),
                                provider=client.name, obj=obj)
    if before is None:
        return {}
    return dict((field, value) for field, value in sorted(client.disable_changes.items())
                if not compare(field, before.get(field), value))


def run(client, params, check_mode):
    domain = client.check_domain(params['domain'])
    name = client.check_name(params['name'])
    client.reject_unsupported(params, list(MAILBOX_FIELDS) + list(CREATE_OPTIONS), client.mailbox_options)
    address = mailbox_address(name, domain)
    desired = check_fields(client, desired_fields(params), address)
    password = params.get('password')
    if password and params['state'] != 'absent':
        client.check_password(password, name, domain, desired.get('display_name'))
    if params['state'] == 'disabled':
        disable_plan(client, None, desired, address)
    header = 'mailbox %s (%s)' % (address, client.name)
    need = (set(MAILBOX_FIELDS) - COSTLY_FIELDS) | set(desired) | set(client.disable_changes)
    before = client.get_mailbox(domain, name, need=need)

    if params['state'] == 'absent':
        if before is None:
            return Outcome(False, {'mailbox': {}}, {'state': 'absent'}, {'state': 'absent'}, header)
        if not check_mode:
            client.delete_mailbox(domain, name, before)
        return Outcome(True, {'mailbox': {}}, dict(pick(before, ('address', 'display_name')), state='present'),
                       {'state': 'absent'}, header)

    if before is None:
        if params['state'] == 'disabled':
            raise NotFoundError('cannot disable it: the mailbox does not exist', provider=client.name, obj=address)
        return _create(client, params, check_mode, desired, header, need)

    changes = changed_fields(before, desired)
    immutable = sorted(set(changes) & client.update_immutable)
    if immutable:
        raise NotSupportedError('cannot change %s of an existing mailbox' % ', '.join(immutable),
                                provider=client.name, obj=address)
    warnings = []
    result = {}
    if params['state'] == 'disabled':
        changes.update(disable_plan(client, before, desired, address))
        desired = dict(desired, **client.disable_changes)
        result['access_kept'] = list(client.access_kept_when_disabled)
        if client.access_kept_when_disabled:
            warnings.append('%s: disabled as far as the %s API can; still possible: %s' % (
                address, client.name, '; '.join(client.access_kept_when_disabled)))
    set_password = password if password and params['update_password'] == 'always' else None
    if set_password and not client.password_updatable:
        raise NotSupportedError('cannot change the password of an existing mailbox (use update_password=on_create)',
                                provider=client.name, obj=address)
    predicted = dict(before)
    for field, value in changes.items():
        predicted[field] = normalize('bool' if field == 'activesync' else MAILBOX_FIELDS[field], value)
    changed = bool(changes) or set_password is not None
    mailbox = before
    if changed:
        mailbox = predicted
        if not check_mode:
            client.update_mailbox(domain, name, changes, set_password, before)
            mailbox = client.get_mailbox(domain, name, need=need) or predicted

    managed = sorted(desired)
    state = 'disabled' if params['state'] == 'disabled' else 'present'
    diff_before = dict(pick(before, managed), state='present')
    diff_after = dict(pick(predicted, managed), state=state)
    if set_password:
        diff_before['password'], diff_after['password'] = PASSWORD_BEFORE, PASSWORD_AFTER
    result['mailbox'] = mailbox
    return Outcome(changed, result, diff_before, diff_after, header, warnings)


def _create(client, params, check_mode, desired, header, need):
    domain, name = client.check_domain(params['domain']), params['name']
    missing = [option for option in client.create_requires if params.get(option) in (None, '')]
    if missing:
        raise InvalidInputError('creating a mailbox needs %s' % ', '.join(missing),
                                provider=client.name, obj=mailbox_address(name, domain))
    create_options = dict((option, params.get(option)) for option in CREATE_OPTIONS if params.get(option) is not None)
    predicted = dict(desired, name=name, domain=domain, address=mailbox_address(name, domain))
    mailbox = predicted
    if not check_mode:
        client.create_mailbox(domain, name, dict(desired, **create_options), params.get('password'))
        mailbox = client.get_mailbox(domain, name, need=need) or predicted
    diff_after = dict(desired, state='present')
    if params.get('password'):
        diff_after['password'] = PASSWORD_AFTER
    return Outcome(True, {'mailbox': mailbox}, {'state': 'absent'}, diff_after, header)
