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
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import mailbox_address
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome, assume_created_in_check_mode

# A permission as the set of rights it carries, so "absent send_as" on "both" leaves full_access.
RIGHTS = {'full_access': {'full_access'}, 'send_as': {'send_as'}, 'both': {'full_access', 'send_as'}}


def from_rights(rights):
    if rights == RIGHTS['both']:
        return 'both'
    return next(iter(rights)) if rights else None


def grantee_address(grantee, domain):
    """A bare name means a mailbox of the same domain."""
    grantee = grantee.strip().lower()
    return grantee if '@' in grantee else mailbox_address(grantee, domain)


def run(client, params, check_mode):
    client.require_feature('permission', 'mailbox_permission')
    domain, name = params['domain'], params['mailbox']
    owner = mailbox_address(name, domain)
    grantee = grantee_address(params['grantee'], domain)
    if grantee == owner:
        raise InvalidInputError('a mailbox cannot be its own grantee', provider=client.name, obj=owner)

    warnings = []
    try:
        permissions = client.get_permissions(domain, name)
    except NotFoundError as exc:
        assume_created_in_check_mode(check_mode, exc, warnings)
        permissions = []
    current = next((entry['permission'] for entry in permissions if entry['grantee'] == grantee), None)
    have = RIGHTS.get(current, set())
    asked = RIGHTS[params['permission']] if params.get('permission') else RIGHTS['both']
    if params['state'] == 'present':
        wanted = from_rights(asked)
    else:
        wanted = from_rights(have - asked)

    changed = wanted != current
    # A grant to someone not yet on the list: make sure the grantee exists, in check mode too.
    if changed and current is None and not client.grantee_exists(domain, grantee):
        assume_created_in_check_mode(
            check_mode, NotFoundError('grantee %s does not exist' % grantee, provider=client.name, obj=owner), warnings)
    if changed and not check_mode:
        if wanted is None:
            client.revoke_permission(domain, name, grantee, current)
        else:
            client.set_permission(domain, name, grantee, wanted, current)

    others = [entry for entry in permissions if entry['grantee'] != grantee]
    after = sorted(others + ([{'grantee': grantee, 'permission': wanted}] if wanted else []),
                   key=lambda entry: entry['grantee'])
    result = {'permission': wanted, 'grantee': grantee, 'permissions': after}
    return Outcome(changed, result, {'grantee': grantee, 'permission': current},
                   {'grantee': grantee, 'permission': wanted}, 'permissions on %s (%s)' % (owner, client.name),
                   warnings)
