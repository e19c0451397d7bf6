# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""prune_allowance: how many of a set one run may take away under a limit (a count or a share), as mailbox_roster's
prune_limit counts it - for roles that remove or disable with other modules."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import InvalidInputError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.plan import allowed


def prune_allowance(limit, base):
    try:
        return allowed(limit, int(base))
    except (InvalidInputError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    def filters(self):
        return {'prune_allowance': prune_allowance}
