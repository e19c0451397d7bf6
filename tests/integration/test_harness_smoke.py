# -*- coding: utf-8 -*-
# Copyright (c) 2026 Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The harness itself works: real ansible-playbook runs with ansible.builtin tasks only."""

from __future__ import annotations

import pytest

from tests.integration.harness import PlaybookTimeout, SandboxFactory, venv_bin


def play(*tasks, **options):
    base = {'name': 'harness smoke', 'hosts': 'localhost', 'gather_facts': False, 'tasks': list(tasks)}
    base.update(options)
    return base


def test_results_keyed_by_task_name_and_stdout_untouched(run_playbook):
    result = run_playbook([play(
        {'name': 'remember', 'ansible.builtin.set_fact': {'answer': 42}},
        {'name': 'echo', 'ansible.builtin.debug': {'msg': 'answer is {{ answer }}'}},
        {'name': 'never', 'ansible.builtin.debug': {'msg': 'x'}, 'when': 'answer != 42'},
    )])

    assert result.rc == 0, result
    assert set(result.results) == {'remember', 'echo', 'never'}
    remember = result['remember']
    assert remember['ansible_facts'] == {'answer': 42}  # the module's own return values
    assert remember['changed'] is False and remember['failed'] is False
    assert remember['event'] == 'ok' and remember['host'] == 'localhost'
    assert remember['action'] == 'ansible.builtin.set_fact'
    assert result['echo']['msg'] == 'answer is 42'
    assert result['never']['skipped'] is True and result['never']['event'] == 'skipped'
    assert [e['task'] for e in result.events] == ['remember', 'echo', 'never']
    assert not any(key.startswith('_ansible_') for key in remember)
    # the default stdout callback still prints as usual; ours adds nothing to it
    assert 'TASK [remember]' in result.stdout
    assert 'PLAY RECAP' in result.stdout
    assert 'ok=2' in result.stdout and 'skipped=1' in result.stdout
    assert 'harness_results' not in result.stdout


def test_failing_task(run_playbook):
    result = run_playbook([play(
        {'name': 'tolerated', 'ansible.builtin.fail': {'msg': 'soft'}, 'ignore_errors': True},
        {'name': 'boom', 'ansible.builtin.fail': {'msg': 'it broke'}},
        {'name': 'not reached', 'ansible.builtin.debug': {'msg': 'x'}},
    )])

    assert result.rc == 2, result
    assert result['boom']['failed'] is True
    assert result['boom']['msg'] == 'it broke'
    assert result['boom']['event'] == 'failed' and result['boom']['ignore_errors'] is False
    assert result['tolerated']['failed'] is True and result['tolerated']['ignore_errors'] is True
    assert 'not reached' not in result.results
    with pytest.raises(KeyError, match='recorded tasks'):
        result['not reached']  # pylint: disable=pointless-statement


def test_check_and_diff_mode(run_playbook, tmp_path):
    target = tmp_path / 'written.txt'
    copy_task = {'name': 'write file', 'ansible.builtin.copy': {'dest': str(target), 'content': 'hello\n'}}

    checked = run_playbook([play(copy_task)], check=True, diff=True)
    assert checked.rc == 0, checked
    assert checked['write file']['changed'] is True
    assert not target.exists(), 'check mode must not write'
    diff = checked['write file']['diff']
    diffs = diff if isinstance(diff, list) else [diff]
    assert any('hello' in (d.get('after') or '') for d in diffs), diff

    applied = run_playbook([play(copy_task)])
    assert applied['write file']['changed'] is True
    assert target.read_text() == 'hello\n'

    again = run_playbook([play(copy_task)], check=True)
    assert again['write file']['changed'] is False


def test_env_extra_vars_interpreter_and_yaml_text(run_playbook, monkeypatch):
    # stray connection settings of the caller never leak into a run
    monkeypatch.setenv('HOSTED_EXCHANGE_API_SECRET', 'from-the-outside')
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: look around
      ansible.builtin.set_fact:
        provider: "{{ lookup('ansible.builtin.env', 'HOSTED_EXCHANGE_PROVIDER') }}"
        secret: "{{ lookup('ansible.builtin.env', 'HOSTED_EXCHANGE_API_SECRET') }}"
        size: "{{ mailbox_size }}"
        size_type: "{{ mailbox_size | type_debug }}"
    - name: facts
      ansible.builtin.setup:
        gather_subset: [min]
"""
    result = run_playbook(playbook, env={'HOSTED_EXCHANGE_PROVIDER': 'rackspace'},
                          extra_vars={'mailbox_size': 2048}, verbosity=1)

    assert result.rc == 0, result
    facts = result['look around']['ansible_facts']
    assert facts['provider'] == 'rackspace'
    assert facts['secret'] == ''
    assert facts['size'] == 2048 and facts['size_type'] == 'int'
    python = result['facts']['ansible_facts']['ansible_python']['executable']
    assert python == str(venv_bin() / 'python')


def test_loop_results(run_playbook):
    result = run_playbook([play(
        {'name': 'each', 'ansible.builtin.set_fact': {'item_seen': '{{ item }}'}, 'loop': ['a', 'b']},
    )])
    assert result.rc == 0, result
    assert [r['item'] for r in result['each']['results']] == ['a', 'b']


def test_timeout_kills_the_run(run_playbook):
    with pytest.raises(PlaybookTimeout, match='did not finish within 3s'):
        run_playbook([play({'name': 'wait', 'ansible.builtin.pause': {'seconds': 60}})], timeout=3)


class FakeSandbox:
    def __init__(self, provider, **kwargs):
        self.provider = provider
        self.kwargs = kwargs
        self.url = 'http://127.0.0.1:9/%s' % provider
        self.stopped = False

    def stop(self):
        self.stopped = True


def test_sandbox_factory_env_and_teardown():
    factory = SandboxFactory(starter=FakeSandbox)
    first = factory('rackspace', fixture={'domains': []}, time_scale=0.5)
    second = factory('odin', api_user='staff', api_secret='pw', account='1000001')

    assert first.kwargs == {'api_user': 'harness-user', 'api_secret': 'harness-secret',
                            'fixture': {'domains': []}, 'time_scale': 0.5}
    assert factory.env(first) == {
        'HOSTED_EXCHANGE_PROVIDER': 'rackspace',
        'HOSTED_EXCHANGE_API_URL': 'http://127.0.0.1:9/rackspace',
        'HOSTED_EXCHANGE_API_USER': 'harness-user',
        'HOSTED_EXCHANGE_API_SECRET': 'harness-secret',
    }
    assert factory.env(second)['HOSTED_EXCHANGE_ACCOUNT'] == '1000001'
    assert 'account' not in second.kwargs

    factory.stop_all()
    assert first.stopped and second.stopped
    with pytest.raises(KeyError):
        factory.env(first)


@pytest.mark.sandbox(time_scale=0.5)
def test_rackspace_sandbox_fixture(request):
    try:
        from tests.sandbox import start_sandbox  # noqa: F401 pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        pytest.skip('the sandbox package (tests.sandbox.start_sandbox) is not in this tree yet')
    rackspace_sandbox = request.getfixturevalue('rackspace_sandbox')
    rackspace_env = request.getfixturevalue('rackspace_env')
    assert rackspace_sandbox.url.startswith('http://127.0.0.1:')
    assert rackspace_env['HOSTED_EXCHANGE_API_URL'] == rackspace_sandbox.url
    assert rackspace_env['HOSTED_EXCHANGE_PROVIDER'] == 'rackspace'
    assert rackspace_sandbox.requests() == []
