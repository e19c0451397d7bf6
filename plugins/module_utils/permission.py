# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailbox_permission: reconcile what one grantee may do on one mailbox."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    InvalidInputError,
    NotFoundError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import RIGHTS, mailbox_address
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.plan import Step, apply_steps, first_error
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome, assume_created_in_check_mode


def from_rights(rights):
    if rights == RIGHTS['both']:
        return 'both'
    return next(iter(rights)) if rights else None


def find_grant(client, domain, permissions, grantee_address):
    """(grantee, current permission) of the grantee's mailbox in a permission list.

    Grants are matched by the grantee's mailbox, not by the text of an address: the list is
    tried by address first (no read), then the grantee is resolved to its mailbox (one read)
    and matched by identity. grantee is None when no mailbox of this account has the address.
    """
    for entry in permissions:
        if entry['grantee'] == grantee_address:
            return {'key': entry['key'], 'address': entry['grantee']}, entry['permission']
    grantee = client.resolve_grantee(domain, grantee_address)
    if grantee is None:
        return None, None
    current = next((entry['permission'] for entry in permissions if entry['key'] == grantee['key']), None)
    return grantee, current


def wanted_permission(current, permission, state, exact=True):
    """The permission a grantee should hold: exactly permission, at least permission, or what is left after a revoke."""
    have = RIGHTS.get(current, frozenset())
    asked = RIGHTS[permission] if permission else RIGHTS['both']
    if state == 'absent':
        return from_rights(have - asked)
    return from_rights(asked if exact else have | asked)


def grant_step(domain, owner, grantee, address, before, after, rows=(), needs=(), prune=None):
    """The one write that takes a grantee from permission before to after on owner (a mailbox name), or None.

    grant (nothing held yet), change (Rackspace edits a grant in place) or revoke (nothing left);
    grantee is None when the grantee is created in the same run (resolved when the step is applied).
    """
    if before == after:
        return None
    kind = 'grant' if before is None else 'revoke' if after is None else 'change'
    takes_away = not RIGHTS.get(before, frozenset()) <= RIGHTS.get(after, frozenset())
    data = {'grantee': grantee, 'address': address, 'before': before, 'after': after,
            'owner': mailbox_address(owner, domain)}
    return Step(kind, owner, data, rows, takes_away=takes_away, prune=prune, needs=needs,
                shown={'grantee': address, 'permission': [before, after]})


def run(client, params, check_mode):
    client.require_feature('permission', 'mailbox_permission')
    domain = client.check_domain(params['domain'])
    name = client.check_name(params['mailbox'])
    owner = mailbox_address(name, domain)
    grantee_address = client.check_grantee(params['grantee'], domain)
    if grantee_address == owner:
        raise InvalidInputError('a mailbox cannot be its own grantee', provider=client.name, obj=owner)

    warnings = []
    try:
        permissions = client.get_permissions(domain, name)
    except NotFoundError as exc:
        assume_created_in_check_mode(check_mode, exc, warnings)
        permissions = []
    grantee, current = find_grant(client, domain, permissions, grantee_address)
    wanted = wanted_permission(current, params.get('permission'), params['state'])
    changed = wanted != current
    if grantee is None and changed:
        # A grant to a mailbox that does not exist: an error, unless an earlier task of this check run creates it.
        assume_created_in_check_mode(
            check_mode, client.grantee_missing(grantee_address, owner),
            warnings)
    shown = grantee['address'] if grantee else grantee_address
    step = grant_step(domain, name, grantee, shown, current, wanted)
    if step is not None and not check_mode:
        apply_steps(client, domain, [step])
        first_error([step])

    key = grantee['key'] if grantee else None
    others = [dict(grantee=entry['grantee'], permission=entry['permission']) for entry in permissions
              if key is None or entry['key'] != key]
    after = sorted(others + ([{'grantee': shown, 'permission': wanted}] if wanted else []),
                   key=lambda entry: entry['grantee'])
    result = {'permission': wanted, 'grantee': shown, 'permissions': after}
    return Outcome(changed, result, {'grantee': shown, 'permission': current},
                   {'grantee': shown, 'permission': wanted}, 'permissions on %s (%s)' % (owner, client.name),
                   warnings, steps=[step] if step is not None else [])
