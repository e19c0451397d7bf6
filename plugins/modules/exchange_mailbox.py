#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: exchange_mailbox
short_description: Create, update, disable and remove a hosted Exchange mailbox
version_added: 0.1.0
description:
  - Makes one hosted Exchange mailbox match the task at Rackspace, Hostway or Odin / CloudBlue
    Operations Automation.
  - Options left unset are not managed. The module reads the mailbox, compares it with the options
    the task sets and sends only the difference, so a second identical run changes nothing.
  - Each option says which providers honour it. A task that sets an option its provider cannot
    honour fails before any request is sent.
author:
  - Mailops Engineering (@mailops)
extends_documentation_fragment:
  - mailops.hosted_exchange.connection
  - mailops.hosted_exchange.attributes
options:
  name:
    description:
      - The mailbox name, the part of its address before the C(@).
      - 1 to 64 letters, digits, C(.), C(_) or C(-), starting with a letter or digit, without C(..) or
        a final C(.). Anything else fails before any request.
    type: str
    required: true
  domain:
    description:
      - The domain the mailbox belongs to. It must be a domain of the O(account); an unknown domain is
        an error (in check mode too), never read as "no such mailbox".
    type: str
    required: true
  state:
    description:
      - V(present) creates the mailbox if needed and sets the options given.
      - V(absent) deletes the mailbox and all its contents permanently. A mailbox that does not exist
        is no change, but an unknown domain or account is an error.
      - V(disabled) keeps the mailbox and its contents and cuts every access the provider's API can cut,
        together with the other options given (for example O(forwarding_address)) - the offboarding step
        before removal. The mailbox must exist. What stays possible is returned as RV(access_kept) and
        named in a warning.
      - V(disabled) per provider - rackspace sets O(enabled=false); odin switches O(owa), O(mapi), O(imap4),
        O(pop3) and ActiveSync off (the service user keeps its login); hostway's API can neither disable a
        mailbox nor switch a protocol off, so the task fails before any request (a new random O(password) with
        O(update_password=always) is how to cut a Hostway login).
    type: str
    choices: [present, absent, disabled]
    default: present
  display_name:
    description:
      - The name shown in the address book.
      - Needed to create a mailbox on Rackspace.
      - Providers - rackspace, hostway, odin (only at creation, and not with O(service_user_id)).
    type: str
  password:
    description:
      - The mailbox password. Passwords cannot be read back, so see O(update_password).
      - Needed to create a mailbox on Rackspace and Hostway; Odin generates one when it is left out.
      - Never shown in output or diffs; a diff shows only that it changes.
      - Providers - rackspace, hostway, odin (only at creation, and not with O(service_user_id)).
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the mailbox is created.
      - V(always) sets it on every run, which therefore always reports C(changed).
      - V(always) per provider - rackspace sets it again each run; hostway refuses a password used before
        (the second run with the same password fails with Hostway's message, so give a new one each time);
        odin cannot change a password after creation, so V(always) fails on an existing mailbox.
    type: str
    choices: [on_create, always]
    default: on_create
  size:
    description:
      - Mailbox size (quota) in megabytes.
      - Needed to create a mailbox on Rackspace.
      - Providers - rackspace, odin (converted to kilobytes exactly; needed to create a mailbox).
      - An Odin mailbox whose limit is not a whole number of megabytes reads back as the exact fraction
        (for example V(1536.0009765625)) in RV(mailbox.size) and in diffs, so any whole V(size) is a change there.
    type: int
  enabled:
    description:
      - Whether the mailbox is enabled. Disabling keeps the mailbox and its contents.
      - Providers - rackspace.
    type: bool
  hidden:
    description:
      - Whether the mailbox is hidden from the global address list.
      - Providers - rackspace, odin.
    type: bool
  public_folder_admin:
    description:
      - Whether the mailbox is a public folder administrator.
      - Providers - rackspace.
    type: bool
  directory_visible:
    description:
      - Whether the mailbox is visible in the provider's company directory.
      - Providers - rackspace.
    type: bool
  forwarding_address:
    description:
      - Forward incoming mail to this address. An empty string turns forwarding off.
      - Providers - rackspace, hostway.
    type: str
  save_forwarded_email:
    description:
      - Whether a copy of forwarded mail stays in the mailbox.
      - Providers - rackspace.
    type: bool
  first_name:
    description:
      - First name. Providers - rackspace, hostway.
    type: str
  last_name:
    description:
      - Last name. Providers - rackspace, hostway.
    type: str
  job_title:
    description:
      - Job title. Providers - rackspace, hostway.
    type: str
  company:
    description:
      - Company. Providers - rackspace, hostway.
    type: str
  department:
    description:
      - Department. Providers - rackspace, hostway.
    type: str
  business_phone:
    description:
      - Business phone number. Providers - rackspace.
    type: str
  home_phone:
    description:
      - Home phone number. Providers - rackspace, hostway.
    type: str
  mobile_phone:
    description:
      - Mobile phone number. Providers - rackspace, hostway.
    type: str
  fax:
    description:
      - Fax number. Providers - rackspace, hostway.
    type: str
  pager:
    description:
      - Pager number. Providers - rackspace.
    type: str
  street:
    description:
      - Street address. Providers - rackspace, hostway.
    type: str
  city:
    description:
      - City. Providers - rackspace, hostway.
    type: str
  state_province:
    description:
      - State or province. Providers - rackspace, hostway.
    type: str
  postal_code:
    description:
      - Zip or postal code. Providers - rackspace, hostway.
    type: str
  country:
    description:
      - Country. Providers - rackspace, hostway.
    type: str
  notes:
    description:
      - Free-text notes. Providers - rackspace.
    type: str
  custom_id:
    description:
      - A custom identifier, for example the employee number in the HR system. Providers - rackspace.
    type: str
  primary_address:
    description:
      - The primary e-mail address (the one mail is sent from). Defaults to O(name)@O(domain) when
        the mailbox is created.
      - Providers - odin.
    type: str
  owa:
    description:
      - Whether Outlook on the web (OWA) access is enabled. Providers - odin (on when a mailbox is created without it).
    type: bool
  mapi:
    description:
      - Whether Outlook (MAPI) access is enabled. Providers - odin (on when a mailbox is created without it).
    type: bool
  imap4:
    description:
      - Whether IMAP4 access is enabled. Providers - odin (on when a mailbox is created without it).
    type: bool
  pop3:
    description:
      - Whether POP3 access is enabled. Providers - odin (on when a mailbox is created without it).
    type: bool
  login:
    description:
      - Login of the service user Odin creates for the mailbox (reused if it exists). Defaults to the
        mailbox address. Used only when the mailbox is created.
      - Mutually exclusive with O(service_user_id).
      - Providers - odin.
    type: str
  service_user_id:
    description:
      - ID of an existing Odin service user to give the mailbox to, instead of creating one.
        Used only when the mailbox is created.
      - Providers - odin.
    type: int
notes:
  - "Provider support matrix: every option above ends with the providers that honour it.
    Options not listed for a provider fail on that provider before any request."
  - Deleting a mailbox is permanent at every provider.
seealso:
  - module: mailops.hosted_exchange.mailbox_info
  - module: mailops.hosted_exchange.mailbox_alias
'''

EXAMPLES = r'''
- name: Create a mailbox for a new hire (Rackspace)
  mailops.hosted_exchange.exchange_mailbox:
    provider: rackspace
    api_user: "{{ rackspace_user_key }}"
    api_secret: "{{ rackspace_secret_key }}"
    domain: example.com
    name: alex.smith
    display_name: Alex Smith
    password: "{{ initial_password }}"
    size: 2048
    first_name: Alex
    last_name: Smith
    department: Finance
    custom_id: E-1042

- name: Offboard a leaver - disable and forward, keep the mail
  mailops.hosted_exchange.exchange_mailbox:
    domain: example.com
    name: pat.jones
    enabled: false
    forwarding_address: manager@example.com
    save_forwarded_email: true

- name: Offboard a leaver on any provider - cut every access the API can cut, keep the mail
  mailops.hosted_exchange.exchange_mailbox:
    domain: example.com
    name: pat.jones
    state: disabled
  register: leaver

- name: Remove the mailbox later
  mailops.hosted_exchange.exchange_mailbox:
    domain: example.com
    name: pat.jones
    state: absent

- name: Set the connection once for several tasks (AWX credentials can instead set HOSTED_EXCHANGE_* variables)
  module_defaults:
    group/mailops.hosted_exchange.hosted_exchange:
      provider: odin
      api_url: https://oa.example.com:8440/RPC2
      account: "1000042"
  block:
    - name: Turn off POP3 and IMAP4
      mailops.hosted_exchange.exchange_mailbox:
        domain: example.com
        name: alex.smith
        pop3: false
        imap4: false
'''

RETURN = r'''
mailbox:
  description:
    - The mailbox after the task, in the collection's canonical model; in check mode, the predicted state.
    - Empty when the mailbox is absent. Never contains the password.
    - A field the provider cannot read is left out, never returned as empty or a default (for example
      C(aliases) on hostway); M(mailops.hosted_exchange.mailbox_info) lists them per provider in
      RV(mailops.hosted_exchange.mailbox_info#module:capabilities.unreadable).
  returned: always
  type: dict
  sample:
    name: alex.smith
    domain: example.com
    address: alex.smith@example.com
    display_name: Alex Smith
    size: 2048
    enabled: true
    hidden: false
    first_name: Alex
    last_name: Smith
    forwarding_address: ""
    primary_address: alex.smith@example.com
    aliases: [asmith@example.com]
    activesync: false
  contains:
    name:
      description: Mailbox name.
      type: str
      returned: when present
    domain:
      description: Domain.
      type: str
      returned: when present
    address:
      description: O(name)@O(domain), lower case.
      type: str
      returned: when present
    primary_address:
      description: The primary e-mail address.
      type: str
      returned: when present
    aliases:
      description: The other e-mail addresses of the mailbox.
      type: list
      elements: str
      returned: when the provider can read them (not on hostway, whose API cannot)
    activesync:
      description: Whether ActiveSync is attached.
      type: bool
      returned: when present
    size:
      description: Mailbox size in megabytes (a float on odin when the limit is not whole megabytes).
      type: raw
      returned: when present
    current_usage:
      description: Space used, in megabytes, where the provider reports it.
      type: int
      returned: when present and reported by the provider
access_kept:
  description:
    - With O(state=disabled), what the mailbox can still do because the provider's API cannot cut it.
  returned: when O(state=disabled)
  type: list
  elements: str
  version_added: 0.2.0
  sample: ["the service user itself (its login and password cannot be changed through the API)"]
diff:
  description: Before and after of only the options the task sets, plus C(state); a password shows as a marker.
  returned: in diff mode
  type: dict
  sample:
    before: {display_name: Alex Smith, state: present}
    after: {display_name: Alex J. Smith, state: present}
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

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.mailbox import mailbox_option_spec, run
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import run_module


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        domain=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent', 'disabled']),
        password=dict(type='str', no_log=True),
        update_password=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
    )
    argument_spec.update(mailbox_option_spec())
    run_module(run, argument_spec, mutually_exclusive=[('login', 'service_user_id')])


if __name__ == '__main__':
    main()
