# -*- coding: utf-8 -*-
# Copyright (c) 2026 Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration-test harness: real ``ansible-playbook`` runs against the installed
collection, and provider sandboxes to point them at.

``run_playbook()`` writes a playbook (a list of plays, one play as a dict, or YAML
text) to a fresh directory, runs the venv's ``ansible-playbook`` on it against
``localhost`` with the local connection and the venv's Python, and returns a
``PlaybookResult``: ``rc``, ``stdout``, ``stderr`` and ``results`` (the last result
of each task, keyed by task name, as recorded by the ``harness_results`` callback
in ``callback_plugins/``).

The collection comes from ``ANSIBLE_COLLECTIONS_PATH`` (exported by the Makefile)
or else ``.build/collections``: run ``make install`` after changing ``plugins/``.

``SandboxFactory`` starts sandboxes (``tests.sandbox.start_sandbox``), remembers
the credentials each was started with so ``env(sandbox)`` can give the
``HOSTED_EXCHANGE_*`` variables that point a module at it, and stops them all.
The pytest fixtures over these live in ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CALLBACK_DIR = Path(__file__).resolve().parent / 'callback_plugins'
CALLBACK_NAME = 'harness_results'
RESULTS_ENV = 'HARNESS_RESULTS_FILE'
ANSIBLE_BIN_ENV = 'HARNESS_ANSIBLE_BIN'
DEFAULT_TIMEOUT = 300

CONNECTION_ENV_PREFIX = 'HOSTED_EXCHANGE_'
DEFAULT_API_USER = 'harness-user'
DEFAULT_API_SECRET = 'harness-secret'


def venv_bin():
    """Directory holding the ansible-playbook and python to run: HARNESS_ANSIBLE_BIN when set
    (make compat: another ansible-core's venv), else the project's .venv/bin."""
    override = os.environ.get(ANSIBLE_BIN_ENV)
    if override:
        return Path(override)
    candidate = REPO_ROOT / '.venv' / 'bin'
    if (candidate / 'ansible-playbook').exists():
        return candidate
    # e.g. a venv elsewhere: use the one pytest itself runs from
    return Path(sys.executable).parent


def collections_path():
    return os.environ.get('ANSIBLE_COLLECTIONS_PATH') or str(REPO_ROOT / '.build' / 'collections')


class PlaybookTimeout(AssertionError):
    """ansible-playbook ran longer than allowed; carries what it printed so far."""


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    results: dict
    events: list = field(default_factory=list)  # every recorded result, in order
    cmd: list = field(default_factory=list)
    workdir: Path = None

    def __getitem__(self, task_name):
        try:
            return self.results[task_name]
        except KeyError:
            raise KeyError('no result for task %r; recorded tasks: %s\n%s'
                           % (task_name, sorted(self.results), self)) from None

    def __str__(self):
        # what a failing assertion should show: enough output to see what went wrong
        return 'ansible-playbook exited %s: %s\n--- stdout ---\n%s\n--- stderr ---\n%s' % (
            self.rc, ' '.join(self.cmd), self.stdout[-8000:], self.stderr[-4000:])


def _playbook_text(playbook):
    if isinstance(playbook, str):
        return playbook
    if isinstance(playbook, dict):
        playbook = [playbook]
    return yaml.safe_dump(list(playbook), sort_keys=False, default_flow_style=False)


def _base_environment():
    """The caller's environment minus settings that would make runs differ between machines."""
    return {
        key: value for key, value in os.environ.items()
        if not key.startswith(CONNECTION_ENV_PREFIX) and not key.startswith('ANSIBLE_')
    }


def _read_results(path):
    events = []
    if path.exists():
        with open(path, encoding='utf-8') as handle:
            events = [json.loads(line) for line in handle if line.strip()]
    # last result wins when a task name repeats (a handler, a second play)
    return {event['task']: event for event in events}, events


