#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: mailbox_roster
short_description: Reconcile every mailbox of a domain with a list, in one task
version_added: 0.2.0
description:
  - Makes the mailboxes of one domain match a list - an HR export of hundreds or thousands of people -
    in one task and one process, for every provider, through the same provider clients as the other modules.
  - Each entry of O(mailboxes) is created when missing, and its settings, O(mailboxes[].aliases) and
    O(mailboxes[].activesync) are set where they differ. O(delegates) grants (or revokes) permissions on
    mailboxes of the domain. O(unlisted) says what happens to mailboxes of the domain the list does not name.
  - "Requests are kept at the floor: one listing of the domain (paged at the provider's maximum), a full
    read only of the listed mailboxes whose entry asks for more than the listing carries, and each
    delegated mailbox's permission list once. No read is repeated within the task.
    Rackspace's listing carries the display name, size and ActiveSync; Odin's the display name and primary
    address; Hostway's only the names (each entry costs one read there)."
  - Writes are paced inside the provider's documented rate limits (see O(max_reads_per_minute)).
  - A value of the wrong type in any entry (a text where O(mailboxes[].size) wants a number) fails the task before
    any request, as Ansible checks the whole list first; fix the export that produced it.
  - Options a provider cannot honour fail before any request, naming the entries that set them. An entry with
    a bad value (an invalid name or alias, a password the provider's rules refuse, a grantee that does not
    exist) fails alone before anything is sent for it; every other entry is still done. The task then fails,
    naming each entry that failed and why, and still returns what was done.
  - Authentication failures, an unknown domain or account, and outlasted retries stop the task at once -
    no other entry could succeed.
  - "Before anything is sent, the whole list is checked across rows: a name listed twice, and an address two rows
    claim (one row's address as another's alias, one alias on two rows), fail the rows involved; so does an alias or
    a new mailbox's address that another mailbox already holds (in the listing, or read for a row) unless this plan
    releases it there. Check mode finds all of these as a real run does."
  - "What the plan takes away - mailboxes disabled or removed by O(unlisted), aliases removed by O(exclusive_aliases),
    permissions reduced or revoked by O(delegates) - is fail-safe. It is held back, and the task fails saying why,
    when any row of O(mailboxes) or O(delegates) failed its checks or its planning (a row that failed may name what
    would be taken away), or when the plan prunes more than O(prune_limit) allows. Additions of valid rows still
    apply. Held steps are listed in RV(held)."
  - "Steps run in a safe order: an address is released before it is given to someone else (an alias moves between
    two people in one run), mailboxes are created before anything is set on them or granted to them, and whatever is
    taken away comes last. Two rows naming one grant merge into one write (the union of their permissions)."
author:
  - Mailops Engineering (@mailops)
extends_documentation_fragment:
  - mailops.hosted_exchange.connection
  - mailops.hosted_exchange.attributes
