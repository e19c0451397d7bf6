# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""activesync_service: attach or detach ActiveSync for one mailbox."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import mailbox_address
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import NotFoundError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.plan import Step, apply_steps, first_error
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import Outcome, assume_created_in_check_mode


def activesync_step(name, enabled, rows=()):
    """The write that attaches (enabled) or detaches ActiveSync."""
    return Step('activesync', name, {'enabled': enabled}, rows, shown={'enabled': enabled})


def run(client, params, check_mode):
    client.require_feature('activesync', 'activesync_service')
    domain = client.check_domain(params['domain'])
    name = client.check_name(params['mailbox'])
    warnings = []
    try:
        info = client.get_activesync(domain, name)
    except NotFoundError as exc:
        assume_created_in_check_mode(check_mode, exc, warnings)
        info = None
    have, want = info is not None, params['state'] == 'present'
    steps = [activesync_step(name, want)] if have != want else []
    if steps and not check_mode:
        apply_steps(client, domain, steps)
        first_error(steps)
        # The setup information exists only once the service is attached.
        info = client.get_activesync(domain, name) if want else None
    elif have != want:
        info = None
    result = {'enabled': want, 'activesync': info or {}}
    return Outcome(have != want, result, {'enabled': have}, {'enabled': want},
                   'ActiveSync of %s (%s)' % (mailbox_address(name, domain), client.name), warnings, steps=steps)