def run_playbook(playbook, workdir, check=False, diff=False, verbosity=0, extra_vars=None,
                 env=None, timeout=DEFAULT_TIMEOUT, args=(), python_interpreter=None):
    """Run ``ansible-playbook`` on ``playbook`` and return a ``PlaybookResult``.

    ``workdir``: a directory (pytest's tmp_path) under which each call gets its own
    subdirectory for the playbook, inventory, results file and ansible's temp files.
    ``env``: extra environment (for example ``HOSTED_EXCHANGE_*``); the caller's own
    ``HOSTED_EXCHANGE_*`` and ``ANSIBLE_*`` variables are never passed through.
    Raises ``PlaybookTimeout`` after ``timeout`` seconds.
    """
    run_dir = Path(tempfile.mkdtemp(prefix='playbook-', dir=str(workdir)))
    bin_dir = venv_bin()
    playbook_path = run_dir / 'playbook.yml'
    playbook_path.write_text(_playbook_text(playbook), encoding='utf-8')

    # Same as `-i localhost,` with `connection: local`, but as inventory variables, so a
    # play can still override them (e.g. a test that wants a Python without requests).
    inventory = run_dir / 'inventory.ini'
    inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n'
                         % (python_interpreter or bin_dir / 'python'), encoding='utf-8')
    config = run_dir / 'ansible.cfg'
    config.write_text('', encoding='utf-8')  # pins ANSIBLE_CONFIG: no ansible.cfg from cwd or ~
    results_file = run_dir / 'results.jsonl'

    run_env = _base_environment()
    run_env.update(
        PATH='%s%s%s' % (bin_dir, os.pathsep, os.environ.get('PATH', '')),
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_COLLECTIONS_PATH=collections_path(),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
        ANSIBLE_CALLBACKS_ENABLED=CALLBACK_NAME,
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_RETRY_FILES_ENABLED='false',
        ANSIBLE_LOCAL_TEMP=str(run_dir / 'tmp-local'),
        ANSIBLE_REMOTE_TEMP=str(run_dir / 'tmp-remote'),
    )
    run_env[RESULTS_ENV] = str(results_file)
    run_env.update({key: str(value) for key, value in (env or {}).items()})

    cmd = [str(bin_dir / 'ansible-playbook'), '-i', str(inventory), str(playbook_path)]
    if check:
        cmd.append('--check')
    if diff:
        cmd.append('--diff')
    if verbosity:
        cmd.append('-' + 'v' * verbosity)
    if extra_vars:
        # a file keeps types and quoting intact
        vars_file = run_dir / 'extra_vars.json'
        vars_file.write_text(json.dumps(extra_vars), encoding='utf-8')
        cmd += ['-e', '@%s' % vars_file]
    cmd += list(args)

    # own session: on timeout the whole process group (ansible forks workers) is killed
    proc = subprocess.Popen(cmd, cwd=str(run_dir), env=run_env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise PlaybookTimeout('ansible-playbook did not finish within %ss: %s\n--- stdout ---\n%s\n--- stderr ---\n%s'
                              % (timeout, ' '.join(cmd), stdout[-8000:], stderr[-4000:])) from None

    results, events = _read_results(results_file)
    return PlaybookResult(rc=proc.returncode, stdout=stdout, stderr=stderr, results=results,
                          events=events, cmd=cmd, workdir=run_dir)


def connection_env(provider, url, api_user, api_secret, account=None):
    """HOSTED_EXCHANGE_* variables that point the modules at ``url``."""
    env = {
        'HOSTED_EXCHANGE_PROVIDER': provider,
        'HOSTED_EXCHANGE_API_URL': url,
        'HOSTED_EXCHANGE_API_USER': api_user,
        'HOSTED_EXCHANGE_API_SECRET': api_secret,
    }
    if account is not None:
        env['HOSTED_EXCHANGE_ACCOUNT'] = account
    return env


def _import_start_sandbox():
    from tests.sandbox import start_sandbox  # pylint: disable=import-outside-toplevel
    return start_sandbox


class SandboxFactory:
    """Starts sandboxes on demand and stops every one of them in ``stop_all()``."""

    def __init__(self, starter=None):
        self._starter = starter
        self._started = []  # (sandbox, connection env)

    def __call__(self, provider, api_user=DEFAULT_API_USER, api_secret=DEFAULT_API_SECRET,
                 account=None, **kwargs):
        """``start_sandbox(provider, api_user=..., api_secret=..., **kwargs)``; ``account``
        only goes into ``env()``. Returns the sandbox."""
        starter = self._starter or _import_start_sandbox()
        sandbox = starter(provider, api_user=api_user, api_secret=api_secret, **kwargs)
        self._started.append((sandbox, connection_env(provider, sandbox.url, api_user, api_secret, account)))
        return sandbox

    def env(self, sandbox):
        """HOSTED_EXCHANGE_* variables for a sandbox this factory started."""
        for started, env in self._started:
            if started is sandbox:
                return dict(env)
        raise KeyError('sandbox %r was not started by this factory' % (sandbox,))

    def stop_all(self):
        """Stop every sandbox (newest first); re-raise the first failure after trying all."""
        first_error = None
        while self._started:
            sandbox, _env = self._started.pop()
            try:
                sandbox.stop()
            except Exception as exc:  # pylint: disable=broad-except
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