options:
  domain:
    description:
      - The domain whose mailboxes the list describes. An unknown domain or account is an error.
    type: str
    required: true
  mailboxes:
    description:
      - The mailboxes that should exist, each with the M(mailops.hosted_exchange.exchange_mailbox) options
        it manages (options left out are not managed), plus O(mailboxes[].aliases) and O(mailboxes[].activesync).
      - Names are unique in the list (compared case-insensitively).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The mailbox name, the part of its address before the C(@) (1 to 64 letters, digits, C(.),
            C(_) or C(-), starting with a letter or digit).
        type: str
        required: true
      display_name:
        description:
          - The name shown in the address book.
          - Needed to create a mailbox on Rackspace.
          - Providers - rackspace, hostway, odin (only at creation, and not with O(mailboxes[].service_user_id)).
        type: str
      size:
        description:
          - Mailbox size (quota) in megabytes.
          - Needed to create a mailbox on Rackspace.
          - Providers - rackspace, odin (converted to kilobytes exactly; needed to create a mailbox).
          - An Odin mailbox whose limit is not a whole number of megabytes reads back as the exact fraction (for example
            V(1536.0009765625)) in diffs and RV(changes), so any whole V(size) is a change there.
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
          - The primary e-mail address (the one mail is sent from). Defaults to O(mailboxes[].name)@O(domain) when the mailbox is created.
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
          - Login of the service user Odin creates for the mailbox (reused if it exists). Defaults to the mailbox address.
            Used only when the mailbox is created.
          - Mutually exclusive with O(mailboxes[].service_user_id).
          - Providers - odin.
        type: str
      service_user_id:
        description:
          - ID of an existing Odin service user to give the mailbox to, instead of creating one. Used only when the mailbox
            is created.
          - Providers - odin.
        type: int
      aliases:
        description:
          - Extra e-mail addresses the mailbox should have (added where missing).
          - With O(exclusive_aliases=true), aliases not listed here are removed.
          - Providers - rackspace, odin.
        type: list
        elements: str
      activesync:
        description:
          - Whether ActiveSync should be attached (V(true)) or detached (V(false)).
          - Providers - rackspace, odin.
        type: bool
  delegates:
    description:
      - Permissions of a grantee on a mailbox of the domain (listed or not).
      - By default a grant adds what it names and removes nothing else (a grantee with C(send_as)
        asked for C(full_access) ends with C(both)); see O(delegates_mode).
      - Providers - rackspace, odin.
    type: list
    elements: dict
    default: []
    suboptions:
      mailbox:
        description:
          - The name of the mailbox the permission is on (the shared mailbox).
        type: str
        required: true
      grantee:
        description:
          - Who gets the permission - a mailbox name of the same domain, or a full address.
        type: str
        required: true
      permission:
        description:
          - The permission. Required with O(delegates[].state=present). With O(delegates[].state=absent),
            what to take away (all when unset).
        type: str
        choices: [full_access, send_as, both]
      state:
        description:
          - Whether the grantee should hold O(delegates[].permission) or not.
        type: str
        choices: [present, absent]
        default: present
  password:
    description:
      - The initial password of the mailboxes this task creates; never sent to an existing mailbox.
      - Checked against the provider's password rules (Rackspace and Hostway) before any request.
      - Needed to create a mailbox on Rackspace and Hostway; Odin generates one when it is left out.
      - Never shown in output or diffs; a diff shows only that a new mailbox gets one.
    type: str
  exclusive_aliases:
    description:
      - Remove the aliases of a listed mailbox that its entry does not name (entries without
        O(mailboxes[].aliases) are left alone).
      - On odin the address the collection finds a mailbox by (its name at the domain) is kept, with a warning.
    type: bool
    default: false
  delegates_mode:
    description:
      - V(add) - a grant adds the rights it names to what the grantee holds; nothing else changes.
      - V(exact) - each listed grantee holds exactly the permission listed (a C(send_as) granted by
        someone else to a grantee listed with C(full_access) is taken away); other grantees are left alone.
      - V(exclusive) - as V(exact), and grantees not listed lose their permissions on each mailbox named in
        O(delegates).
    type: str
    choices: [add, exact, exclusive]
    default: add
  unlisted:
    description:
      - What to do with mailboxes of the domain that no entry names (the leavers nobody offboarded).
        Mailboxes named in O(delegates) and those matching O(unlisted_keep) count as listed.
      - V(ignore) - nothing (they are not even looked for).
      - V(report) - return their names in RV(unlisted).
      - V(disable) - cut their access as M(mailops.hosted_exchange.exchange_mailbox) O(mailops.hosted_exchange.exchange_mailbox#module:state=disabled)
        does (rackspace, odin; one read per unlisted mailbox).
      - V(remove) - delete them, with all their mail. Permanent.
      - On hostway, whose listing also names mailboxes of its older mail platform, each unlisted name costs one
        read to check it is a hosted Exchange mailbox.
    type: str
    choices: [ignore, report, disable, remove]
    default: ignore
  unlisted_keep:
    description:
      - Names (shell-style patterns such as V(svc-*)) of mailboxes that O(unlisted) never reports or touches -
        service, admin and room mailboxes the HR list does not know.
    type: list
    elements: str
    default: []
  prune_limit:
    description:
      - The most one run may prune - take away because the list no longer names it - as a count (V(25)), a share
        (V(10%)), or both (V(10%, 500) - the smaller of the two), counted apart for mailboxes (disabled or removed by
        O(unlisted), out of the domain's hosted Exchange mailboxes), aliases (removed by O(exclusive_aliases), out of
        the aliases the listed mailboxes hold) and grants (revoked by O(delegates_mode=exclusive), out of the grants
        on the delegated mailboxes). A share rounds up (10% of 5 is 1).
      - The default protects a 10-mailbox domain (at most 1 in a run) and a 10,000-mailbox one (at most 500, the
        threshold Microsoft Entra Connect uses) alike.
      - Where the listing also names mailboxes of other kinds (hostway's older platform), the share counts only
        those read and found to be hosted Exchange mailboxes.
      - Above it nothing at all is taken away and the task fails, naming the counts and this option - as Microsoft
        Entra Connect refuses an export that deletes more than its threshold. Check mode fails the same way.
      - An alias moving from one listed mailbox to another is not a prune. V(0) allows no prune; V(100%) lifts the
        limit.
    type: str
    default: 10%, 500
    version_added: 0.3.0
  plan_digest:
    description:
      - The RV(plan_digest) of an approved check run. The task applies only when the plan it computes afresh has
        the same digest; otherwise it fails before any write, showing its own plan, and nothing is changed - the
        rule of Terraform's saved plans, for an AWX approval node between a check job and an apply job
        (see the AWX guide).
      - A digest covers every write of the plan (with the values it compares against) and the rows that failed;
        any change at the provider or in the list since the check run makes it stale.
    type: str
    version_added: 0.3.0
  batch:
    description:
      - Apply only one batch of O(mailboxes) - rows (O(batch.number) - 1) x O(batch.size) + 1 to
        O(batch.number) x O(batch.size) - in this task, so a loop over the batches shows progress in the job output
        (one line per batch) during a long run. The roles of this collection do so.
      - The whole list is still checked across rows (a name listed twice, an address two rows claim); only the
        batch's rows are read, planned, applied and reported. A delegate goes with the later of its grantee's and its
        mailbox's rows (the first batch when neither is a row). O(unlisted=report) is reported by the last batch,
        every row of the list counting as listed.
      - Each batch reads the domain listing again (one page per 250 or 400 mailboxes), so a batch should hold more
        rows than the listing has pages many times over to keep the requests close to the floor; the onboard role
        sizes its batches so.
      - What a run takes away is judged on the whole list. Pruning (O(unlisted=disable) or V(remove),
        O(exclusive_aliases), O(delegates_mode=exclusive)) is refused with a batch, and a permission a row would
        reduce or revoke (O(delegates_mode=exact), O(delegates[].state=absent)) is held (RV(held)) unless the batch
        is the whole list. RV(plan_digest) is the batch's own.
    type: dict
    suboptions:
      size:
        description: Rows per batch (at least 1).
        type: int
        required: true
      number:
        description: Which batch, from 1.
        type: int
        required: true
    version_added: 0.3.0
notes:
  - Check mode sends no write and reports exactly the RV(created), RV(updated), RV(unchanged), RV(unlisted),
    RV(disabled), RV(removed), RV(delegates), RV(held), RV(failed_entries) and C(changed) a real run would, with a
    diff per changed mailbox (only the fields the list manages; never a password). Only what the provider alone
    decides (a display name its rules refuse, an address held by a mailbox nobody listed) shows first in a real run.
  - "Request floor, reads of a run that changes nothing (N listed mailboxes, D mailboxes named in
    O(delegates)) - rackspace - ceil(domain size / 250) listing pages + one read per mailbox whose entry sets
    more than C(display_name), C(size) and O(mailboxes[].activesync) + the permission pages of the D mailboxes
    (250 grants a page); odin - 1 listing call + one C(getMailboxInfo) per mailbox whose entry sets more than
    C(display_name) and C(primary_address) + one C(getEmailAddresses) per mailbox with O(mailboxes[].aliases)
    + 2 calls per delegated mailbox; hostway - ceil(domain size / 400) listing pages + one read per listed
    mailbox (+ one for its forwarding where O(mailboxes[].forwarding_address) is set)."
  - The mailboxes of one domain should be managed by one roster task at a time.
seealso:
  - module: mailops.hosted_exchange.exchange_mailbox
  - module: mailops.hosted_exchange.mailbox_info
  - name: community.dns record set modules
    description: The model for one task that synchronises a whole set, with a prune option for what is not listed.
    link: https://docs.ansible.com/ansible/latest/collections/community/dns/index.html
"""

EXAMPLES = r"""
- name: Onboard the HR list in one task
  mailops.hosted_exchange.mailbox_roster:
    provider: rackspace
    domain: example.com
    password: "{{ vault_initial_password }}"
    mailboxes:
      - name: alex.smith
        display_name: Alex Smith
        size: 2048
        first_name: Alex
        last_name: Smith
        aliases: [alex@example.com]
        activesync: true
      - name: sam.lee
        display_name: Sam Lee
        size: 2048
    delegates:
      - {mailbox: support, grantee: alex.smith, permission: full_access}
      - {mailbox: support, grantee: sam.lee, permission: full_access}
  register: onboarding

- name: Leavers nobody listed are disabled - at most 5 in one run
  mailops.hosted_exchange.mailbox_roster:
    domain: example.com
    mailboxes: "{{ hr_export }}"
    unlisted: disable
    unlisted_keep: [admin, "svc-*"]
    prune_limit: "5"

- name: Apply exactly the plan an approver reviewed (the check job's RV(plan_digest), passed on with set_stats)
  mailops.hosted_exchange.mailbox_roster:
    domain: example.com
    mailboxes: "{{ hr_export }}"
    unlisted: remove
    plan_digest: "{{ approved_roster_digest }}"

- name: Weekly audit - who drifted, and which mailboxes nobody listed (run with --check --diff)
  mailops.hosted_exchange.mailbox_roster:
    domain: example.com
    mailboxes: "{{ hr_export }}"
    unlisted: report
    unlisted_keep: [admin, "svc-*", support]
  register: audit

- name: Build the list from a CSV export
  mailops.hosted_exchange.mailbox_roster:
    domain: example.com
    password: "{{ vault_initial_password }}"
    mailboxes: "{{ lookup('ansible.builtin.file', 'hires.csv') | community.general.from_csv
                   | map('combine', {'size': 2048}) | list }}"
