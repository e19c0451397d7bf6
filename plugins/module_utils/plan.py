# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plans as typed steps, and the one loop that applies them.

Every resource first plans, from what it read, the writes it needs - each a Step with one error
slot - and applies them only outside check mode, so check mode forecasts the real run. The
list primitive (reconcile_list) is how aliases and grants go from what is held to what a task
asks, with add/remove/exact semantics and protected items.

A step that takes something away (a removal, a disable, a revoke, a permission reduced) can be
held back as a whole group: the roster does so when its input is not entirely valid or when the
plan prunes more than its limit allows. Held steps are reported, never applied.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import math
import re

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    HostedExchangeError,
    InvalidInputError,
    RetryExhaustedError,
    UnknownScopeError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import shown

# Failures that no other step could escape: stop instead of paying for each step again.
SYSTEMIC_ERRORS = (AuthError, RetryExhaustedError, UnknownScopeError)

# The safe order: what frees an address before what claims it; mailboxes before what is set on
# them; grants after the mailboxes they name exist; whatever takes something away last.
PHASES = ('release', 'create', 'update', 'alias_add', 'activesync', 'grant', 'change', 'alias_remove', 'revoke',
          'disable', 'remove')


class Step(object):
    """One write of a plan.

    kind: one of PHASES but 'release' (a release is an alias_remove another row's claim needs).
    mailbox: the mailbox the write goes to, as the provider names it.
    rows: the input rows the step serves (their labels): its failure is theirs.
    data: what the write sends (kind-specific); shown: what a person reads of it (never a secret).
    takes_away: it removes, disables or revokes something.
    prune: what it prunes ('mailboxes', 'aliases', 'grants') when no row names it, else None.
    needs: steps that must be done first (a claim's release, a grant's create).
    """

    def __init__(self, kind, mailbox, data=None, rows=(), takes_away=False, prune=None, needs=(), shown=None):
        self.kind = kind
        self.mailbox = mailbox
        self.data = data or {}
        self.rows = list(rows)
        self.takes_away = takes_away
        self.prune = prune
        self.needs = list(needs)
        self.release = False  # frees an address a claim of this plan needs: applied before any claim
        self.shown = shown if shown is not None else {}
        self.error = None
        self.done = False
        self.held = None  # why the step is held back (never applied)
        self.not_attempted = False

    @property
    def phase(self):
        return PHASES.index('release' if self.release else self.kind)

    @property
    def planned(self):
        """The step is part of what a run does: not held back."""
        return self.held is None

    def line(self):
        """One line for a person and for the plan digest: the kind, the target, and what changes."""
        text = '%s %s' % ('release' if self.release else self.kind, self.mailbox)
        if self.shown:
            text += ': ' + ', '.join('%s=%s' % (key, _compact(value)) for key, value in sorted(self.shown.items()))
        if self.held is not None:
            text += ' [held]'
        return text

    def apply(self, client, domain):
        data, name = self.data, self.mailbox
        if self.kind == 'create':
            client.create_mailbox(domain, name, data['fields'], data.get('password'))
        elif self.kind in ('update', 'disable'):
            client.update_mailbox(domain, name, data['changes'], data.get('password'), data['before'])
        elif self.kind == 'remove':
            client.delete_mailbox(domain, name, data['before'])
        elif self.kind == 'alias_add':
            client.add_alias(domain, name, data['address'])
        elif self.kind == 'alias_remove':
            client.remove_alias(domain, name, data['address'])
        elif self.kind == 'activesync':
            client.set_activesync(domain, name, data['enabled'])
        elif self.kind in ('grant', 'change', 'revoke'):
            grantee = data['grantee'] or client.resolve_grantee(domain, data['address'])
            if grantee is None:
                raise client.grantee_missing(data['address'], data['owner'])
            if self.kind == 'revoke':
                client.revoke_permission(domain, name, grantee, data['before'])
            else:
                client.set_permission(domain, name, grantee, data['after'], data['before'])
        else:
            raise ValueError('unknown step kind %s' % self.kind)


def _compact(value):
    if isinstance(value, (list, tuple)):
        return '[%s]' % ','.join(_compact(item) for item in value)
    return json.dumps(value)


class NotDone(HostedExchangeError):
    """A step left undone because a step it needs failed or was held back."""


def ordered(steps):
    """steps in the safe order (stable within a phase: the order the plan made them in)."""
    return sorted(steps, key=lambda step: step.phase)


def apply_steps(client, domain, steps):
    """Apply steps in the safe order, each at most once; returns the systemic error that stopped the run, or None.

    A failed step records its error and the others go on; a step whose needs are not done is not
    sent. A claim that fails after its release was done gives the address back to its old holder.
    """
    stopped = refused = None
    for step in ordered(steps):
        if step.held is not None or step.error is not None:
            continue
        if stopped is not None:
            step.not_attempted = True
            continue
        if refused is not None and step.prune is not None:
            # Fail-safe: a refused write means the plan missed something (an address held where it could not be
            # seen, say); what the list does not name is then not taken away in this run.
            step.error = NotDone('held back: a write of this run was refused (%s), so nothing the list does not '
                                 'name is taken away in this run' % refused.line())
            continue
        missing = [need for need in step.needs if not need.done]
        if missing:
            need = missing[0]
            why = 'held back' if need.held is not None else 'not done'
            step.error = NotDone('not done: it needs "%s", which was %s' % (need.line(), why))
            continue
        try:
            step.apply(client, domain)
            step.done = True
        except SYSTEMIC_ERRORS as exc:
            step.error, stopped = exc, exc
        except HostedExchangeError as exc:
            step.error = exc
            refused = refused or step
    if stopped is None:
        # A claim that was not made - refused, or not sent because what it needed failed - must not leave the
        # address it was released for on nobody: it goes back to its old holder. (After a systemic stop nothing
        # more is sent; the error then says where the address is.)
        for step in steps:
            if not step.done and step.error is not None:
                step.error = _give_back(client, domain, step, step.error)
    else:
        for step in steps:
            if not step.done and any(need.release and need.done for need in step.needs):
                lost = ', '.join(need.data['address'] for need in step.needs if need.release and need.done)
                step.error = HostedExchangeError('not done (%s); %s was released for it and is on no mailbox: '
                                                 'give it back by hand' % (stopped, lost))
    return stopped


