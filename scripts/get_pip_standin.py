# -*- coding: utf-8 -*-
# Copyright (c) 2026 Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test creates an empty virtual environment per sanity test and bootstraps
pip into it by running ``~/.ansible/test/cache/get_pip_<version>.py`` with pip
install arguments (for example ``--disable-pip-version-check pip==24.2
--no-setuptools --no-wheel``). The real script is fetched from a host this
machine cannot reach, so scripts/sanity.py copies this file to that cache path.

Here pip comes from the interpreter's own bundled wheel (ensurepip) and the
requested arguments are then handed to that pip.
"""

from __future__ import annotations

import os
import subprocess
import sys

# Flags that only the real get-pip.py understands; pip install would reject them.
GET_PIP_ONLY_FLAGS = ('--no-setuptools', '--no-wheel')


def main(argv):
    subprocess.run([sys.executable, '-m', 'ensurepip', '--default-pip'], check=True)

    # ensurepip sets PIP_CONFIG_FILE=/dev/null; left in place it would hide the
    # machine's pip configuration (its index and find-links settings).
    env = dict(os.environ)
    env.pop('PIP_CONFIG_FILE', None)
    os.environ.pop('PIP_CONFIG_FILE', None)

    args = [arg for arg in argv if arg not in GET_PIP_ONLY_FLAGS]
    return subprocess.run([sys.executable, '-m', 'pip', 'install'] + args, env=env, check=False).returncode


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