"""

RETURN = r"""
domain:
  description: The domain, lower case.
  returned: always
  type: str
  sample: example.com
provider:
  description: The provider.
  returned: always
  type: str
  sample: rackspace
created:
  description: Names of the mailboxes created (in check mode, that would be created).
  returned: always
  type: list
  elements: str
  sample: [alex.smith]
updated:
  description: Names of the existing mailboxes changed (settings, aliases or ActiveSync).
  returned: always
  type: list
  elements: str
  sample: [sam.lee]
unchanged:
  description: Names of the listed mailboxes that were already right.
  returned: always
  type: list
  elements: str
  sample: [pat.jones]
failed_entries:
  description:
    - The entries that failed - mailbox names, C(delegate GRANTEE on MAILBOX) for delegates, and unlisted
      mailboxes that could not be disabled or removed. RV(errors) says why.
    - (Ansible reserves the key C(failed) of a task result for the task's own failure, so the names are here.)
  returned: always
  type: list
  elements: str
  sample: [o.brien]
errors:
  description: Why each entry of RV(failed_entries) failed, by entry.
  returned: always
  type: dict
  sample: {o.brien: "rackspace: o.brien@example.com: POST refused: Invalid display name (HTTP 400)"}
not_attempted:
  description: Entries left undone because the run stopped early (authentication refused, retries outlasted).
  returned: always
  type: list
  elements: str
  sample: []
unlisted:
  description:
    - Mailboxes of the domain that no entry names (empty with O(unlisted=ignore)).
    - With O(unlisted=disable), only those not yet disabled.
  returned: always
  type: list
  elements: str
  sample: [former.employee]
unlisted_action:
  description: The O(unlisted) value the task ran with.
  returned: always
  type: str
  sample: report
disabled:
  description: Unlisted mailboxes disabled (would be, in check mode).
  returned: when O(unlisted=disable)
  type: list
  elements: str
  sample: [former.employee]
removed:
  description: Unlisted mailboxes removed (would be, in check mode).
  returned: when O(unlisted=remove)
  type: list
  elements: str
  sample: [former.employee]
delegates:
  description:
    - The permission changes made (would be made, in check mode), per delegated mailbox and grantee, as
      C([before, after]) (C(null) - no permission).
    - Changed in 0.3.0 - a dict (it was a list of one dict per change), so a list of thousands stays small.
  returned: always
  type: dict
  sample:
    support:
      alex.smith@example.com: [null, full_access]
changes:
  description:
    - "Per existing mailbox that changes (would change, in check mode), only the fields that change, each as
      C([before, after]) - settings, C(aliases), C(activesync), and C(state) for an unlisted mailbox disabled
      or removed. Created mailboxes are named in RV(created), grants in RV(delegates); the diff (C(--diff)) shows
      the whole of what the list manages for the first 100 mailboxes."
    - Changed in 0.3.0 - only what changes, as pairs (it held the before and after of every managed field), so a
      list of thousands stays small.
  returned: always
  type: dict
  sample:
    sam.lee:
      display_name: [Sam Lee, Samuel Lee]
    former.employee:
      enabled: [true, false]
      state: [present, disabled]
errors_omitted:
  description:
    - How many failed rows RV(errors) gives no reason for, to keep the result under AWX's limit on an event - only
      when thousands of rows fail at once (about 150,000 characters of reasons; with O(batch), each batch its
      share). They are named in RV(failed_entries); the first reasons usually tell what is wrong with the list.
  returned: always
  type: int
  sample: 0
  version_added: 0.3.0
changes_omitted:
  description:
    - How many changed mailboxes RV(changes) leaves out, to keep the result under AWX's limit on an event - only
      when thousands drift in many fields at once (about 250,000 characters of changes; with O(batch), each batch
      its share). They are named in RV(updated), and a smaller list or a second run after the first is applied
      shows them.
  returned: always
  type: int
  sample: 0
  version_added: 0.3.0
plan:
  description:
    - Every write of the plan, one line each, in the order a real run sends them - C(release), C(create), C(update),
      C(alias_add), C(activesync), C(grant), C(change), C(alias_remove), C(revoke), C(disable), C(remove) - with
      what it changes; held steps end in C([held]). A password shows only as C(<changed>).
    - The first 100 writes (with O(batch), the batches share them), then a line counting the rest; RV(plan_digest)
      covers them all.
  returned: always
  type: list
  elements: str
  sample: ['create alex.smith: display_name="Alex Smith", password="<changed>", size=2048',
           'grant support: grantee="alex.smith@example.com", permission=[null,"full_access"]']
  version_added: 0.3.0
listed:
  description: How many mailboxes the domain's listing holds (on hostway, with its older platform's).
  returned: always
  type: int
  sample: 312
  version_added: 0.3.0
