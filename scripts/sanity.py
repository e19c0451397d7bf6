# -*- coding: utf-8 -*-
# Copyright (c) 2026 Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run ``ansible-test sanity`` on the working tree (``make sanity``).

ansible-test only works on a collection that sits at
``.../ansible_collections/<namespace>/<name>``, so the working tree (minus
virtualenv, build output and VCS data) is copied to
``.build/sanity/ansible_collections/<namespace>/<name>`` and the test runs
there. Copying the working tree rather than ``git ls-files`` means files that
are not committed yet are checked too (files matched by .gitignore are not).

Before that, the offline get-pip stand-in is put where ansible-test looks for
its cached pip bootstrap script, for every pip version it may ask for.

Usage: python scripts/sanity.py [extra ansible-test sanity arguments]
Run it with the project's venv python: ansible-test is taken from beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import yaml

REPO = Path(__file__).resolve().parent.parent
STANDIN = REPO / 'scripts' / 'get_pip_standin.py'
CACHE = Path('~/.ansible/test/cache').expanduser()

# Never part of the collection: tool state, build output, caches.
TOP_LEVEL_EXCLUDES = {'.git', '.venv', '.build', '.ansible', '.pytest_cache', 'tests/output'}
ANY_LEVEL_EXCLUDES = {'__pycache__', '.mypy_cache', '.ruff_cache'}


def pip_versions():
    """pip versions ansible-test bootstraps into its sanity venvs, per Python version."""
    try:
        from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
        from ansible_test._internal.python_requirements import get_venv_packages
    except ImportError as exc:
        sys.exit('sanity.py: cannot read the pip bootstrap versions from ansible-test (%s); '
                 'look for get_pip in ansible_test/_util/target/setup/requirements.py and update scripts/sanity.py' % exc)
    # get_venv_packages only reads .version from its PythonConfig argument.
    return sorted({get_venv_packages(SimpleNamespace(version=v))['pip'] for v in SUPPORTED_PYTHON_VERSIONS})


def install_standins():
    CACHE.mkdir(parents=True, exist_ok=True)
    for version in pip_versions():
        # same naming rule as ansible-test's bootstrap(): dots become underscores
        target = CACHE / ('get_pip_%s.py' % version.replace('.', '_'))
        shutil.copyfile(STANDIN, target)
        print('sanity.py: get-pip stand-in for pip %s -> %s' % (version, target))


def copy_tree(dest):
    def ignore(directory, names):
        rel = Path(directory).relative_to(REPO)
        skipped = set()
        for name in names:
            if name in ANY_LEVEL_EXCLUDES or name.endswith('.pyc') or (rel / name).as_posix() in TOP_LEVEL_EXCLUDES:
                skipped.add(name)
        return skipped

    if dest.exists():
        shutil.rmtree(dest)
    # symlinks=True: copy links as links so the symlinks sanity test sees what the repo has
    shutil.copytree(REPO, dest, symlinks=True, ignore=ignore)
    # The copy sits inside this repo's git work tree, where .build/ is ignored, so
    # ansible-test (which lists files with git) would find nothing to test. A repo of
    # its own makes every copied file visible to it (git ls-files --others).
    subprocess.run(['git', 'init', '--quiet', str(dest)], check=True)


def main(argv):
    galaxy = yaml.safe_load((REPO / 'galaxy.yml').read_text())
    dest = REPO / '.build' / 'sanity' / 'ansible_collections' / galaxy['namespace'] / galaxy['name']
    install_standins()
    copy_tree(dest)
    print('sanity.py: collection copied to %s' % dest)

    python = '%d.%d' % sys.version_info[:2]
    ansible_test = str(Path(sys.executable).parent / 'ansible-test')
    # --venv: every sanity test gets its own virtualenv with exactly the requirements
    # ansible-test pins (pylint, voluptuous, ...), installed from PyPI, which is
    # reachable here once the get-pip stand-in is in place. --local would have to put
    # all of those into our .venv beside ansible-lint's own pins.
    cmd = [ansible_test, 'sanity', '--venv', '--python', python, '--color', 'no'] + argv
    print('sanity.py: running %s (in %s)' % (' '.join(cmd), dest), flush=True)
    os.chdir(dest)
    os.execv(ansible_test, cmd)


if __name__ == '__main__':
    main(sys.argv[1:])
