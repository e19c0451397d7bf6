#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: mailbox_info
short_description: Read hosted Exchange mailboxes of a domain, or one mailbox in full
version_added: 0.1.0
description:
  - Returns one mailbox with full details, or every mailbox of a domain that matches the filters.
  - Pages through the provider's list internally; the result is always complete.
  - Records use the same canonical field names as M(mailops.hosted_exchange.exchange_mailbox) for every provider.
author:
  - Mailops Engineering (@mailops)
extends_documentation_fragment:
  - mailops.hosted_exchange.connection
  - mailops.hosted_exchange.attributes.INFO_MODULE
options:
  domain:
    description:
      - The domain to read. An unknown domain or account is an error, never an empty result.
      - Without it, the module sends no request and returns only RV(capabilities) - what the provider
        can do, for roles and playbooks to ask instead of keeping their own table.
    type: str
  name:
    description:
      - Read only this mailbox, with full details. The result is empty when it does not exist.
    type: str
  enabled:
    description:
      - Only mailboxes that are enabled (V(true)) or disabled (V(false)).
      - Providers - rackspace.
    type: bool
  name_startswith:
    description:
      - Only mailboxes whose name starts with this text.
      - Providers - rackspace, hostway.
    type: str
  name_contains:
    description:
      - Only mailboxes whose name contains this text.
      - Providers - rackspace, hostway.
    type: str
  fields:
    description:
      - Extra columns for each mailbox of a domain listing, besides name and display name.
      - Providers - rackspace (all), hostway (V(size)), odin (V(current_usage); V(size) and V(activesync) with one more read per mailbox).
    type: list
    elements: str
    choices: [size, current_usage, activesync, blackberry]
    default: []
  details:
    description:
      - Read each listed mailbox in full (one more read per mailbox).
    type: bool
    default: false
  include:
    description:
      - Add these to each mailbox; implies O(details=true).
      - V(aliases) the other e-mail addresses; V(activesync) whether ActiveSync is attached and its setup
        information (C(activesync_info)); V(permissions) who may act on the mailbox (one more read per mailbox).
      - Providers - rackspace (all), odin (all), hostway (V(activesync)).
    type: list
    elements: str
    choices: [aliases, permissions, activesync]
    default: []
  sort_by:
    description:
      - Sort the result by this field.
    type: str
    choices: [name, size]
  sort_order:
    description:
      - Sort order for O(sort_by).
    type: str
    choices: [asc, desc]
    default: asc
notes:
  - Options not listed for a provider fail on that provider before any request.
seealso:
  - module: mailops.hosted_exchange.exchange_mailbox
'''

EXAMPLES = r'''
- name: Read one mailbox in full
  mailops.hosted_exchange.mailbox_info:
    provider: rackspace
    domain: example.com
    name: alex.smith
  register: alex

- name: List the disabled mailboxes of a domain with their size and usage
  mailops.hosted_exchange.mailbox_info:
    domain: example.com
    enabled: false
    fields: [size, current_usage]
  register: leavers

- name: Ask what the provider can do (no request is sent)
  mailops.hosted_exchange.mailbox_info:
  register: provider_info

- name: Audit delegates and ActiveSync of everybody in sales
  mailops.hosted_exchange.mailbox_info:
    domain: example.com
    name_startswith: sales
    include: [aliases, permissions, activesync]
  register: audit
'''

RETURN = r'''
mailboxes:
  description:
    - The mailboxes found, in the canonical model. Listing entries carry C(name), C(domain), C(address),
      C(display_name) and the O(fields) asked for; full records (O(name), O(details), O(include)) carry
      every field M(mailops.hosted_exchange.exchange_mailbox) returns.
    - What the provider cannot read is left out of every record - unknown, never an empty list or a default
      value (for example C(aliases) on hostway, whose API has no way to read them); RV(capabilities.unreadable)
      lists those fields. A value the provider answers in the wrong shape fails the task, naming the field and
      the mailbox.
  returned: always
  type: list
  elements: dict
  sample:
    - name: alex.smith
      domain: example.com
      address: alex.smith@example.com
      display_name: Alex Smith
      size: 2048
