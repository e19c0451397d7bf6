# -*- coding: utf-8 -*-
# Copyright (c) 2026 Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make a Sphinx project from `antsibull-docs sphinx-init` build offline (make docs-site).

The generated conf.py resolves references to the Ansible documentation (the pages
antsibull-docs' templates link to: common return values, configuration settings, ...)
with intersphinx, which downloads inventories from docs.ansible.com and the Python and
Jinja sites. Here nothing but PyPI is reachable, and CI must not wait on timeouts.

So this script
- writes ansible_devel.inv, a Sphinx inventory of the few Ansible documentation labels
  the generated pages use (ANSIBLE_LABELS below), beside conf.py;
- appends to conf.py an intersphinx_mapping that reads only that local file: links
  still point to the Ansible documentation, nothing is fetched.

A page that references a label missing here fails the build (sphinx-build -W, nitpicky):
add the label, with its page on the Ansible documentation site, to ANSIBLE_LABELS.

Usage: python scripts/docs_site_offline.py SPHINX_PROJECT_DIR
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
INVENTORY = 'ansible_devel.inv'

# label -> (page#anchor relative to ANSIBLE_DOCS, title)
ANSIBLE_LABELS = {
    'common_return_values': ('reference_appendices/common_return_values.html#common-return-values', 'Return Values'),
    'ansible_configuration_settings': ('reference_appendices/config.html#ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
}

CONF_OVERRIDE = '''

# Added by scripts/docs_site_offline.py (make docs-site): offline build. References to
# the Ansible documentation resolve through the local inventory %(inventory)s (links
# still go to %(url)s); no other inventory is configured, so nothing is downloaded.
intersphinx_mapping = {
    'ansible_devel': (%(url)r, %(location)r),
}
intersphinx_timeout = 5
'''


def write_inventory(path):
    header = (
        '# Sphinx inventory version 2\n'
        '# Project: Ansible\n'
        '# Version: devel\n'
        '# The remainder of this file is compressed using zlib.\n'
    )
    body = ''.join('%s std:label -1 %s %s\n' % (label, uri, title)
                   for label, (uri, title) in sorted(ANSIBLE_LABELS.items()))
    path.write_bytes(header.encode('utf-8') + zlib.compress(body.encode('utf-8')))


def main(argv):
    if len(argv) != 1:
        sys.exit('usage: docs_site_offline.py SPHINX_PROJECT_DIR')
    project = Path(argv[0])
    conf = project / 'conf.py'
    if not conf.is_file():
        sys.exit('docs_site_offline.py: no conf.py in %s' % project)
    write_inventory(project / INVENTORY)
    # sphinx-build runs with the sources in rst/ and -c .: intersphinx reads a local
    # inventory path relative to the sources
    with conf.open('a', encoding='utf-8') as handle:
        handle.write(CONF_OVERRIDE % {'inventory': INVENTORY, 'url': ANSIBLE_DOCS, 'location': '../' + INVENTORY})
    print('docs_site_offline.py: %s uses only the local inventory %s' % (conf, project / INVENTORY))


if __name__ == '__main__':
    main(sys.argv[1:])
