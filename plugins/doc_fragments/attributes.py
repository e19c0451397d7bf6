# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Modules that change things.
    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: In check mode the module sends no write and reports the C(changed) a real run would.
    support: full
  diff_mode:
    description: In diff mode the module returns the before and after state of what the task manages.
    support: full
  action_group:
    description: Use C(group/mailops.hosted_exchange.hosted_exchange) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - mailops.hosted_exchange.hosted_exchange
'''

    # Read-only modules.
    INFO_MODULE = r'''
attributes:
  check_mode:
    description: The module only reads, so it runs the same in check mode.
    support: full
    details: Always returns C(changed=false).
  diff_mode:
    description: The module changes nothing, so there is no diff.
    support: N/A
  action_group:
    description: Use C(group/mailops.hosted_exchange.hosted_exchange) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - mailops.hosted_exchange.hosted_exchange
'''
