#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: mailbox_alias
short_description: Manage the extra e-mail addresses (aliases) of a hosted Exchange mailbox
version_added: 0.1.0
description:
  - Adds or removes e-mail addresses that deliver to an existing mailbox, besides its primary address.
  - Addresses are compared case-insensitively. With O(exclusive=true) the list becomes the mailbox's
    complete set of aliases.
  - The primary address is never removed; asking to remove it is an error.
  - An address on another domain than the mailbox's is accepted only where the provider accepts it
    (Rackspace and Odin, for domains of the same account); otherwise the provider's message is returned.
author:
  - Mailops Engineering (@mailops)
extends_documentation_fragment:
  - mailops.hosted_exchange.connection
  - mailops.hosted_exchange.attributes
  - mailops.hosted_exchange.mailbox
options:
  aliases:
    description:
      - Full e-mail addresses, for example V(alex@example.com).
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) adds the addresses that are missing; V(absent) removes the ones listed.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), also remove the aliases that are not listed. The primary address stays.
    type: bool
    default: false
notes:
  - "Provider support: rackspace, odin. On hostway the module fails before any request
    (the Hostway Email API has no way to read a mailbox's aliases, so it cannot be idempotent)."
seealso:
  - module: mailops.hosted_exchange.exchange_mailbox
'''

EXAMPLES = r'''
- name: Give a new hire a short alias
  mailops.hosted_exchange.mailbox_alias:
    provider: rackspace
    domain: example.com
    mailbox: alex.smith
    aliases:
      - alex@example.com

- name: Make these the only aliases of the mailbox
  mailops.hosted_exchange.mailbox_alias:
    domain: example.com
    mailbox: alex.smith
    aliases: [alex@example.com, a.smith@example.com]
    exclusive: true

- name: Remove an alias
  mailops.hosted_exchange.mailbox_alias:
    domain: example.com
    mailbox: alex.smith
    aliases: [a.smith@example.com]
    state: absent
'''

RETURN = r'''
aliases:
  description: The mailbox's aliases after the task (in check mode, as they would be), lower case, sorted.
  returned: success
  type: list
  elements: str
  sample: [alex@example.com]
addresses:
  description: Every address of the mailbox after the task, the primary address first.
  returned: success
  type: list
  elements: str
  sample: [alex.smith@example.com, alex@example.com]
added:
  description: The aliases the task added (or would add in check mode).
  returned: success
  type: list
  elements: str
  sample: [alex@example.com]
removed:
  description: The aliases the task removed (or would remove in check mode).
  returned: success
  type: list
  elements: str
  sample: []
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

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.alias import run
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import run_module


def main():
    argument_spec = dict(
        mailbox=dict(type='str', required=True),
        domain=dict(type='str', required=True),
        aliases=dict(type='list', elements='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        exclusive=dict(type='bool', default=False),
    )
    run_module(run, argument_spec)


if __name__ == '__main__':
    main()
