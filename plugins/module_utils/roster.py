# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailbox_roster: reconcile a whole list of mailboxes of one domain in one task.

Reads are made at the floor: one listing of the domain (paged at the provider's maximum), a detail
read only of the listed mailboxes whose row asks for more than the listing carries, and each
delegated mailbox's permission list once. From those reads the plan is made - typed steps from the
same single-mailbox planners exchange_mailbox, mailbox_alias and mailbox_permission use - and
checked as a whole before anything is sent:

- rows that claim one address twice, or an address another mailbox holds and the plan does not
  release, fail (in check mode too);
- whatever the plan takes away (unlisted mailboxes disabled or removed, aliases and grants the list
  no longer names, revokes) is held back unless every row is valid and the prunes stay within
  prune_limit: a row that failed may have meant what would be taken away;
- a real run given the digest of an approved plan applies only that plan.

A real run then applies the steps in the safe order (releases, creates and updates, claims, grants,
what is taken away last), one loop for all; one row the provider refuses does not stop the others.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import json
import re

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.activesync import activesync_step
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.alias import plan as alias_plan
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    HostedExchangeError,
    InvalidInputError,
    NotFoundError,
    NotSupportedError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.mailbox import (
    CREATE_OPTIONS,
    check_fields,
    compare,
    create_options_of,
    desired_fields,
    plan_mailbox,
    which,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import NAME_PATTERN
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import (
    MAILBOX_FIELDS,
    RIGHTS,
    mailbox_address,
    pick,
    shown,
    split_address,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.permission import (
    find_grant,
    from_rights,
    grant_step,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.plan import (
    SYSTEMIC_ERRORS,
    Step,
    allowed,
    apply_steps,
    digest,
    hold,
    ordered,
    parse_limit,
    reconcile_list,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome, assume_created_in_check_mode

UNLISTED_ACTIONS = ('ignore', 'report', 'disable', 'remove')
KEEP_PATTERN = re.compile(r'^[A-Za-z0-9._*?\[\]!-]{1,64}$')
DIGEST_PATTERN = re.compile(r'^sha256:[0-9a-f]{64}$')
# What a plan prunes, by kind, and what it is counted against for prune_limit.
PRUNE_BASES = {'mailboxes': "the domain's %d mailboxes", 'aliases': 'the %d aliases of the listed mailboxes',
               'grants': 'the %d grants on the delegated mailboxes'}


class Row(object):
    """One row of the input: its label in results and errors, and its one error."""

    def __init__(self, label):
        self.label = label
        self.error = None

    def fail(self, error):
        if self.error is None:
            self.error = error


class Entry(Row):
    """A row of mailboxes: what it asks for, what was read, its plan."""

    def __init__(self, spec, label):
        super(Entry, self).__init__(label)
        self.spec = spec
        self.name = spec.get('name')
        self.key = str(self.name).lower()
        self.desired = {}
        self.aliases = None  # the wanted aliases, when the row manages them
        self.activesync = spec.get('activesync')
        self.before = None  # the mailbox as read; None when it is to be created
        self.planned = None  # its MailboxPlan
        self.steps = []
        self.claims = []  # addresses it takes: its own when created, a new primary, aliases it adds

    @property
    def need(self):
        """The canonical fields this row compares (what a detail read must cover)."""
        need = set(self.desired)
        if self.aliases is not None:
            need.update(('aliases', 'primary_address'))
        if self.activesync is not None:
            need.add('activesync')
        return need

    @property
    def to_create(self):
        return any(step.kind == 'create' for step in self.steps)


class Delegate(Row):
    def __init__(self, spec):
        super(Delegate, self).__init__('delegate %s on %s' % (spec.get('grantee'), spec.get('mailbox')))
        self.owner = spec.get('mailbox')
        self.grantee_text = spec.get('grantee')
        self.permission = spec.get('permission')
        self.state = spec.get('state') or 'present'
        self.grantee_address = None


def run(client, params, check_mode):
    domain = client.check_domain(params['domain'])
    roster = Roster(client, params, domain, check_mode)
    roster.check_task()
    roster.check_rows()
    roster.take_batch()
    roster.plan()
    roster.guard()
    stale = roster.stale_plan()
    if stale is None and not check_mode:
        roster.stopped = apply_steps(client, domain, roster.steps)
    return roster.outcome(stale)


def model_name_ok(name):
    return bool(NAME_PATTERN.match(name)) and not name.endswith('.')


def identity(record):
    """What tells two records of one mailbox apart from others: the provider's id, else the name."""
    return record.get('mailbox_id') or str(record.get('name')).lower()


class Roster(object):
    def __init__(self, client, params, domain, check_mode):
        self.client, self.params, self.domain, self.check_mode = client, params, domain, check_mode
        self.password = params.get('password')
        self.entries = []
        seen = {}
        for number, spec in enumerate(params['mailboxes'] or [], 1):
            key = str(spec.get('name')).lower()
            # A second row of one name gets a label of its own, so both show among the rows at fault.
            label = str(spec.get('name')) if key not in seen else '%s (row %d)' % (spec.get('name'), number)
            seen.setdefault(key, []).append(number)
            self.entries.append(Entry(spec, label))
        self.repeated = dict((key, rows) for key, rows in seen.items() if len(rows) > 1)
        self.listed_keys = set(seen)  # every row's name, in this batch or not
        self.delegates = [Delegate(spec) for spec in params['delegates'] or []]
        self.all_delegates = self.delegates  # in every batch: whom they name counts as listed
        self.all_entries = self.entries
        self.batched = False  # one batch of several: only that batch's rows are planned
        self.unlisted_action = params['unlisted']
        self.other_faults = []  # rows of other batches that failed their checks
        # How much per-mailbox detail (diffs, plan lines) the result carries: a looped task's result holds every
        # batch's, so the batches share DETAIL_LIMIT, the first ones first.
        self.detail_limit = DETAIL_LIMIT
        # This task's share of the list (mine, all): with batch, the loop's result adds the batches' up, so each
        # gets its share of the result's budgets.
        self.share = (1, 1)
        self.listing = {}
        self.owners = {}  # owner name (lower) -> its grants and the rows that name them
        self.steps = []
        self.unlisted = []
        self.unlisted_steps = []
        self.digest = None
        self.matched = set()  # identities of the listed mailboxes that rows name
        self.delegated = set()  # identities of existing grantees a valid delegate row names
        self.confirmed = set()  # identities of the mailboxes read and found (hosted Exchange ones)
        self.warnings = []
        self.held_because = None
        self.stopped = None

    @property
    def rows(self):
        return self.entries + self.delegates

    # --- checks made before any request ---------------------------------------------------------

    def check_task(self):
        """What would fail every row alike (the provider cannot honour an option): fail before any request."""
        client, params = self.client, self.params
        # The provider's own refusal (as exchange_mailbox and the other modules give it), once per option, naming
        # the rows that set it.
        refused = {}
        for entry in self.entries:
            for names, supported in ((list(MAILBOX_FIELDS) + list(CREATE_OPTIONS), client.mailbox_options),
                                     (['aliases', 'activesync'], [option for option, feature in (
                                         ('aliases', 'alias'), ('activesync', 'activesync')) if feature in client.features])):
                for name in names:
                    try:
                        client.reject_unsupported(entry.spec, [name], supported)
                    except NotSupportedError as exc:
                        refused.setdefault(exc.message, []).append(str(entry.name))
        if self.delegates:
            try:
                client.require_feature('permission', 'delegates (mailbox_permission)')
            except NotSupportedError as exc:
                refused[exc.message] = [delegate.label for delegate in self.delegates]
        if refused:
            raise NotSupportedError('; '.join('%s (%s)' % (message, ', '.join(names[:5]) + (
                ' and %d more' % (len(names) - 5) if len(names) > 5 else '')) for message, names in sorted(refused.items())))
        if params['unlisted'] in ('disable', 'remove') and not self.entries:
            raise InvalidInputError('unlisted=%s with an empty list of mailboxes would %s every mailbox of the domain; '
                                    'refused (an empty HR export is more likely a mistake than an intent)'
                                    % (params['unlisted'], params['unlisted']))
        if params['unlisted'] == 'disable' and not client.disable_changes:
            raise NotSupportedError('unlisted=disable is not supported by provider %s: its API cannot cut a mailbox\'s '
                                    'access' % client.name)
        if self.password is not None and (not isinstance(self.password, str) or not self.password.strip()):
            raise InvalidInputError('password must not be blank')
        parse_limit(params['prune_limit'])
        for pattern in params.get('unlisted_keep') or []:
            # A stray space or a typo would protect nobody, silently: refused like an invalid row.
            if not isinstance(pattern, str) or not KEEP_PATTERN.match(pattern):
                raise InvalidInputError('unlisted_keep: %s is not a mailbox name or a shell-style pattern of one '
                                        '(letters, digits, ".", "_", "-" and * ? [ ] !)' % shown(pattern))
        if params.get('plan_digest') is not None and not DIGEST_PATTERN.match(params['plan_digest']):
            raise InvalidInputError('plan_digest must be the plan_digest of a check run (sha256: and 64 hex digits), '
                                    'not %s; leave it out to apply without an approved plan' % shown(params['plan_digest']))
        batch = params.get('batch')
        if batch:
            pruning = [option for option, prunes in (
                ('unlisted=%s' % params['unlisted'], params['unlisted'] in ('disable', 'remove')),
                ('exclusive_aliases', params['exclusive_aliases']),
                ('delegates_mode=exclusive', params['delegates_mode'] == 'exclusive')) if prunes]
            if pruning:
                raise InvalidInputError('batch with %s: what a list no longer names is judged on the whole list, in one '
                                        'task without batch' % ', '.join(pruning))
            count = max(1, -(-len(self.entries) // batch['size'])) if batch['size'] > 0 else 0
            if batch['size'] < 1 or not 1 <= batch['number'] <= count:
                raise InvalidInputError('batch needs a size of at least 1 and a number from 1 to %d (the list has %d '
                                        'rows), not %r' % (max(count, 1), len(self.entries), dict(batch)))

    def check_rows(self):
        """Static checks of every row, then the addresses rows claim twice: a bad row fails alone, nothing is sent for it."""
        client, domain = self.client, self.domain
        for entry in self.entries:
            try:
                if entry.key in self.repeated:
                    raise InvalidInputError('listed %d times (rows %s): which one is meant is unknown'
                                            % (len(self.repeated[entry.key]),
                                               ', '.join(str(row) for row in self.repeated[entry.key])),
                                            provider=client.name, obj=mailbox_address(entry.name, domain))
                client.check_name(entry.name)
                address = mailbox_address(entry.name, domain)
                entry.desired = check_fields(client, desired_fields(entry.spec), address)
                if len(create_options_of(entry.spec)) > 1:
                    raise InvalidInputError('login and service_user_id are mutually exclusive', obj=address)
                if entry.spec.get('aliases') is not None:
                    entry.aliases = []
                    for alias in entry.spec['aliases']:
                        alias = client.check_address(alias, 'alias')
                        if alias not in entry.aliases:
                            entry.aliases.append(alias)
            except HostedExchangeError as exc:
                entry.fail(exc)
        for delegate in self.delegates:
            try:
                delegate.owner = client.check_name(delegate.owner, 'delegated mailbox name')
                delegate.grantee_address = client.check_grantee(delegate.grantee_text, domain)
                owner = mailbox_address(delegate.owner, domain)
                if delegate.grantee_address == owner:
                    raise InvalidInputError('a mailbox cannot be its own grantee', provider=client.name, obj=owner)
                if delegate.state == 'present' and not delegate.permission:
                    raise InvalidInputError('permission is required with state=present', provider=client.name,
                                            obj=owner)
            except HostedExchangeError as exc:
                delegate.fail(exc)
        self._claimed_twice()

    def _claimed_twice(self):
        """An address two rows claim (one's address as another's alias, one alias on two rows) fails both. A row at
        fault still claims what it names: which of the two is meant is unknown either way."""
        claims = {}
        for entry in self.entries:
            addresses = set(entry.aliases or self._addresses_in(entry.spec.get('aliases')))
            if entry.error is None or isinstance(entry.name, str) and model_name_ok(entry.name):
                addresses.add(mailbox_address(entry.name, self.domain))
            primary = entry.desired.get('primary_address') or self._addresses_in([entry.spec.get('primary_address')])
            addresses.update([primary] if isinstance(primary, str) else primary)
            for address in addresses:
                claims.setdefault(address, []).append(entry)
        for address, entries in sorted(claims.items()):
            if len(entries) > 1:
                for entry in entries:
                    entry.fail(InvalidInputError('%s is claimed by more than one row (%s)' % (
                        address, ', '.join(other.label for other in entries)), provider=self.client.name,
                        obj=mailbox_address(entry.name, self.domain)))

    def _addresses_in(self, values):
        """The valid addresses among values (of a row at fault, whose own checks stopped early)."""
        found = []
        for value in values or ():
            try:
                found.append(self.client.check_address(value, 'alias'))
            except (InvalidInputError, AttributeError, TypeError):
                pass
        return found

    def take_batch(self):
        """With batch: only its rows are read, planned and reported (the whole list was checked across rows above).
        A delegate goes with the later of its mailbox's and its grantee's rows (the first batch when neither is a
        row); with a batch, whatever would be taken away is held (other batches' rows are not planned here); mailboxes
        nobody
        lists are reported by the last batch only."""
        batch = self.params.get('batch')
        if not batch:
            return
        first = (batch['number'] - 1) * batch['size']
        mine = self.entries[first:first + batch['size']]
        self.detail_limit = max(0, DETAIL_LIMIT - first)
        self.share = (len(mine), max(1, len(self.entries)))
        batch_of = dict((entry.key, index // batch['size'] + 1) for index, entry in enumerate(self.entries))

        def belongs(delegate):
            # With the later of its mailbox's and its grantee's rows: both exist by then.
            names = [str(delegate.owner).lower()] + self._local_part(delegate.grantee_address)
            return max([batch_of.get(name, 1) for name in names]) == batch['number']

        self.other_faults = [row.label for row in self.entries if row.error is not None and row not in mine]
        self.other_faults += [row.label for row in self.delegates if row.error is not None and not belongs(row)]
        last = first + batch['size'] >= len(self.entries)
        self.entries = mine
        self.delegates = [delegate for delegate in self.delegates if belongs(delegate)]
        self.batched = len(self.all_entries) > batch['size']
        if not last and self.params['unlisted'] == 'report':
            self.params = dict(self.params, unlisted='ignore')  # the last batch reports them

    # --- reads and the plan --------------------------------------------------------------------

    def plan(self):
        client = self.client
        self.listing = dict((record['name'].lower(), record) for record in client.domain_listing(self.domain))
        # Other names a listed mailbox may be found by (Odin: its Exchange alias), to its listing key.
        self.other_names = dict((name.lower(), key) for key, record in self.listing.items()
                                for name in record.get('names') or () if name.lower() not in self.listing)
        for entry in self.entries:
            self._planned(entry, self._plan_entry)
        self._one_row_per_mailbox()
        self._claims_held_elsewhere()
        self._plan_delegates()
        self._plan_unlisted()
        for entry in self.entries:
            if entry.error is not None:
                entry.steps = []  # a row at fault sends nothing
        self.steps = [step for entry in self.entries for step in entry.steps]
        for state in self.owners.values():
            self.steps.extend(state['steps'])
        self.steps.extend(self.unlisted_steps)
        for step in self.steps:
            # What a step that serves no row is called where rows are named (an unlisted mailbox, a pruned grant).
            step.label = step.rows[0] if step.rows else step.mailbox if step.kind in ('disable', 'remove') else \
                'revoke of %s on %s' % (step.data['address'], step.mailbox)

    def _planned(self, row, planner):
        try:
            planner(row)
        except SYSTEMIC_ERRORS:
            raise
        except HostedExchangeError as exc:
            row.fail(exc)

    def _plan_entry(self, entry):
        if entry.error is not None:
            return
        client, domain = self.client, self.domain
        address = mailbox_address(entry.name, domain)
        listed = self.listing.get(entry.key)
        if listed is not None:
            if entry.need <= client.listing_fields and client.listing_is_exchange_only:
                entry.before = listed
            else:
                entry.before = client.get_mailbox(domain, listed['name'], need=entry.need)
                if entry.before is None:
                    raise InvalidInputError('the provider lists this name, but not as a hosted Exchange mailbox; '
                                            'it is left untouched', provider=client.name, obj=address)
        elif client.listing_may_miss_names or entry.key in self.other_names:
            # The listing names a mailbox by its primary address; it may hold this name as another one.
            entry.before = client.get_mailbox(domain, entry.name, need=entry.need)
            if entry.before is None and entry.key in self.other_names:
                raise InvalidInputError('the name is taken: mailbox %s holds it (its Exchange alias), so no new mailbox '
                                        'can have it' % self.other_names[entry.key], provider=client.name, obj=address)
        name = entry.before['name'] if entry.before is not None else entry.name
        if entry.before is not None:
            self.matched.add(identity(entry.before))
            self.confirmed.add(identity(entry.before))
        rows = [entry.label]
        entry.planned = plan_mailbox(client, domain, name, entry.before, entry.desired, 'present',
                                     create_options_of(entry.spec), self.password if entry.before is None else None,
                                     rows=rows)
        entry.steps = list(entry.planned.steps)
        first = entry.steps[0] if entry.steps else None
        create = first if first is not None and first.kind == 'create' else None
        if create is not None:
            entry.claims.append((address, create))
        primary = entry.desired.get('primary_address')
        if primary and first is not None and (create is not None or 'primary_address' in first.data['changes']):
            entry.claims.append((primary, first))
        if entry.aliases is not None:
            record = entry.before or {'primary_address': primary or address, 'aliases': []}
            current = record.get('aliases') or []
            if primary and primary != record.get('primary_address'):
                # After the primary change: the new primary is no alias to add or remove.
                record, current = dict(record, primary_address=primary), [alias for alias in current if alias != primary]
            alias_steps, _after, notes = alias_plan(client, domain, name, dict(record, aliases=current),
                                                    entry.aliases, 'present', self.params['exclusive_aliases'], rows)
            self.warnings.extend(notes)
            adds = [step for step in alias_steps if step.kind == 'alias_add']
            if create is not None and 'aliases' in client.create_sets and adds:
                # The create itself carries them: one write instead of several.
                self._carry(create, 'aliases', [step.data['address'] for step in adds])
                entry.claims.extend((step.data['address'], create) for step in adds)
                alias_steps = [step for step in alias_steps if step not in adds]
            else:
                for step in adds:
                    step.needs.extend([create] if create is not None else [])
                    entry.claims.append((step.data['address'], step))
            entry.steps.extend(alias_steps)
        if entry.activesync is not None:
            current = bool((entry.before or {}).get('activesync'))
            if not compare('activesync', current, entry.activesync):
                if create is not None and 'activesync' in client.create_sets:
                    self._carry(create, 'activesync', True)
                else:
                    step = activesync_step(name, entry.activesync, rows)
                    step.needs.extend([create] if create is not None else [])
                    entry.steps.append(step)

    def _one_row_per_mailbox(self):
        """Two rows that name one mailbox (Odin: by its name and by its primary address's) fail both: planned from one
        read, each would undo the other."""
        rows = {}
        for entry in self.entries:
            if entry.error is None and entry.before is not None:
                rows.setdefault(identity(entry.before), []).append(entry)
        for same in rows.values():
            if len(same) > 1:
                for entry in same:
                    entry.fail(InvalidInputError('rows %s name one mailbox: which one is meant is unknown'
                                                 % ', '.join(other.label for other in same), provider=self.client.name,
                                                 obj=mailbox_address(entry.name, self.domain)))

    @staticmethod
    def _carry(create, field, value):
        create.data['fields'][field] = value
        create.shown[field] = value

    def _uncarry(self, entry, create, address):
        """A moved alias is added on its own after the create, not carried by it: the create must not wait for (or
        be held with) the release of an address it does not need to exist."""
        aliases = [alias for alias in create.data['fields']['aliases'] if alias != address]
        if aliases:
            self._carry(create, 'aliases', aliases)
        else:
            del create.data['fields']['aliases']
            del create.shown['aliases']
        step = Step('alias_add', create.mailbox, {'address': address}, create.rows, needs=[create],
                    shown={'address': address})
        entry.steps.append(step)
        return step

    def _claims_held_elsewhere(self):
        """An address a row claims that another mailbox holds: a move when the plan releases it there (the release
        goes first), else the row fails - in check mode too, since the listing and the reads already say so."""
        holders = {}
        for key, record in self.listing.items():
            for address in (record.get('address'), record.get('primary_address')):
                if address:
                    holders[address.lower()] = key
        if any(entry.claims for entry in self.entries if entry.error is None):
            # A listed row planned from the listing alone may hold an address another row claims: read its addresses
            # (only in runs that claim any), so check mode sees the conflict the provider would refuse.
            for entry in self.entries:
                if entry.error is None and entry.before is not None and entry.before.get('aliases') is None:
                    self._planned(entry, lambda row: row.before.update(aliases=(self.client.get_mailbox(
                        self.domain, row.before['name'], need=('aliases', 'primary_address')) or {}).get('aliases')))
        releases = {}
        for entry in self.entries:
            if entry.error is not None or entry.before is None:
                continue
            for address in [entry.before.get('primary_address')] + list(entry.before.get('aliases') or []):
                if address:
                    holders[address.lower()] = str(entry.before['name']).lower()
            for step in entry.steps:
                if step.kind == 'alias_remove':
                    releases[step.data['address']] = (entry, step)
        for entry in self.entries:
            if entry.error is not None:
                continue
            own = str((entry.before or {}).get('name') or entry.name).lower()
            for address, claim in entry.claims:
                holder = holders.get(address)
                if holder is None or holder == own:
                    continue
                released = releases.get(address)
                if released is not None and released[0] is not entry:
                    release = released[1]
                    release.release = True
                    release.prune = None  # a move, not a loss: not counted against prune_limit
                    if claim.kind == 'create' and address in (claim.data['fields'].get('aliases') or ()):
                        claim = self._uncarry(entry, claim, address)
                    claim.needs.append(release)
                    continue
                entry.fail(InvalidInputError('%s is held by mailbox %s, and this list does not release it there'
                                             % (address, holder), provider=self.client.name,
                                             obj=mailbox_address(entry.name, self.domain)))

    # delegates

    def _plan_delegates(self):
        """Each delegated mailbox's grants (read once), then per grantee one write that makes them what the rows ask:
        rows naming one grant merge into one (the union of their permissions)."""
        creating = dict((entry.key, entry) for entry in self.entries if entry.error is None and entry.to_create)
        failed = set(entry.key for entry in self.entries if entry.error is not None)
        for delegate in self.delegates:
            self._planned(delegate, lambda row: self._read_delegate(row, creating, failed))
        mode = self.params['delegates_mode']
        for owner, state in sorted(self.owners.items()):
            self._plan_owner(state, mode)

    def _read_delegate(self, delegate, creating, failed):
        if delegate.error is not None:
            return
        owner = delegate.owner.lower()
        if owner in failed and owner not in self.listing:
            raise InvalidInputError('not planned: the row of mailbox %s failed' % delegate.owner,
                                    provider=self.client.name, obj=mailbox_address(delegate.owner, self.domain))
        state = self._owner_state(owner, creating, delegate)
        grantee_name, grantee_domain = split_address(delegate.grantee_address)
        new = creating.get(grantee_name) if grantee_domain == self.domain else None
        if new is not None:
            # Created by this run: it holds no grant yet, and exists when the grant is sent.
            grantee, current, needs = None, None, [new.steps[0]]
        elif grantee_domain == self.domain and grantee_name in failed and grantee_name not in self.listing:
            raise InvalidInputError('not planned: the row of grantee %s failed' % grantee_name,
                                    provider=self.client.name, obj=mailbox_address(delegate.owner, self.domain))
        else:
            grantee, current = self._find_grant(state, delegate)
            needs = []
            if grantee is None and delegate.state == 'present':
                raise self.client.grantee_missing(delegate.grantee_address,
                                                  mailbox_address(delegate.owner, self.domain))
        key = grantee['key'] if grantee else ('new', delegate.grantee_address)
        slot = state['grantees'].setdefault(key, {'grantee': grantee, 'current': current, 'needs': needs,
                                                  'address': grantee['address'] if grantee
                                                  else delegate.grantee_address, 'rows': []})
        slot['rows'].append(delegate)

    def _find_grant(self, state, delegate):
        """find_grant, where a grantee in a domain the account does not have fails this row alone."""
        try:
            return find_grant(self.client, self.domain, state['permissions'], delegate.grantee_address)
        except UnknownScopeError as exc:
            raise InvalidInputError('grantee %s: %s' % (delegate.grantee_address, exc.message),
                                    provider=self.client.name, obj=mailbox_address(delegate.owner, self.domain))

    def _owner_state(self, owner, creating, delegate):
        if owner not in self.owners:
            missing = NotFoundError('mailbox %s does not exist and is not in the list' % owner,
                                    provider=self.client.name, obj=mailbox_address(owner, self.domain))
            needs = []
            found = self._existing(owner) if owner not in creating else None
            if owner in creating:
                permissions, needs = [], [creating[owner].steps[0]]
            elif found is not None:
                permissions = self.client.get_permissions(self.domain, found['name'])
                self.matched.add(identity(found))
            elif delegate.state == 'absent':
                raise missing  # a revoke on a mailbox that is not there is a typo: the same in both modes
            else:
                # Like the other modules: in check mode, an earlier task of the same run may create it (a warning
                # says so). If none does, the real run fails this row and holds what the plan takes away.
                assume_created_in_check_mode(self.check_mode, missing, self.warnings)
                permissions = []
            self.owners[owner] = {'permissions': permissions, 'grantees': {}, 'steps': [], 'needs': needs,
                                  'name': found['name'] if found is not None else owner}
        return self.owners[owner]

    def _existing(self, name):
        """The record of an existing mailbox by any name it is found by: listed, read for a row, or (where the
        listing may miss names) read now."""
        if name in self.listing:
            return self.listing[name]
        for entry in self.entries:
            if entry.key == name and entry.before is not None:
                return entry.before
        if self.client.listing_may_miss_names or name in self.other_names:
            return self.client.get_mailbox(self.domain, name, need=())
        return None

    def _plan_owner(self, state, mode):
        """The grants of one mailbox as a list of (grantee, right) items, reconciled as the rows and the mode ask."""
        current = [(entry['key'], right) for entry in state['permissions']
                   for right in sorted(RIGHTS.get(entry['permission'], ()))]
        grantees = state['grantees']
        for entry in state['permissions']:
            grantees.setdefault(entry['key'], {'grantee': {'key': entry['key'], 'address': entry['grantee']},
                                               'current': entry['permission'], 'needs': [],
                                               'address': entry['grantee'], 'rows': []})
        add, remove = [], []
        for key, slot in sorted(grantees.items(), key=lambda item: item[1]['address']):
            for delegate in slot['rows']:
                if delegate.error is not None:
                    continue
                rights = sorted(RIGHTS[delegate.permission or 'both'])
                (add if delegate.state == 'present' else remove).extend((key, right) for right in rights)
        # Rows that grant and revoke one right of one grantee: which is meant is unknown, so they fail.
        clashing = set(key for key, right in add if (key, right) in remove)
        for key in clashing:
            for delegate in grantees[key]['rows']:
                delegate.fail(InvalidInputError('rows disagree on what %s may do on %s (one grants what another revokes)'
                                                % (grantees[key]['address'], state['name']), provider=self.client.name,
                                                obj=mailbox_address(state['name'], self.domain)))
        add = [item for item in add if item[0] not in clashing]
        remove = [item for item in remove if item[0] not in clashing]
        listed = set(key for key, _right in add)
        # exact: the listed grantees hold exactly what their rows say; exclusive: and nobody else holds anything.
        change = reconcile_list(current, add=add, remove=remove, exact=add if mode != 'add' else None,
                                within=None if mode == 'exclusive' else (lambda item: item[0] in listed))
        after = change.after(current)
        # What goes because no row grants it (exclusive) is pruned, right by right: a row revoking send_as does
        # not make the full_access that goes with it a named removal.
        pruned = set(key for key, _right in change.pruned if key not in listed)
        for key, slot in sorted(grantees.items(), key=lambda item: item[1]['address']):
            rows = [delegate for delegate in slot['rows'] if delegate.error is None]
            if rows and slot['grantee'] is not None:
                self.delegated.add(slot['grantee']['key'])
            wanted = from_rights(frozenset(right for item_key, right in after if item_key == key))
            before = slot['current']
            prune = 'grants' if key in pruned else None
            step = grant_step(self.domain, state['name'], slot['grantee'], slot['address'], before, wanted,
                              [delegate.label for delegate in rows], slot['needs'] + state['needs'], prune)
            if step is not None:
                slot['step'] = step
                state['steps'].append(step)

    # unlisted

    def _plan_unlisted(self):
        action = self.params['unlisted']
        if action == 'ignore':
            return
        known = set(self.listed_keys)
        for delegate in self.all_delegates:
            known.add(str(delegate.owner).lower())
            known.update(self._local_part(delegate.grantee_address))
        claimed = set()  # the domain's addresses a row forwards to or claims as an alias
        for entry in self.all_entries:
            forward = entry.desired.get('forwarding_address')
            # The mailbox a row forwards to must not go in the same run: the row's mail would go to nobody.
            known.update(self._local_part(forward))
            claimed.update(str(address).strip().lower() for address in [forward] + list(entry.aliases or [])
                           if self._local_part(address))
        keep = [pattern.lower() for pattern in self.params.get('unlisted_keep') or []]
        # Those that name no mailbox of the listing: an unlisted mailbox may hold one as an alias, and must not take
        # it away with it.
        names = set(self.listing) | set(str(name).lower() for record in self.listing.values()
                                        for name in record.get('names') or ())
        depended = set(address for address in claimed if self._local_part(address)[0] not in names) \
            if action in ('disable', 'remove') else set()
        reads_aliases = bool(depended) and 'alias' in self.client.features
        for key, record in sorted(self.listing.items()):
            names = [key] + [name.lower() for name in record.get('names') or ()]
            if (any(name in known for name in names) or identity(record) in self.matched | self.delegated
                    or any(fnmatch.fnmatchcase(name, pattern) for name in names for pattern in keep)):
                continue
            if action == 'disable' or not self.client.listing_is_exchange_only or reads_aliases:
                need = set(self.client.disable_changes) if action == 'disable' else set()
                need |= {'aliases'} if reads_aliases else set()
                found = self.client.get_mailbox(self.domain, record['name'], need=need)
                if found is None:
                    continue  # listed, but not a hosted Exchange mailbox (or gone since)
                record = found
                self.confirmed.add(identity(found))
            if depended:
                held = sorted(depended & set(str(alias).lower() for alias in record.get('aliases') or ()))
                if held or not reads_aliases:
                    # Fail-safe: it holds (or, unread, may hold) an address a row forwards to or claims.
                    self.warnings.append('unlisted mailbox %s is kept: %s' % (record['name'], (
                        'it holds %s, which a row of the list forwards to or claims' % ', '.join(held)) if held else (
                        'the provider cannot show its aliases, and %s - which a row forwards to or claims - is no '
                        'mailbox of the listing' % ', '.join(sorted(depended)))))
                    continue
            if action == 'disable':
                # As exchange_mailbox state=disabled: the disable changes are mailbox changes, one update.
                planned = plan_mailbox(self.client, self.domain, record['name'], record, {}, 'disabled')
                if not planned.steps:
                    continue
                step = planned.steps[0]
                step.prune = 'mailboxes'
                step.shown['mailbox'] = which(record)
                self.unlisted_steps.append(step)
            elif action == 'remove':
                self.unlisted_steps.append(Step('remove', record['name'], {'before': self.listing[key]},
                                                takes_away=True, prune='mailboxes', shown={'mailbox': which(record)}))
            self.unlisted.append(record['name'])

    def _local_part(self, address):
        """The name of an address of this domain, as a one-item list (none for another domain's, or no address)."""
        if not address:
            return []
        name, domain = split_address(str(address).lower())
        return [name] if domain == self.domain else []

    # --- guards --------------------------------------------------------------------------------------

    def guard(self):
        """Hold back everything the plan takes away while any row is at fault, or when it prunes more than allowed."""
        # A delegate row whose mailbox check mode assumes an earlier task creates is not at fault: the forecast is
        # the real run's under that assumption (so an approved plan applies), and when the assumption is wrong the
        # real run fails the row and holds all of this.
        at_fault = [row.label for row in self.rows if row.error is not None] + self.other_faults
        if self.batched:
            # Another batch's rows are planned by another task: whether they all pass is not known here.
            self._blocked_by(hold(self.steps, 'batch'))
            if any(step.held for step in self.steps):
                self.held_because = ('with batch, what a run takes away (a permission reduced or revoked) is judged on '
                                     'the whole list: run it in one task, without batch')
            return
        if at_fault:
            held = hold(self.steps, 'rows at fault')
            if held:
                self.held_because = ('%d row%s at fault (%s), so nothing is taken away: a row that failed may name what '
                                     'would be' % (len(at_fault), '' if len(at_fault) == 1 else 's',
                                                   ', '.join(at_fault[:10]) + (' ...' if len(at_fault) > 10 else '')))
                self._blocked_by(held)
            return
        over = []
        limit = self.params['prune_limit']
        for kind, base in self._prune_bases().items():
            pruned = [step for step in self.steps if step.prune == kind]
            most = allowed(limit, base)
            if len(pruned) > most:
                names = sorted(set(step.mailbox for step in pruned))
                over.append("%d %s (%s), more than prune_limit '%s' allows (%d of %s)" % (
                    len(pruned), kind, ', '.join(names[:10]) + (' ...' if len(names) > 10 else ''),
                    limit, most, PRUNE_BASES[kind] % base))
        if over:
            self._blocked_by(hold(self.steps, 'prune_limit'))
            self.held_because = ('this run would take away %s; nothing is taken away. Check the list; if it is right, '
                                 'raise prune_limit (a count such as 50, or a share such as 25%%)' % '; '.join(over))

    def _blocked_by(self, held):
        """A row whose own step (a claim, a create) waits for a held release cannot have what it asks: it fails, saying
        which release it waits for, in check mode as in a real run."""
        rows = dict((row.label, row) for row in self.rows)
        for step in held:
            if step.takes_away:
                continue
            need = next(need for need in step.needs if need.held is not None)
            for label in step.rows:
                rows[label].fail(InvalidInputError('not done: it needs "%s", which is held back' % need.line(),
                                                   provider=self.client.name, obj=mailbox_address(step.mailbox,
                                                                                                  self.domain)))

    def _prune_bases(self):
        aliases = sum(len((entry.before or {}).get('aliases') or []) for entry in self.entries
                      if entry.aliases is not None)
        grants = sum(len(state['permissions']) for state in self.owners.values())
        # Where the listing also names mailboxes of other kinds (Hostway's older platform), only the ones read and
        # found to be hosted Exchange mailboxes count: never a base the others inflate.
        mailboxes = len(self.listing) if self.client.listing_is_exchange_only else len(self.confirmed)
        return {'mailboxes': mailboxes, 'aliases': aliases, 'grants': grants}

    def stale_plan(self):
        """With plan_digest: why this run's plan is not the approved one (nothing is written), or None."""
        approved = self.params.get('plan_digest')
        scope = [self.client.name, str(self.client.account or ''), self.domain, self.params.get('batch') or {}]
        self.digest = digest(scope, self.steps,
                             [row.label for row in self.rows if row.error is not None])
        if not approved or approved == self.digest:
            return None
        lines = [step.line() for step in ordered(self.steps)]
        shown_lines = lines[:20] + (['... and %d more' % (len(lines) - 20)] if len(lines) > 20 else [])
        return ('the plan is not the approved one (approved %s, now %s): it changed since it was reviewed, so nothing '
                'was written. Run the check again and approve its plan. This run\'s plan: %s'
                % (shown(approved), self.digest, '; '.join(shown_lines) or 'nothing to do'))

    # --- the result -----------------------------------------------------------------------------------
    # Compact for any list size (an AWX job drops a task result above 700,000 characters): names in lists, and only
    # what changes. The per-mailbox detail a person reads - the diff, the plan - stops after DETAIL_LIMIT entries and
    # says how many more there are; RV(changes) and RV(delegates) hold every change, for the drift report.

    def _budget(self, total):
        mine, everyone = self.share
        return total * mine // everyone

    def outcome(self, stale=None):
        self.changes_left = self._budget(CHANGES_BUDGET)
        result = {'domain': self.domain, 'provider': self.client.name, 'created': [], 'updated': [], 'unchanged': [],
                  'failed_entries': [], 'errors': {}, 'changes': {}, 'changes_omitted': 0, 'delegates': {},
                  'unlisted': list(self.unlisted),
                  'unlisted_action': self.unlisted_action, 'not_attempted': [], 'plan_digest': self.digest,
                  'listed': len(self.listing),
                  'plan': bounded([step.line() for step in ordered(self.steps)], 'more steps', self.detail_limit),
                  'held': []}
        if stale is not None:
            return Outcome(False, result, failure=stale)
        ran = (lambda step: step.planned) if self.check_mode else (lambda step: step.done)
        diffs = []
        for entry in self.entries:
            self._entry_outcome(entry, ran, result, diffs)
        for owner, state in sorted(self.owners.items()):
            self._grants_outcome(state, ran, result, diffs)
        for delegate in self.delegates:
            if delegate.error is None:
                failed = [step for state in self.owners.values() for step in state['steps']
                          if delegate.label in step.rows and step.error is not None]
                if failed:
                    delegate.error = failed[0].error
            if delegate.error is not None:
                result['failed_entries'].append(delegate.label)
                result['errors'][delegate.label] = str(delegate.error)
        self._unlisted_outcome(ran, result, diffs)
        for step in self.steps:
            if step.not_attempted:
                result['not_attempted'].append(step.label)
            if step.held is not None:
                result['held'].append(step.line())
            if step.error is not None and not step.rows and step.label not in result['errors']:
                result['failed_entries'].append(step.label)
                result['errors'][step.label] = str(step.error)
        result['not_attempted'] = _unique(result['not_attempted'])
        changed = bool(result['created'] or result['updated'] or result['delegates'] or result.get('disabled')
                       or result.get('removed'))
        self._bound_errors(result)
        outcome = Outcome(changed, result, warnings=self.warnings, failure=self._failure(result))
        outcome.diff = bounded(diffs, 'more changed mailboxes', self.detail_limit, lambda text: {
            'before': '', 'after': text + ': the result\'s created, updated, changes and delegates name them all\n',
            'before_header': 'and more', 'after_header': 'and more'})
        return outcome

    def _entry_outcome(self, entry, ran, result, diffs):
        if entry.error is None:
            failed = [step for step in entry.steps if step.error is not None]
            if failed:
                done = [step.line() for step in entry.steps if step.done]
                entry.error = HostedExchangeError(('%s, then: ' % '; '.join(done) if done else '') + str(failed[0].error))
        done = [step for step in entry.steps if ran(step)]
        if entry.error is not None:
            result['failed_entries'].append(entry.label)
            result['errors'][entry.label] = str(entry.error)
            if done:
                # Part of it was done (or, in check mode, is planned) before a later step failed or was held: say so
                # where a person counts changes.
                result['created' if done[0].kind == 'create' else 'updated'].append(entry.name)
            return
        if any(step.not_attempted for step in entry.steps) and not done:
            return
        if not done:
            result['unchanged'].append(entry.name)  # nothing to do, or only what is held back
            return
        before, after = self._entry_diff(entry, done)
        diffs.append(self._diff('mailbox', entry.name, before, after))
        if done[0].kind == 'create':
            result['created'].append(entry.name)
            return
        result['updated'].append(entry.name)
        self._change(result, entry.name, drift(before, after))

    def _entry_diff(self, entry, done):
        before, after = dict(entry.planned.before), dict(entry.planned.after)
        if entry.aliases is not None:
            current = sorted((entry.before or {}).get('aliases') or [])
            added = [step.data['address'] for step in done if step.kind == 'alias_add']
            added += (done[0].data['fields'].get('aliases') or []) if done[0].kind == 'create' else []
            removed = [step.data['address'] for step in done if step.kind == 'alias_remove']
            before['aliases'] = current
            after['aliases'] = sorted(set(current) - set(removed) | set(added))
        if entry.activesync is not None:
            before['activesync'] = bool((entry.before or {}).get('activesync'))
            switched = any(step.kind == 'activesync' or (step.kind == 'create' and 'activesync' in step.data['fields'])
                           for step in done)
            after['activesync'] = bool(entry.activesync) if switched else before['activesync']
        return before, after

    def _grants_outcome(self, state, ran, result, diffs):
        before, after = {}, {}
        for step in state['steps']:
            if not ran(step) or step.error is not None:
                continue
            address = step.data['address']
            before[address], after[address] = step.data['before'], step.data['after']
        if before:
            result['delegates'][state['name']] = dict((grantee, [before[grantee], after[grantee]]) for grantee in before)
            diffs.append(self._diff('permissions on', state['name'], {'delegates': before}, {'delegates': after}))

    def _unlisted_outcome(self, ran, result, diffs):
        action = self.params['unlisted']
        if action not in ('disable', 'remove'):
            return
        key = 'disabled' if action == 'disable' else 'removed'
        result[key] = []
        for step in self.unlisted_steps:
            if not ran(step):
                continue
            result[key].append(step.mailbox)
            if action == 'disable':
                before = dict(pick(step.data['before'], sorted(step.data['changes'])), state='present')
                after = dict(step.data['changes'], state='disabled')
            else:
                before, after = {'state': 'present'}, {'state': 'absent'}
            self._change(result, step.mailbox, drift(before, after))
            diffs.append(self._diff('mailbox', step.mailbox, before, after))

    def _change(self, result, name, change):
        """One mailbox's change, while the result's budget for them lasts; beyond it, only counted (a domain where
        thousands drift in many fields at once: the names stay in updated, the first changes in full)."""
        size = len(json.dumps({name: change}, default=str))
        if self.changes_left < size:
            result['changes_omitted'] += 1
            return
        self.changes_left -= size
        result['changes'][name] = change

    def _diff(self, what, name, before, after):
        header = '%s %s (%s)' % (what, mailbox_address(name, self.domain), self.client.name)
        return {'before': before, 'after': after, 'before_header': header, 'after_header': header}

    def _bound_errors(self, result):
        """Every failed row stays named in failed_entries; the reasons fill at most the result's budget for them
        (thousands of rows failing alike: the first reasons in full, the rest counted in errors_omitted)."""
        kept, budget = {}, self._budget(ERRORS_BUDGET)
        for name, reason in result['errors'].items():
            budget -= len(name) + len(reason) + 6
            if budget < 0:
                break
            kept[name] = reason
        result['errors_omitted'] = len(result['errors']) - len(kept)
        result['errors'] = kept

    def _failure(self, result):
        parts = []
        if result['failed_entries']:
            failed = result['failed_entries']
            lines = ['%s: %s' % (name, result['errors'].get(name, '(see failed_entries)')) for name in failed[:20]]
            more = ' ... and %d more (errors has the reasons, failed_entries the names)' % (len(failed) - 20) \
                if len(failed) > 20 else ''
            parts.append('%d of the roster\'s entries failed: %s%s' % (len(failed), '; '.join(lines), more))
        if self.held_because:
            parts.append('held back: %s (%s)' % (self.held_because, '; '.join(result['held'][:20])
                                                 + (' ...' if len(result['held']) > 20 else '')))
        if parts:
            # What the valid rows still had done, so a failed task never hides what it changed.
            done = [(len(result[key]), key) for key in ('created', 'updated') if result[key]]
            grants = sum(len(grants) for grants in result['delegates'].values())
            done += [(grants, 'grants changed')] if grants else []
            parts.append('%s: %s' % ('would still be done (check mode)' if self.check_mode else 'done nevertheless',
                                     ', '.join('%d %s' % item for item in done) if done else 'nothing'))
        if self.stopped is not None:
            names = [str(item) for item in result['not_attempted']]
            parts.append('stopped early (%s), %d not attempted: %s' % (
                self.stopped, len(names), ', '.join(names[:20]) + (' ...' if len(names) > 20 else '')))
        return ' - '.join(parts) or None


DETAIL_LIMIT = 100
# Characters of changes one result carries (a looped task's results together): under AWX's 700,000 with the rest.
CHANGES_BUDGET = 250000
# Characters of failure reasons one result carries (a list failing row by row: a wrong export).
ERRORS_BUDGET = 150000


def drift(before, after):
    """Only what changes, as {field: [before, after]}: the drift report's rows, in as few characters as a list of
    thousands needs."""
    return dict((field, [before.get(field), after.get(field)]) for field in sorted(set(before) | set(after))
                if before.get(field) != after.get(field))


def bounded(items, what, limit, summary=None):
    """items, or the first limit of them and one more saying how many are left out."""
    if len(items) <= limit:
        return items
    text = '... and %d %s' % (len(items) - limit, what)
    return items[:limit] + [summary(text) if summary else text]


def _unique(items):
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
