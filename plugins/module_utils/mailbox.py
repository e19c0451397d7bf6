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
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.plan import Step, apply_steps, first_error
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


def which(record):
    """What tells this mailbox from another of the same name (one removed and created again): its provider id, or
    what the listing shows of it - so an approved removal never applies to a mailbox nobody reviewed."""
    return [record.get('mailbox_id'), record.get('display_name'), record.get('size')]


class MailboxPlan(object):
    """What one mailbox needs: its steps (none, one create, update, disable or remove), the record a real run
    leaves, the diff of only what the task manages, and what a person should know."""

    def __init__(self, steps, predicted, before, after, warnings=(), access_kept=None):
        self.steps, self.predicted, self.before, self.after = steps, predicted, before, after
        self.warnings = list(warnings)
        self.access_kept = access_kept


def plan_mailbox(client, domain, name, record, desired, state='present', create_options=None, password=None,
                 update_password='on_create', rows=()):
    """The plan that brings one mailbox from record (as read; None when absent) to the task's state.

    Used by exchange_mailbox and, per entry, by mailbox_roster: one set of rules and messages.
    """
    address = mailbox_address(name, domain)
    if state == 'absent':
        if record is None:
            return MailboxPlan([], {}, {'state': 'absent'}, {'state': 'absent'})
        # The mailbox's identity is in the plan (and its digest): an approved removal is of this mailbox only.
        step = Step('remove', name, {'before': record}, rows, takes_away=True, shown={'mailbox': which(record)})
        return MailboxPlan([step], {}, dict(pick(record, ('address', 'display_name')), state='present'),
                           {'state': 'absent'})
    if record is None:
        if state == 'disabled':
            raise NotFoundError('cannot disable it: the mailbox does not exist', provider=client.name, obj=address)
        return _plan_create(client, domain, name, desired, create_options or {}, password, rows)

    changes = changed_fields(record, desired)
    immutable = sorted(set(changes) & client.update_immutable)
    if immutable:
        raise NotSupportedError('cannot change %s of an existing mailbox' % ', '.join(immutable),
                                provider=client.name, obj=address)
    warnings, access_kept, kind = [], None, 'update'
    if state == 'disabled':
        cut = disable_plan(client, record, desired, address)
        changes.update(cut)
        desired = dict(desired, **client.disable_changes)
        kind = 'disable' if cut else kind
        access_kept = list(client.access_kept_when_disabled)
        if client.access_kept_when_disabled:
            warnings.append('%s: disabled as far as the %s API can; still possible: %s' % (
                address, client.name, '; '.join(client.access_kept_when_disabled)))
    set_password = password if password and update_password == 'always' else None
    if set_password and not client.password_updatable:
        raise NotSupportedError('cannot change the password of an existing mailbox (use update_password=on_create)',
                                provider=client.name, obj=address)
    predicted = dict(record)
    for field, value in changes.items():
        predicted[field] = normalize('bool' if field == 'activesync' else MAILBOX_FIELDS[field], value)
    steps = []
    if changes or set_password:
        shown_changes = dict((field, [record.get(field), predicted[field]]) for field in changes)
        if set_password:
            shown_changes['password'] = PASSWORD_AFTER
        steps.append(Step(kind, name, {'changes': changes, 'password': set_password, 'before': record}, rows,
                          takes_away=kind == 'disable', shown=shown_changes))
    managed = sorted(desired)
    diff_before = dict(pick(record, managed), state='present')
    diff_after = dict(pick(predicted, managed), state='disabled' if state == 'disabled' else 'present')
    if set_password:
        diff_before['password'], diff_after['password'] = PASSWORD_BEFORE, PASSWORD_AFTER
    return MailboxPlan(steps, predicted, diff_before, diff_after, warnings, access_kept)


def _plan_create(client, domain, name, desired, create_options, password, rows):
    fields = dict(desired, **create_options)
    missing = [option for option in client.create_requires
               if (password if option == 'password' else fields.get(option)) in (None, '')]
    if missing:
        raise InvalidInputError('creating a mailbox needs %s' % ', '.join(missing), provider=client.name,
                                obj=mailbox_address(name, domain))
    if password:
        client.check_password(password, name, domain, desired.get('display_name'))
    shown_fields = dict(fields)
    if password:
        shown_fields['password'] = PASSWORD_AFTER
    step = Step('create', name, {'fields': fields, 'password': password}, rows, shown=shown_fields)
    predicted = dict(desired, name=name, domain=domain, address=mailbox_address(name, domain))
    after = dict(desired, state='present')
    if password:
        after['password'] = PASSWORD_AFTER
    return MailboxPlan([step], predicted, {'state': 'absent'}, after)


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
    need = (set(MAILBOX_FIELDS) - COSTLY_FIELDS) | set(desired) | set(client.disable_changes)
    before = client.get_mailbox(domain, name, need=need)
    planned = plan_mailbox(client, domain, name, before, desired, params['state'], create_options_of(params),
                           password, params.get('update_password') or 'on_create')
    mailbox = planned.predicted
    if planned.steps and not check_mode:
        apply_steps(client, domain, planned.steps)
        first_error(planned.steps)
        if params['state'] != 'absent':
            mailbox = client.get_mailbox(domain, name, need=need) or planned.predicted
    elif before is not None and not planned.steps:
        mailbox = before
    result = {'mailbox': mailbox if params['state'] != 'absent' else {}}
    if planned.access_kept is not None:
        result['access_kept'] = planned.access_kept
    return Outcome(bool(planned.steps), result, planned.before, planned.after,
                   'mailbox %s (%s)' % (address, client.name), planned.warnings, steps=planned.steps)


def create_options_of(params):
    """The create-only options a task or entry sets (login, service_user_id)."""
    return dict((option, params[option]) for option in CREATE_OPTIONS if params.get(option) is not None)
