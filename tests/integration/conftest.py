# -*- coding: utf-8 -*-
# Copyright (c) 2026 Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pytest fixtures for the integration tests (see harness.py).

- ``run_playbook(playbook, check=False, diff=False, verbosity=0, extra_vars=None,
  env=None, timeout=300, args=(), python_interpreter=None)`` -> ``PlaybookResult``
- ``sandbox_factory(provider, api_user=..., api_secret=..., account=None, **start_sandbox_kwargs)``
  -> a started sandbox; ``sandbox_factory.env(sb)`` gives its HOSTED_EXCHANGE_* variables;
  every sandbox is stopped at teardown.
- ``rackspace_sandbox`` / ``hostway_sandbox`` / ``odin_sandbox``: one sandbox for the test,
  configured by ``@pytest.mark.sandbox(fixture=..., time_scale=..., account=..., ...)``;
  ``rackspace_env`` / ``hostway_env`` / ``odin_env``: the matching HOSTED_EXCHANGE_* variables.

A typical test::

    @pytest.mark.sandbox(fixture={...})
    def test_create(run_playbook, rackspace_sandbox, rackspace_env):
        play = {'hosts': 'localhost', 'gather_facts': False, 'tasks': [...]}
        result = run_playbook([play], env=rackspace_env)
        assert result.rc == 0, result
        assert result['create mailbox']['changed']
        assert rackspace_sandbox.writes()
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.integration.harness import SandboxFactory, collections_path, run_playbook as _run_playbook


def pytest_report_header(config):
    path = Path(collections_path()) / 'ansible_collections' / 'mailops' / 'hosted_exchange'
    state = 'installed' if path.is_dir() else 'NOT INSTALLED - run `make install`'
    return 'collection under test: %s (%s)' % (path, state)


@pytest.fixture
def run_playbook(tmp_path):
    """``run_playbook(playbook, **options)``: each call runs in its own directory under tmp_path."""
    return functools.partial(_run_playbook, workdir=tmp_path)


@pytest.fixture
def sandbox_factory():
    factory = SandboxFactory()
    yield factory
    factory.stop_all()


def _provider_fixtures(provider):
    def sandbox_fixture(request, sandbox_factory):
        marker = request.node.get_closest_marker('sandbox')
        options = dict(marker.kwargs) if marker else {}
        return sandbox_factory(provider, **options)

    def env_fixture(request, sandbox_factory):
        return sandbox_factory.env(request.getfixturevalue('%s_sandbox' % provider))

    sandbox_fixture.__doc__ = 'A started %s sandbox for this test (see @pytest.mark.sandbox); stopped at teardown.' % provider
    env_fixture.__doc__ = 'HOSTED_EXCHANGE_* variables that point the modules at %s_sandbox.' % provider
    return (pytest.fixture(name='%s_sandbox' % provider)(sandbox_fixture),
            pytest.fixture(name='%s_env' % provider)(env_fixture))


rackspace_sandbox, rackspace_env = _provider_fixtures('rackspace')
hostway_sandbox, hostway_env = _provider_fixtures('hostway')
odin_sandbox, odin_env = _provider_fixtures('odin')
