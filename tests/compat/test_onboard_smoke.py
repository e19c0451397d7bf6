"""make compat: playbooks/onboard.yml on the oldest and the newest ansible-core within
requires_ansible, against the Rackspace sandbox, asserted from the sandbox's request log: a check
run sends no write, the real run creates the hires and the shared mailbox, a rerun changes and
writes nothing.

scripts/compat.sh runs this once per core, with HARNESS_ANSIBLE_BIN pointing at that core's venv
(.build/compat/<core>/bin: ansible-playbook and the Python the modules run on) and COMPAT_CORE
naming the core (e.g. 2.16).
"""

import os

import pytest
import yaml

from tests.integration.harness import ANSIBLE_BIN_ENV, REPO_ROOT

CORE = os.environ.get('COMPAT_CORE', '')
PLAYBOOK = REPO_ROOT / 'playbooks' / 'onboard.yml'
NEW_HIRES = yaml.safe_load((REPO_ROOT / 'playbooks' / 'vars' / 'new_hires.yml').read_text(encoding='utf-8'))
DOMAIN = NEW_HIRES['onboard_domain']
SHARED = NEW_HIRES['onboard_shared_mailbox']
HIRES = sorted(hire['name'] for hire in NEW_HIRES['onboard_hires'])
PASSWORD = 'Compat-Hire-Pw-2026'
SHARED_PASSWORD = 'Compat-Shared-Pw-2026'
# The sandbox's minute lasts 3 s, and the modules pace to the same window: 30 writes a minute
# would otherwise hold the first run for about 20 s.
SCALE = 0.05
ROSTER = 'mailops.hosted_exchange.mailbox_roster'


def onboard_play():
    """The core's version, then playbooks/onboard.yml as it is."""
    version = {'hosts': 'localhost', 'gather_facts': False,
               'tasks': [{'name': 'ansible-core version', 'ansible.builtin.debug': {'msg': '{{ ansible_version.full }}'}}]}
    return [version, {'ansible.builtin.import_playbook': str(PLAYBOOK)}]


def roster_event(result):
    """The batch task's result (the role reads the domain's size with the roster first, a task of its own)."""
    events = [event for event in result.events if event['action'] in (ROSTER, 'mailbox_roster')
              and 'Mailboxes, aliases' in event['task'] and not event['event'].startswith('item_')]
    assert len(events) == 1, result
    return events[0]


@pytest.fixture(name='onboard')
def onboard_fixture(run_playbook, rackspace_env):
    env = dict(rackspace_env, HOSTED_EXCHANGE_INITIAL_PASSWORD=PASSWORD,
               HOSTED_EXCHANGE_SHARED_MAILBOX_PASSWORD=SHARED_PASSWORD,
               HOSTED_EXCHANGE_RATE_WINDOW=str(60 * SCALE))

    def run(**options):
        result = run_playbook(onboard_play(), env=env, timeout=180, **options)
        assert result.rc == 0, result
        assert result['ansible-core version']['msg'].startswith(CORE + '.'), result
        for secret in (PASSWORD, SHARED_PASSWORD, env['HOSTED_EXCHANGE_API_SECRET']):
            assert secret not in result.stdout + result.stderr
        return result
    return run


@pytest.mark.sandbox(fixture={'domains': {DOMAIN: {}}}, time_scale=SCALE)
def test_onboard_check_apply_rerun(onboard, rackspace_sandbox):
    assert CORE and os.environ.get(ANSIBLE_BIN_ENV), 'run through scripts/compat.sh (make compat)'
    sb = rackspace_sandbox

    check = onboard(check=True, diff=True)
    assert roster_event(check)['changed'] is True  # a real run would create the hires
    assert sb.requests() and sb.writes() == [], sb.writes()
    assert sb.state.domain(DOMAIN).mailboxes == {}

    before = len(sb.requests())
    applied = onboard()
    assert roster_event(applied)['changed'] is True
    state = sb.state.domain(DOMAIN)
    assert sorted(state.mailboxes) == sorted(HIRES + [SHARED])
    created = sorted(entry['path'].rsplit('/', 1)[1] for entry in sb.writes()
                     if entry['method'] == 'POST' and entry['path'].endswith(tuple('/mailboxes/' + name for name in HIRES + [SHARED])))
    assert created == sorted(HIRES + [SHARED]), sb.writes()
    assert all(state.mailboxes[name].password == PASSWORD for name in HIRES)
    assert state.mailboxes[SHARED].password == SHARED_PASSWORD
    assert len(sb.requests()) > before

    requests, writes = len(sb.requests()), len(sb.writes())
    again = onboard()
    assert [event['task'] for event in again.events if event['changed']] == []
    assert len(sb.requests()) > requests and sb.writes()[writes:] == [], sb.writes()[writes:]
