# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailbox_roster: reconcile a whole list of mailboxes of one domain in one task.

Reads are made at the floor: one listing of the domain (paged at the provider's maximum),
a detail read only of the listed mailboxes whose entry asks for more than the listing
carries, and each delegated mailbox's permission list once. A plan is computed from those
reads first; a real run then applies it entry by entry, so one entry the provider refuses
does not stop the others, and check mode reports exactly what the plan says.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.alias import plan as alias_plan
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    HostedExchangeError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    RetryExhaustedError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.mailbox import (
    CREATE_OPTIONS,
    check_fields,
    compare,
    desired_fields,
    disable_plan,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import (
    MAILBOX_FIELDS,
    PASSWORD_AFTER,
    changed_fields,
    mailbox_address,
    normalize,
    pick,
    split_address,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.permission import find_grant, wanted_permission
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome, assume_created_in_check_mode

# Failures that no other entry could escape: stop instead of paying for each entry again.
SYSTEMIC_ERRORS = (AuthError, RetryExhaustedError, UnknownScopeError)
UNLISTED_ACTIONS = ('ignore', 'report', 'disable', 'remove')


class Entry(object):
    """One listed mailbox: what it asks for, what was read, and the plan."""

    def __init__(self, spec):
        self.spec = spec
        self.name = spec.get('name')
        self.key = str(self.name).lower()
        self.desired = {}
        self.create_options = {}
        self.aliases = None  # the wanted aliases, when the entry manages them
        self.activesync = spec.get('activesync')
        self.before = None  # the mailbox as read; None when it is to be created
        self.exists = False
        self.changes = {}
        self.to_add, self.to_remove = [], []
        self.activesync_change = None
        self.error = None
        self.done = []  # the steps a real run completed, for the message when a later one fails
        self.to_create = False  # planned: the mailbox does not exist and this run creates it

    @property
    def need(self):
        """The canonical fields this entry compares (what a detail read must cover)."""
        need = set(self.desired)
        if self.aliases is not None:
            need.update(('aliases', 'primary_address'))
        if self.activesync is not None:
            need.add('activesync')
        return need

    @property
    def changed(self):
        return bool(not self.exists or self.changes or self.to_add or self.to_remove
                    or self.activesync_change is not None)


class Delegate(object):
    def __init__(self, spec, domain):
        self.spec = spec
        self.owner = spec.get('mailbox')
        self.grantee_text = spec.get('grantee')
        self.permission = spec.get('permission')
        self.state = spec.get('state') or 'present'
        self.domain = domain
        self.grantee_address = None
        self.label = 'delegate %s on %s' % (self.grantee_text, self.owner)
        self.error = None


def run(client, params, check_mode):
    domain = client.check_domain(params['domain'])
    unlisted = params['unlisted']
    entries = [Entry(spec) for spec in params['mailboxes'] or []]
    delegates = [Delegate(spec, domain) for spec in params['delegates'] or []]
    check_task(client, params, entries, delegates)
    for entry in entries:
        check_entry(client, params, domain, entry)
    for delegate in delegates:
        check_delegate(client, domain, delegate)

    listing = dict((record['name'].lower(), record) for record in client.domain_listing(domain))
    planned = Plan(client, params, domain, check_mode, listing)
    for entry in entries:
        planned.read_entry(entry)
    planned.read_delegates(delegates, entries)
    planned.read_unlisted(entries, delegates, unlisted)
    if not check_mode:
        planned.apply(entries, delegates)
    return planned.outcome(entries, delegates)


class PartlyDone(HostedExchangeError):
    """An entry's failure, saying what of it was done before (a created mailbox whose alias was refused)."""

    def __init__(self, done, error):
        prefix = '%s, then: ' % ', '.join(done) if done else ''
        super(PartlyDone, self).__init__(prefix + str(error))

    def __str__(self):
        return self.message


def identity(record):
    """What tells two records of one mailbox apart from others: the provider's id, else the name."""
    return record.get('mailbox_id') or str(record.get('name')).lower()


# --- checks made before any request ------------------------------------------------------------------


def check_task(client, params, entries, delegates):
    """What would fail every entry alike (the provider cannot honour an option): fail before any request."""
    unsupported = {}
    for entry in entries:
        for option in list(MAILBOX_FIELDS) + list(CREATE_OPTIONS):
            if entry.spec.get(option) is not None and option not in client.mailbox_options:
                unsupported.setdefault(option, []).append(str(entry.name))
        for option, feature in (('aliases', 'alias'), ('activesync', 'activesync')):
            if entry.spec.get(option) is not None and feature not in client.features:
                unsupported.setdefault(option, []).append(str(entry.name))
    if delegates and 'permission' not in client.features:
        unsupported['delegates'] = [delegate.label for delegate in delegates]
    if unsupported:
        raise NotSupportedError('not supported by provider %s: %s' % (client.name, '; '.join(
            '%s (%s)' % (option, ', '.join(names[:5]) + (' and %d more' % (len(names) - 5) if len(names) > 5 else ''))
            for option, names in sorted(unsupported.items()))))
    if params['unlisted'] in ('disable', 'remove') and not entries:
        raise InvalidInputError('unlisted=%s with an empty list of mailboxes would %s every mailbox of the domain; '
                                'refused (an empty HR export is more likely a mistake than an intent)'
                                % (params['unlisted'], params['unlisted']))
    if params['unlisted'] == 'disable' and not client.disable_changes:
        raise NotSupportedError('unlisted=disable is not supported by provider %s: its API cannot cut a mailbox\'s '
                                'access' % client.name)
    seen = {}
    for entry in entries:
        if entry.key in seen:
            raise InvalidInputError('mailbox %s is listed twice' % entry.name)
        seen[entry.key] = entry
    if params.get('password'):
        # Checked per mailbox to create once the listing is read; here only what does not depend on one.
        if not isinstance(params['password'], str) or not params['password'].strip():
            raise InvalidInputError('password must not be blank')


def check_entry(client, params, domain, entry):
    """Static checks of one entry; a bad entry fails alone and nothing is sent for it."""
    try:
        client.check_name(entry.name)
        address = mailbox_address(entry.name, domain)
        entry.desired = check_fields(client, desired_fields(entry.spec), address)
        entry.create_options = dict((option, entry.spec[option]) for option in CREATE_OPTIONS
                                    if entry.spec.get(option) is not None)
        if len(entry.create_options) > 1:
            raise InvalidInputError('login and service_user_id are mutually exclusive', obj=address)
        if entry.spec.get('aliases') is not None:
            entry.aliases = []
            for alias in entry.spec['aliases']:
                alias = client.check_address(alias, 'alias')
                if alias not in entry.aliases:
                    entry.aliases.append(alias)
    except HostedExchangeError as exc:
        entry.error = exc


def check_delegate(client, domain, delegate):
    try:
        delegate.owner = client.check_name(delegate.owner, 'delegated mailbox name')
        delegate.grantee_address = client.check_grantee(delegate.grantee_text, domain)
        if delegate.grantee_address == mailbox_address(delegate.owner, domain):
            raise InvalidInputError('a mailbox cannot be its own grantee', provider=client.name,
                                    obj=mailbox_address(delegate.owner, domain))
        if delegate.state == 'present' and not delegate.permission:
            raise InvalidInputError('permission is required with state=present', provider=client.name,
                                    obj=mailbox_address(delegate.owner, domain))
    except HostedExchangeError as exc:
        delegate.error = exc


# --- the plan ---------------------------------------------------------------------------------------


class Plan(object):
    def __init__(self, client, params, domain, check_mode, listing):
        self.client = client
        self.params = params
        self.domain = domain
        self.check_mode = check_mode
        self.listing = listing
        self.password = params.get('password')
        self.warnings = []
        self.stopped = None  # the systemic error that ended a real run early
        self.not_attempted = []
        self.owners = {}  # owner name (lower) -> {'permissions': [...], 'changes': [...]}
        self.unlisted = []
        self.unlisted_done = []
        self.unlisted_errors = {}
        self.unlisted_records = {}
        self.matched = set()  # identities of the listed mailboxes that entries name

    # reads

    def read_entry(self, entry):
        if entry.error is not None:
            return
        client, domain = self.client, self.domain
        address = mailbox_address(entry.name, domain)
        try:
            listed = self.listing.get(entry.key)
            if listed is not None:
                if entry.need <= client.listing_fields and client.listing_is_exchange_only:
                    entry.before = listed
                else:
                    entry.before = client.get_mailbox(domain, listed['name'], need=entry.need)
                    if entry.before is None:
                        raise InvalidInputError('the provider lists this name, but not as a hosted Exchange mailbox; '
                                                'it is left untouched', provider=client.name, obj=address)
            elif client.listing_may_miss_names:
                # The listing names a mailbox by its primary address; it may hold this name as another one.
                entry.before = client.get_mailbox(domain, entry.name, need=entry.need)
            entry.exists = entry.before is not None
            if entry.exists:
                self.matched.add(identity(entry.before))
                self._plan_update(entry, address)
            else:
                self._plan_create(entry, address)
        except SYSTEMIC_ERRORS:
            raise
        except HostedExchangeError as exc:
            entry.error = exc

    def _plan_update(self, entry, address):
        client, before = self.client, entry.before
        entry.changes = changed_fields(before, entry.desired)
        immutable = sorted(set(entry.changes) & client.update_immutable)
        if immutable:
            raise NotSupportedError('cannot change %s of an existing mailbox' % ', '.join(immutable),
                                    provider=client.name, obj=address)
        if entry.aliases is not None:
            entry.to_add, entry.to_remove, notes = alias_plan(
                client, self.domain, entry.name, dict(before, aliases=before.get('aliases') or []), entry.aliases,
                'present', self.params['exclusive_aliases'])
            self.warnings.extend(notes)
        if entry.activesync is not None and not compare('activesync', before.get('activesync'), entry.activesync):
            entry.activesync_change = entry.activesync

    def _plan_create(self, entry, address):
        client = self.client
        entry.to_create = True
        fields = dict(entry.desired, **entry.create_options)
        if self.password:
            fields['password'] = self.password
        missing = [option for option in client.create_requires if fields.get(option) in (None, '')]
        if missing:
            raise InvalidInputError('creating it needs %s' % ', '.join(missing), provider=client.name, obj=address)
        if self.password:
            client.check_password(self.password, entry.name, self.domain, entry.desired.get('display_name'))
        primary = entry.desired.get('primary_address') or address
        entry.to_add = [alias for alias in entry.aliases or [] if alias != primary]
        for alias in entry.to_add:
            client.check_alias_domain(self.domain, alias)
        if entry.activesync:
            entry.activesync_change = True

    def read_delegates(self, delegates, entries):
        """Each delegated mailbox's permission list, once; then what each delegate changes."""
        created = set(entry.key for entry in entries if entry.error is None and not entry.exists)
        mode = self.params['delegates_mode']
        exact = mode in ('exact', 'exclusive')
        for delegate in delegates:
            if delegate.error is not None:
                continue
            owner = delegate.owner.lower()
            try:
                state = self._owner_state(owner, created, delegate)
                state['delegates'].append(delegate)
                grantee_name, grantee_domain = split_address(delegate.grantee_address)
                to_create = grantee_domain == self.domain and grantee_name in created
                if to_create:
                    # Created by this run: it holds no grant yet, and it will exist when the grant is sent.
                    grantee, current = None, None
                else:
                    grantee, current = self._find_grant(state, delegate)
                    if grantee is None and delegate.state == 'present':
                        raise self.client.grantee_missing(delegate.grantee_address,
                                                          mailbox_address(delegate.owner, self.domain))
                wanted = wanted_permission(current, delegate.permission, delegate.state, exact)
                key = grantee['key'] if grantee else ('new', delegate.grantee_address)
                state['listed'].add(key)
                if wanted != current:
                    state['changes'].append({'grantee': grantee, 'address': grantee['address'] if grantee
                                             else delegate.grantee_address, 'grantee_name': grantee_name,
                                             'to_create': to_create, 'before': current, 'after': wanted,
                                             'delegate': delegate})
            except SYSTEMIC_ERRORS:
                raise
            except HostedExchangeError as exc:
                delegate.error = exc
        if mode == 'exclusive':
            for owner, state in self.owners.items():
                if any(delegate.error is not None for delegate in state['delegates']):
                    # Whom a failed delegate meant is unknown: revoking "everyone else" could hit them.
                    self.warnings.append('delegates_mode=exclusive: nothing revoked on %s, as a delegate of it failed'
                                         % mailbox_address(state['name'], self.domain))
                    continue
                for entry in state['permissions']:
                    if entry['key'] not in state['listed']:
                        state['changes'].append({'grantee': {'key': entry['key'], 'address': entry['grantee']},
                                                 'address': entry['grantee'], 'to_create': False,
                                                 'before': entry['permission'], 'after': None, 'delegate': None})

    def _find_grant(self, state, delegate):
        """find_grant, where a grantee in a domain the account does not have fails this delegate alone."""
        try:
            return find_grant(self.client, self.domain, state['permissions'], delegate.grantee_address)
        except UnknownScopeError as exc:
            raise InvalidInputError('grantee %s: %s' % (delegate.grantee_address, exc.message),
                                    provider=self.client.name, obj=mailbox_address(delegate.owner, self.domain))

    def _owner_state(self, owner, created, delegate):
        if owner not in self.owners:
            missing = NotFoundError('mailbox %s does not exist and is not in the list' % owner,
                                    provider=self.client.name, obj=mailbox_address(owner, self.domain))
            if owner in created:
                permissions = []
            elif owner in self.listing:
                permissions = self.client.get_permissions(self.domain, self.listing[owner]['name'])
            elif delegate.state == 'absent':
                raise missing  # a revoke on a mailbox that is not there is a typo: the same in both modes
            else:
                # Like the other modules: in check mode, an earlier task of the same run may create it.
                assume_created_in_check_mode(self.check_mode, missing, self.warnings)
                permissions = []
            self.owners[owner] = {'permissions': permissions, 'changes': [], 'listed': set(), 'delegates': [],
                                  'name': self.listing[owner]['name'] if owner in self.listing else owner}
        return self.owners[owner]

    def read_unlisted(self, entries, delegates, action):
        if action == 'ignore':
            return
        known = set(entry.key for entry in entries)
        for delegate in delegates:
            known.add(str(delegate.owner).lower())
            if delegate.grantee_address:
                grantee_name, grantee_domain = split_address(delegate.grantee_address)
                if grantee_domain == self.domain:
                    known.add(grantee_name)
        keep = [pattern.lower() for pattern in self.params.get('unlisted_keep') or []]
        for key, record in sorted(self.listing.items()):
            if key in known or identity(record) in self.matched or any(fnmatch.fnmatchcase(key, pattern)
                                                                       for pattern in keep):
                continue
            if action == 'disable' or not self.client.listing_is_exchange_only:
                need = set(self.client.disable_changes) if action == 'disable' else set()
                found = self.client.get_mailbox(self.domain, record['name'], need=need)
                if found is None:
                    continue  # listed, but not a hosted Exchange mailbox (or gone since)
                record = found
            if action == 'disable':
                changes = disable_plan(self.client, record, {}, mailbox_address(record['name'], self.domain))
                if not changes:
                    continue
                self.unlisted_records[record['name']] = (record, changes)
            self.unlisted.append(record['name'])

    # writes

    def apply(self, entries, delegates):
        for entry in entries:
            if entry.error is not None or not entry.changed:
                continue
            if self.stopped is not None:
                self.not_attempted.append(entry.name)
                continue
            try:
                self._apply_entry(entry)
            except SYSTEMIC_ERRORS as exc:
                entry.error = PartlyDone(entry.done, exc)
                self.stopped = exc
            except HostedExchangeError as exc:
                entry.error = PartlyDone(entry.done, exc)
        failed_creates = set(entry.key for entry in entries if entry.error is not None and entry.to_create
                             and 'created' not in entry.done)
        for owner, state in sorted(self.owners.items()):
            for change in state['changes']:
                delegate = change['delegate']
                if self.stopped is not None:
                    self.not_attempted.append(delegate.label if delegate else 'revoke of %s on %s'
                                              % (change['address'], owner))
                    continue
                try:
                    self._apply_delegate(owner, state, change, failed_creates)
                except SYSTEMIC_ERRORS as exc:
                    self._delegate_failed(change, exc)
                    self.stopped = exc
                except HostedExchangeError as exc:
                    self._delegate_failed(change, exc)
        self._apply_unlisted()

    def _apply_entry(self, entry):
        client, domain, name = self.client, self.domain, entry.before['name'] if entry.exists else entry.name
        to_add, activesync = entry.to_add, entry.activesync_change
        if not entry.exists:
            fields = dict(entry.desired, **entry.create_options)
            # Where the create itself can carry aliases and ActiveSync, it does: one write instead of several.
            if 'aliases' in client.create_sets and to_add:
                fields['aliases'], to_add = list(to_add), []
            if 'activesync' in client.create_sets and activesync:
                fields['activesync'], activesync = True, None
            client.create_mailbox(domain, name, fields, self.password)
            entry.done.append('created')
        elif entry.changes:
            client.update_mailbox(domain, name, entry.changes, None, entry.before)
            entry.done.append('updated %s' % ', '.join(sorted(entry.changes)))
        for alias in to_add:
            client.add_alias(domain, name, alias)
            entry.done.append('added %s' % alias)
        for alias in entry.to_remove:
            client.remove_alias(domain, name, alias)
            entry.done.append('removed %s' % alias)
        if activesync is not None:
            client.set_activesync(domain, name, activesync)

    def _apply_delegate(self, owner, state, change, failed_creates):
        if change['to_create'] and change['grantee_name'] in failed_creates:
            raise InvalidInputError('not granted: the grantee could not be created', provider=self.client.name)
        if owner in failed_creates:
            raise InvalidInputError('not granted: the mailbox could not be created', provider=self.client.name)
        grantee = change['grantee']
        if grantee is None:
            grantee = self.client.resolve_grantee(self.domain, change['address'])
            if grantee is None:
                raise self.client.grantee_missing(change['address'], mailbox_address(state['name'], self.domain))
        if change['after'] is None:
            self.client.revoke_permission(self.domain, state['name'], grantee, change['before'])
        else:
            self.client.set_permission(self.domain, state['name'], grantee, change['after'], change['before'])

    @staticmethod
    def _delegate_failed(change, exc):
        if change['delegate'] is not None:
            change['delegate'].error = exc
        change['error'] = exc

    def _apply_unlisted(self):
        action = self.params['unlisted']
        if action not in ('disable', 'remove'):
            return
        for name in self.unlisted:
            if self.stopped is not None:
                self.not_attempted.append(name)
                continue
            try:
                if action == 'remove':
                    self.client.delete_mailbox(self.domain, name, self.listing.get(name.lower(), {}))
                else:
                    # As exchange_mailbox state=disabled: disable_changes are mailbox changes, one update.
                    record, changes = self.unlisted_records[name]
                    self.client.update_mailbox(self.domain, name, changes, None, record)
                self.unlisted_done.append(name)
            except SYSTEMIC_ERRORS as exc:
                self.unlisted_errors[name] = exc
                self.stopped = exc
            except HostedExchangeError as exc:
                self.unlisted_errors[name] = exc

    # the result

    def outcome(self, entries, delegates):
        result = {'domain': self.domain, 'provider': self.client.name, 'created': [], 'updated': [], 'unchanged': [],
                  'failed_entries': [], 'errors': {}, 'changes': {}, 'delegates': [], 'unlisted': list(self.unlisted),
                  'not_attempted': list(self.not_attempted)}
        diffs = []
        for entry in entries:
            if entry.error is not None:
                result['failed_entries'].append(str(entry.name))
                result['errors'][str(entry.name)] = str(entry.error)
                if entry.done:
                    # Part of it was done before a later step failed: say so where a person counts changes.
                    result['created' if 'created' in entry.done else 'updated'].append(entry.name)
                continue
            if str(entry.name) in self.not_attempted:
                continue
            if not entry.changed:
                result['unchanged'].append(entry.name)
                continue
            result['created' if not entry.exists else 'updated'].append(entry.name)
            before, after = self._entry_diff(entry)
            result['changes'][entry.name] = {'before': before, 'after': after}
            diffs.append(self._diff('mailbox', entry.name, before, after))
        for owner, state in sorted(self.owners.items()):
            before, after = {}, {}
            for change in state['changes']:
                if change.get('error') is not None or (change['delegate'] and change['delegate'].error is not None):
                    continue
                before[change['address']] = change['before']
                after[change['address']] = change['after']
                result['delegates'].append({'mailbox': state['name'], 'grantee': change['address'],
                                            'before': change['before'], 'after': change['after']})
            if before:
                result['changes'].setdefault(state['name'], {'before': {}, 'after': {}})
                result['changes'][state['name']]['before']['delegates'] = before
                result['changes'][state['name']]['after']['delegates'] = after
                diffs.append(self._diff('permissions on', state['name'], {'delegates': before},
                                        {'delegates': after}))
        for delegate in delegates:
            if delegate.error is not None:
                result['failed_entries'].append(delegate.label)
                result['errors'][delegate.label] = str(delegate.error)
        self._unlisted_outcome(result, diffs)
        changed = bool(result['created'] or result['updated'] or result['delegates'] or result.get('disabled')
                       or result.get('removed'))
        outcome = Outcome(changed, result, warnings=self.warnings, failure=self._failure(result))
        outcome.diff = diffs
        return outcome

    def _entry_diff(self, entry):
        managed = sorted(entry.desired)
        if not entry.exists:
            before = {'state': 'absent'}
            after = dict(entry.desired, state='present')
            if self.password:
                after['password'] = PASSWORD_AFTER
        else:
            predicted = dict(entry.before)
            for field, value in entry.changes.items():
                predicted[field] = normalize(MAILBOX_FIELDS[field], value)
            before = dict(pick(entry.before, managed), state='present')
            after = dict(pick(predicted, managed), state='present')
        if entry.aliases is not None:
            current = sorted((entry.before or {}).get('aliases') or [])
            before['aliases'] = current if entry.exists else []
            after['aliases'] = sorted(set(before['aliases']) - set(entry.to_remove) | set(entry.to_add))
        if entry.activesync is not None:
            before['activesync'] = bool((entry.before or {}).get('activesync'))
            after['activesync'] = bool(entry.activesync)
        return before, after

    def _diff(self, what, name, before, after):
        header = '%s %s (%s)' % (what, mailbox_address(name, self.domain), self.client.name)
        return {'before': before, 'after': after, 'before_header': header, 'after_header': header}

    def _unlisted_outcome(self, result, diffs):
        action = self.params['unlisted']
        result['unlisted_action'] = action
        if action not in ('disable', 'remove'):
            return
        key = 'disabled' if action == 'disable' else 'removed'
        done = self.unlisted if self.check_mode else self.unlisted_done
        result[key] = list(done)
        for name in done:
            if action == 'remove':
                before, after = {'state': 'present'}, {'state': 'absent'}
            else:
                record, changes = self.unlisted_records[name]
                before = dict(pick(record, sorted(changes)), state='present')
                after = dict(changes, state='disabled')
            result['changes'][name] = {'before': before, 'after': after}
            diffs.append(self._diff('mailbox', name, before, after))
        for name, exc in sorted(self.unlisted_errors.items()):
            result['failed_entries'].append(name)
            result['errors'][name] = str(exc)

    def _failure(self, result):
        if not result['failed_entries'] and not self.stopped:
            return None
        lines = ['%s: %s' % (name, result['errors'].get(name, '')) for name in result['failed_entries']]
        text = '%d of the roster\'s entries failed: %s' % (len(result['failed_entries']), '; '.join(lines))
        if self.stopped is not None:
            text += ' - stopped early, %d not attempted: %s' % (len(self.not_attempted),
                                                                ', '.join(str(item) for item in self.not_attempted))
        return text