plan_digest:
  description: The digest of the plan (see O(plan_digest)), in check mode and in real runs alike.
  returned: always
  type: str
  sample: sha256:3f2a...
  version_added: 0.3.0
held:
  description:
    - The steps held back because a row was at fault or the plan pruned more than O(prune_limit) allows (the task
      then fails and says which); empty otherwise. They were not sent.
  returned: always
  type: list
  elements: str
  sample: ['remove former.employee [held]']
  version_added: 0.3.0
diff:
  description: One before/after per changed mailbox (and per delegated mailbox whose permissions change).
  returned: in diff mode
  type: list
  elements: dict
"""

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.mailbox import mailbox_option_spec
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.roster import UNLISTED_ACTIONS, run
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.runner import run_module


def main():
    entry_spec = dict(
        name=dict(type='str', required=True),
        aliases=dict(type='list', elements='str'),
        activesync=dict(type='bool'),
    )
    entry_spec.update(mailbox_option_spec())
    argument_spec = dict(
        domain=dict(type='str', required=True),
        mailboxes=dict(type='list', elements='dict', default=[], options=entry_spec),
        delegates=dict(type='list', elements='dict', default=[], options=dict(
            mailbox=dict(type='str', required=True),
            grantee=dict(type='str', required=True),
            permission=dict(type='str', choices=['full_access', 'send_as', 'both']),
            state=dict(type='str', default='present', choices=['present', 'absent']),
        )),
        password=dict(type='str', no_log=True),
        exclusive_aliases=dict(type='bool', default=False),
        delegates_mode=dict(type='str', default='add', choices=['add', 'exact', 'exclusive']),
        unlisted=dict(type='str', default='ignore', choices=list(UNLISTED_ACTIONS)),
        unlisted_keep=dict(type='list', elements='str', default=[]),
        prune_limit=dict(type='str', default='10%, 500'),
        plan_digest=dict(type='str'),
        batch=dict(type='dict', options=dict(size=dict(type='int', required=True),
                                             number=dict(type='int', required=True))),
    )
    run_module(run, argument_spec)


if __name__ == '__main__':
    main()
