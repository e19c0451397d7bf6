#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: mailbox_permission
short_description: Grant, change or revoke delegate permissions on a hosted Exchange mailbox
version_added: 0.1.0
description:
  - Makes what one grantee may do on one mailbox match the task.
  - V(full_access) lets the grantee open the mailbox; V(send_as) lets the grantee send as the mailbox;
    V(both) is both.
  - Changing a grant (for example V(full_access) to V(both)) edits it in place where the provider can.
author:
  - Mailops Engineering (@mailops)
extends_documentation_fragment:
  - mailops.hosted_exchange.connection
  - mailops.hosted_exchange.attributes
  - mailops.hosted_exchange.mailbox
options:
  grantee:
    description:
      - Who receives the permission - another mailbox, by its name in the same domain or by its full address.
      - A grantee that does not exist is an error.
    type: str
    required: true
  permission:
    description:
      - With O(state=present), the permission the grantee should have, exactly.
      - With O(state=absent), the permission to take away (V(both) or unset takes everything away;
        V(send_as) on a grantee with V(both) leaves V(full_access)).
      - Required with O(state=present).
    type: str
    choices: [full_access, send_as, both]
  state:
    description:
      - Whether the grantee should have O(permission) (V(present)) or not (V(absent)).
    type: str
    choices: [present, absent]
    default: present
notes:
  - "Provider support: rackspace, odin. On hostway the module fails before any request
    (the Hostway API has no mailbox permissions)."
  - Provider spellings such as C(fullAccess), C(SendAs) or C(Both) are normalised before comparing.
seealso:
  - module: mailops.hosted_exchange.mailbox_info
'''

EXAMPLES = r'''
- name: Let a new hire open the shared support mailbox
  mailops.hosted_exchange.mailbox_permission:
    provider: rackspace
    domain: example.com
    mailbox: support
    grantee: alex.smith
    permission: full_access

- name: Also let them send as support (edits the grant in place)
  mailops.hosted_exchange.mailbox_permission:
    domain: example.com
    mailbox: support
    grantee: alex.smith
    permission: both

- name: Offboarding - take everything away
  mailops.hosted_exchange.mailbox_permission:
    domain: example.com
    mailbox: support
    grantee: pat.jones@example.com
    state: absent
'''

RETURN = r'''
grantee:
  description: The grantee's full address, lower case.
  returned: success
  type: str
  sample: alex.smith@example.com
permission:
  description: The grantee's permission after the task (null when none); in check mode, as it would be.
  returned: success
  type: str
  sample: full_access
permissions:
  description: Every grant on the mailbox after the task, sorted by grantee.
  returned: success
  type: list
  elements: dict
  sample:
    - grantee: alex.smith@example.com
      permission: full_access
plan_digest:
  description:
    - The digest of the writes the task plans (in check mode, the writes a real run would send), the same kind of
      digest M(mailops.hosted_exchange.mailbox_roster) returns. A role made of several tasks can pin its whole plan
      with them - the offboard role of this collection does, for an AWX approval between a check job and an apply job.
  returned: always
  type: str
  sample: sha256:9b1f...
  version_added: 0.3.0
'''

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.permission import run
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import run_module


def main():
    argument_spec = dict(
        mailbox=dict(type='str', required=True),
        domain=dict(type='str', required=True),
        grantee=dict(type='str', required=True),
        permission=dict(type='str', choices=['full_access', 'send_as', 'both']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    run_module(run, argument_spec, required_if=[('state', 'present', ('permission',))])


if __name__ == '__main__':
    main()
