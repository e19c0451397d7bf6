# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""drift_report, drift_report_markdown: what a check-mode mailbox_roster run found, for a person to read."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError

STATE = 'state'


def _shown(value):
    if value is None or value == '' or value == []:
        return '-'
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, list):
        return ', '.join(str(item) for item in value)
    return str(value)


def _rows(name, change):
    """(mailbox, field, now, should be) rows of one mailbox's change: mailbox_roster's {field: [before, after]}."""
    state = change.get(STATE) or [None, None]
    if state[1] == 'absent':
        return [(name, 'mailbox', 'present', 'to be removed')]
    rows = [(name, field, _shown(values[0]), _shown(values[1])) for field, values in sorted(change.items())
            if field not in (STATE, 'password')]
    if state[1] == 'disabled':
        rows.append((name, 'access', 'enabled', 'to be disabled'))
    return rows


def _grant_rows(delegates):
    """Rows of the permission changes, from mailbox_roster's delegates ({mailbox: {grantee: [before, after]}})."""
    rows = []
    for mailbox, grants in sorted((delegates or {}).items()):
        for grantee, (before, after) in sorted(grants.items()):
            rows.append((mailbox, 'permission of %s' % grantee, _shown(before), _shown(after)))
    return rows


def _merged(results):
    """The results of one domain as one: a roster run in batches (the roles' loop) reports a domain in parts."""
    domains = {}
    for result in results:
        if not isinstance(result, dict) or ('changes' not in result and 'msg' not in result):
            raise AnsibleFilterError('drift_report expects registered mailbox_roster results (with changes)')
        if 'changes' not in result:
            # A run refused as a whole (a batch stopped by the credentials, say): the report says so.
            args = (result.get('invocation') or {}).get('module_args') or {}
            result = {'domain': args.get('domain'), 'provider': args.get('provider'), 'failed_entries': ['(the task)'],
                      'errors': {'(the task)': result['msg']}}
        key = (result.get('domain'), result.get('provider'))
        if key not in domains:
            domains[key] = {'domain': result.get('domain'), 'provider': result.get('provider'), 'changes': {},
                            'delegates': {}, 'created': [], 'updated': [], 'unchanged': [], 'unlisted': [],
                            'failed_entries': [], 'errors': {}, 'changes_omitted': 0}
        merged = domains[key]
        merged['changes'].update(result.get('changes') or {})
        for mailbox, grants in (result.get('delegates') or {}).items():
            merged['delegates'].setdefault(mailbox, {}).update(grants)
        for name in ('created', 'updated', 'unchanged', 'unlisted', 'failed_entries'):
            merged[name].extend(item for item in result.get(name) or [] if item not in merged[name])
        merged['errors'].update(result.get('errors') or {})
        merged['changes_omitted'] += result.get('changes_omitted') or 0
    return list(domains.values())


def drift_report(results):
    """One entry per domain: who drifted in what, who is missing, who nobody listed, what failed."""
    if isinstance(results, dict):
        # A looped task's registered result (the roles apply a list in batches) holds its runs in results.
        results = results['results'] if 'results' in results and 'changes' not in results else [results]
    if not isinstance(results, list):
        raise AnsibleFilterError('drift_report expects a mailbox_roster result or a list of them')
    domains = []
    for result in _merged(results):
        rows = []
        for name, change in sorted(result['changes'].items()):
            rows.extend(_rows(name, change))
        rows.extend(_grant_rows(result['delegates']))
        created = list(result['created'])
        # Every mailbox with a change that is not a create drifted: entries, and delegated mailboxes whose grants differ.
        updated = sorted(set(result['updated']) | set(name for name in result['changes'] if name not in created)
                         | set(mailbox for mailbox in result['delegates'] if mailbox not in created))
        domains.append({
            'domain': result['domain'],
            'provider': result['provider'],
            'drifted': [dict(zip(('mailbox', 'field', 'now', 'should_be'), row)) for row in rows],
            'to_create': created,
            'to_update': updated,
            'compliant': len(result['unchanged']),
            # Drifted mailboxes whose fields the roster's result left out (thousands drifted at once): named in
            # to_update, not in drifted.
            'not_detailed': result['changes_omitted'],
            'unlisted': list(result['unlisted']),
            'failed': dict((name, result['errors'].get(name, '')) for name in result['failed_entries']),
        })
    # What a workflow tests: any mailbox to create, to change or nobody listed means the domain is not compliant.
    return {'domains': domains, 'drifted': sum(len(domain['to_create']) + len(domain['to_update'])
                                               + len(domain['unlisted']) for domain in domains)}


def _cell(text):
    return str(text).replace('|', '\\|').replace('\n', ' ')


def drift_report_markdown(results, title='Hosted Exchange drift report'):
    """The drift_report as Markdown: one table per domain."""
    report = drift_report(results)
    lines = ['# %s' % title, '']
    for domain in report['domains']:
        lines.append('## %s (%s)' % (domain['domain'], domain['provider']))
        lines.append('')
        lines.append('%d compliant, %d to create, %d drifted, %d unlisted, %d failed.' % (
            domain['compliant'], len(domain['to_create']), len(domain['to_update']), len(domain['unlisted']),
            len(domain['failed'])))
        lines.append('')
        if domain['drifted']:
            lines.append('| mailbox | field | now | should be |')
            lines.append('|---|---|---|---|')
            for row in domain['drifted']:
                cells = tuple(_cell(row[key]) for key in ('mailbox', 'field', 'now', 'should_be'))
                lines.append('| %s | %s | %s | %s |' % cells)
            lines.append('')
        if domain['not_detailed']:
            lines.append('%d more drifted mailboxes are not detailed here (the result keeps its size within what AWX '
                         'accepts): they are in to_update; rerun the audit after the first ones are applied.'
                         % domain['not_detailed'])
            lines.append('')
        if domain['unlisted']:
            lines.append('Mailboxes nobody listed: %s' % ', '.join(domain['unlisted']))
            lines.append('')
        if domain['failed']:
            lines.append('Failed:')
            lines.extend('- %s: %s' % (name, _cell(reason)) for name, reason in sorted(domain['failed'].items()))
            lines.append('')
    return '\n'.join(lines).rstrip() + '\n'


class FilterModule(object):
    def filters(self):
        return {'drift_report': drift_report, 'drift_report_markdown': drift_report_markdown}
