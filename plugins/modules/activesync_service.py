#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: activesync_service
short_description: Attach or detach ActiveSync for a hosted Exchange mailbox
version_added: 0.1.0
description:
  - Attaches ActiveSync (mobile device access) to a mailbox or detaches it, and returns the setup
    information a user needs for their phone while it is attached.
author:
  - Mailops Engineering (@mailops)
extends_documentation_fragment:
  - mailops.hosted_exchange.connection
  - mailops.hosted_exchange.attributes
  - mailops.hosted_exchange.mailbox
options:
  state:
    description:
      - V(present) attaches ActiveSync; V(absent) detaches it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - "Provider support: rackspace, odin (Odin switches the mailbox's C(active_sync) flag and has no
    setup information to return). On hostway the module fails before any request; the Hostway API only
    reads the ActiveSync state, which M(mailops.hosted_exchange.mailbox_info) reports."
seealso:
  - module: mailops.hosted_exchange.mailbox_info
'''

EXAMPLES = r'''
- name: Give a new hire ActiveSync
  mailops.hosted_exchange.activesync_service:
    provider: rackspace
    domain: example.com
    mailbox: alex.smith
  register: activesync

- name: Show the phone setup
  ansible.builtin.debug:
    msg: "Server {{ activesync.activesync.server_address }}, user {{ activesync.activesync.user_name }}"

- name: Offboarding - detach ActiveSync
  mailops.hosted_exchange.activesync_service:
    domain: example.com
    mailbox: pat.jones
    state: absent
'''

RETURN = r'''
enabled:
  description: Whether ActiveSync is attached after the task (in check mode, as it would be).
  returned: success
  type: bool
  sample: true
activesync:
  description:
    - Setup information while ActiveSync is attached, empty otherwise (and in check mode before it is attached).
    - Rackspace returns all the keys below; Odin has no setup information and returns C(enabled) only.
  returned: success
  type: dict
  sample:
    email_address: alex.smith@example.com
    server_address: mex07a.emailsrvr.com
    user_name: alexsmith1234
    domain_address: mex07a.mlsrvr.com
  contains:
    email_address:
      description: The mailbox address.
      type: str
      returned: when attached, on rackspace
    server_address:
      description: The server to enter on the device.
      type: str
      returned: when attached, on rackspace
    user_name:
      description: The user name to enter on the device.
      type: str
      returned: when attached, on rackspace
    domain_address:
      description: The domain to enter on the device.
      type: str
      returned: when attached, on rackspace
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

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.activesync import run
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import run_module


def main():
    argument_spec = dict(
        mailbox=dict(type='str', required=True),
        domain=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    run_module(run, argument_spec)


if __name__ == '__main__':
    main()