def _give_back(client, domain, step, exc):
    """After a claim that was not made: an address released for it goes back to its old holder."""
    notes = []
    for release in step.needs:
        if not release.release or not release.done:
            continue
        address = release.data['address']
        try:
            client.add_alias(domain, release.mailbox, address)
            notes.append('%s was given back to %s' % (address, release.mailbox))
        except HostedExchangeError as again:
            notes.append('%s could not be given back to %s (%s): it is on no mailbox now'
                         % (address, release.mailbox, again))
    return HostedExchangeError('%s; %s' % (exc, '; '.join(notes))) if notes else exc


def first_error(steps):
    """For a single-object module: the first failure of its steps, raised as it is."""
    for step in steps:
        if step.error is not None:
            raise step.error


# --- the list primitive ----------------------------------------------------------------------------


class ListChange(object):
    """How a list changes: to_add; to_remove (named by the task); pruned (removed because the task's exact
    list does not name them); kept (protected items an exact list leaves out); refused (protected items the
    task names for removal)."""

    def __init__(self, to_add, to_remove, pruned, kept, refused):
        self.to_add, self.to_remove, self.pruned, self.kept, self.refused = to_add, to_remove, pruned, kept, refused

    def after(self, current):
        gone = set(self.to_remove) | set(self.pruned)
        return [item for item in current if item not in gone] + [item for item in self.to_add if item not in current]


def reconcile_list(current, add=(), remove=(), exact=None, within=None, protected=()):
    """From current to what a task asks, as microsoft.ad's add/remove/set lists do.

    add: items the list must hold; remove: items it must not hold; exact: the whole list (what it
    does not name goes), limited to the items for which within(item) is true when within is given;
    protected: never removed. An item both added and removed is an InvalidInputError. Order is kept.
    """
    clash = [item for item in remove if item in add or (exact is not None and item in exact)]
    if clash:
        raise InvalidInputError('%s both kept and taken away' % ', '.join(shown(item) for item in clash))
    wanted = list(add) + [item for item in exact or () if item not in add]
    to_add = [item for item in wanted if item not in current]
    refused = [item for item in remove if item in protected]
    to_remove = [item for item in remove if item in current and item not in protected]
    pruned, kept = [], []
    if exact is not None:
        for item in current:
            if item in wanted or item in to_remove or (within is not None and not within(item)):
                continue
            (kept if item in protected else pruned).append(item)
    return ListChange(to_add, to_remove, pruned, kept, refused)


# --- guards of what a plan takes away -----------------------------------------------------------------

LIMIT_PART = re.compile(r'^\s*([0-9]+)\s*(%?)\s*$')


def parse_limit(value):
    """[(number, is_share), ...] of a prune_limit: a count ("25"), a share ("10%"), or both ("10%, 500": the smaller);
    InvalidInputError otherwise."""
    parts = [LIMIT_PART.match(part) for part in str(value).split(',')] if isinstance(value, (str, int)) else [None]
    if not all(parts) or any(part.group(2) and int(part.group(1)) > 100 for part in parts):
        raise InvalidInputError('prune_limit must be a count (such as 25), a share from 0%% to 100%% (such as 10%%), or '
                                'both (such as "10%%, 500": the smaller of the two), not %s' % shown(value))
    return [(int(part.group(1)), bool(part.group(2))) for part in parts]


def allowed(limit, base):
    """How many of base items a limit lets one run take away (a share rounds up: 10% of 5 is 1; with a share and a
    count, the smaller)."""
    return min(int(math.ceil(number * base / 100.0)) if is_share else number for number, is_share in parse_limit(limit))


def hold(steps, reason):
    """Hold back every step that takes something away, and every step that needs a held one (a claim whose
    release is held cannot be done either); returns those held."""
    held = [step for step in steps if step.takes_away and step.held is None]
    for step in held:
        step.held = reason
    while True:
        blocked = [step for step in steps if step.held is None and any(need.held is not None for need in step.needs)]
        if not blocked:
            return held
        for step in blocked:
            step.held = reason
        held.extend(blocked)


def digest(scope, steps, failed_rows):
    """The digest of a plan: what it would write (every step, held or not) and which rows failed, in its scope.

    Two runs with the same digest send the same writes; it changes when anything they would send or
    compare against changes. Secrets never enter it (a step shows a password only as a marker).
    """
    text = json.dumps({'scope': scope, 'steps': [step.line() for step in ordered(steps)],
                       'failed': sorted(failed_rows)}, sort_keys=True, separators=(',', ':'))
    return 'sha256:' + hashlib.sha256(text.encode('utf-8')).hexdigest()