count:
  description: How many mailboxes were found.
  returned: always
  type: int
  sample: 1
capabilities:
  description:
    - What the provider can do, as the collection's provider client says it - the one source of truth the
      roles and playbooks of this collection ask.
  returned: always
  type: dict
  version_added: 0.2.0
  contains:
    provider:
      description: The provider.
      type: str
    mailbox_options:
      description: The M(mailops.hosted_exchange.exchange_mailbox) options it honours.
      type: list
      elements: str
    entry_options:
      description: Everything a M(mailops.hosted_exchange.mailbox_roster) entry may carry on any provider (the
        same for every provider; what this one honours is RV(capabilities.mailbox_options) and RV(capabilities.modules)).
      type: list
      elements: str
    create_requires:
      description: What creating a mailbox needs besides its name.
      type: list
      elements: str
    update_immutable:
      description: Options it can set only when creating a mailbox.
      type: list
      elements: str
    password_updatable:
      description: Whether O(mailops.hosted_exchange.exchange_mailbox#module:update_password=always) can change an existing password.
      type: bool
    modules:
      description: Which of C(alias), C(permission), C(activesync) (the modules M(mailops.hosted_exchange.mailbox_alias),
        M(mailops.hosted_exchange.mailbox_permission), M(mailops.hosted_exchange.activesync_service)) it serves.
      type: list
      elements: str
    info_options:
      description: The options of this module it honours.
      type: list
      elements: str
    info_includes:
      description: The O(include) values it honours.
      type: list
      elements: str
    listing_fields:
      description: The fields a listing of a domain carries without a read per mailbox.
      type: list
      elements: str
    can_disable:
      description: Whether O(mailops.hosted_exchange.exchange_mailbox#module:state=disabled) can cut any access.
      type: bool
    disable:
      description: The settings O(mailops.hosted_exchange.exchange_mailbox#module:state=disabled) applies.
      type: dict
    access_kept_when_disabled:
      description: What a disabled mailbox can still do because the API cannot cut it.
      type: list
      elements: str
    rate_limits:
      description: The documented rate limits the client paces itself inside (requests a minute), by kind.
      type: dict
    max_size_mb:
      description: The largest mailbox size (MB) the API can carry, where it has a bound (odin), else null.
      type: int
    unreadable:
      description:
        - The fields of a full mailbox record the provider's API cannot read, so they are never in a record it
          returns (unknown, not empty) - for example C(aliases) on hostway; on odin the contact fields and
          forwarding; on rackspace the protocol switches.
      type: list
      elements: str
      version_added: 0.3.0
  sample:
    provider: hostway
    mailbox_options: [city, company, country, department, display_name, fax, first_name, forwarding_address]
    create_requires: [password]
    modules: []
    can_disable: false
    unreadable: [aliases, business_phone, current_usage, custom_id, directory_visible, enabled, hidden]
'''

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.info import run
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import run_module


def main():
    argument_spec = dict(
        domain=dict(type='str'),
        name=dict(type='str'),
        enabled=dict(type='bool'),
        name_startswith=dict(type='str'),
        name_contains=dict(type='str'),
        fields=dict(type='list', elements='str', default=[], choices=['size', 'current_usage', 'activesync', 'blackberry']),
        details=dict(type='bool', default=False),
        include=dict(type='list', elements='str', default=[], choices=['aliases', 'permissions', 'activesync']),
        sort_by=dict(type='str', choices=['name', 'size']),
        sort_order=dict(type='str', default='asc', choices=['asc', 'desc']),
    )
    run_module(run, argument_spec, mutually_exclusive=[('name_startswith', 'name_contains'),
                                                       ('name', 'name_startswith'), ('name', 'name_contains')])


if __name__ == '__main__':
    main()
