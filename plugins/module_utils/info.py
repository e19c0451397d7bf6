# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mailbox_info: read one mailbox or a whole domain; never writes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import NotSupportedError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome


def options_in_use(params):
    """The filter/detail options a task actually sets (defaults do not count)."""
    used = {}
    for option in ('enabled', 'name_startswith', 'name_contains', 'sort_by'):
        if params.get(option) is not None:
            used[option] = params[option]
    for option in ('fields', 'include', 'details'):
        if params.get(option):
            used[option] = params[option]
    return used


def run(client, params, check_mode):
    used = options_in_use(params)
    client.reject_unsupported(used, list(used), client.info_options | frozenset(('sort_by',)))
    include = params.get('include') or []
    unsupported = sorted(set(include) - client.info_includes)
    if unsupported:
        raise NotSupportedError('mailbox_info include=%s is not supported by provider %s'
                                % (','.join(unsupported), client.name))
    if not params.get('domain'):
        # No domain: only what the provider can do, for roles and playbooks to ask; no request is sent.
        if used or params.get('name'):
            raise NotSupportedError('domain is required to read mailboxes (without it mailbox_info returns only '
                                    'capabilities)')
        return Outcome(False, {'mailboxes': [], 'count': 0, 'capabilities': client.capabilities()})
    domain = client.check_domain(params['domain'])

    if params.get('name'):
        record = client.get_mailbox(domain, client.check_name(params['name']))
        records = [record] if record is not None else []
        if params.get('enabled') is not None:
            records = [r for r in records if r.get('enabled') == params['enabled']]
    else:
        records = client.list_mailboxes(domain, used)
        if params.get('details') or include:
            full = (client.get_mailbox(domain, summary['name']) for summary in records)
            records = [record for record in full if record is not None]

    if 'permissions' in include:
        for record in records:
            record['permissions'] = [dict(grantee=entry['grantee'], permission=entry['permission'])
                                     for entry in client.get_permissions(domain, record['name'])]
    if 'activesync' in include:
        for record in records:
            # Setup information exists only where the provider serves activesync_service.
            readable = record.get('activesync') and 'activesync' in client.features
            record['activesync_info'] = client.get_activesync(domain, record['name']) if readable else None

    if params.get('sort_by'):
        key = params['sort_by']
        records.sort(key=lambda r: (r.get(key) is None, r.get(key)), reverse=params.get('sort_order') == 'desc')
    return Outcome(False, {'mailboxes': records, 'count': len(records), 'capabilities': client.capabilities()})
