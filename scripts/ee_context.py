# -*- coding: utf-8 -*-
# Copyright (c) 2026 Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the execution environment build context and check it (make ee, after make build).

No container engine runs here, so `ansible-builder create` (which writes the Containerfile
and the files it copies) stands in for an image build. This script

1. copies the tarball `make build` wrote (.build/dist/<namespace>-<name>-<version>.tar.gz)
   to the path that execution-environment.yml's additional_build_files takes it from
   (a name without the version, so the definition does not change with each release);
2. runs `ansible-builder create -f execution-environment.yml -c .build/ee`;
3. checks the context: the Containerfile starts from the base image and installs the
   ansible-core pinned in requirements-dev.txt; the collection tarball in the context is
   the one just built (same bytes, namespace, name and version as galaxy.yml) and the
   galaxy requirements install it from where `COPY _build /build` puts it; the Python
   requirements in the context are requirements.txt; and ansible-builder's own
   introspection of the collection installed from that tarball finds those requirements
   (as it will in the image's builder stage).

Every failed check is printed; the exit code is 1 if any failed.
Usage: python scripts/ee_context.py   (the project's venv python)
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EE_FILE = REPO / 'execution-environment.yml'
CONTEXT = REPO / '.build' / 'ee'
DIST = REPO / '.build' / 'dist'
BUILDER_SCRIPTS = ('assemble', 'install-from-bindep', 'introspect.py', 'check_galaxy', 'check_ansible', 'pip_install', 'entrypoint')


class Checks:
    def __init__(self):
        self.failed = []

    def check(self, ok, what, detail=''):
        if ok:
            print('ee: ok   %s' % what)
        else:
            self.failed.append(what)
            print('ee: FAIL %s%s' % (what, (': ' + detail) if detail else ''))
        return ok


def fail(message):
    print('ee: ERROR %s' % message, file=sys.stderr)
    sys.exit(1)


def requirement_names(lines):
    names = set()
    for line in lines:
        line = line.split('#', 1)[0].strip()
        match = re.match(r'^([A-Za-z0-9][A-Za-z0-9._-]*)', line)
        if match:
            names.add(re.sub(r'[-_.]+', '-', match.group(1)).lower())
    return names


def pinned(requirements_file, package):
    for line in requirements_file.read_text(encoding='utf-8').splitlines():
        match = re.match(r'^%s==(\S+)' % re.escape(package), line.strip(), re.IGNORECASE)
        if match:
            return match.group(1)
    return None


def stage_tarball(galaxy, definition):
    """Copy the built tarball to the additional_build_files source the definition names."""
    prefix = '%s-%s-' % (galaxy['namespace'], galaxy['name'])
    built = sorted(DIST.glob(prefix + '*.tar.gz'))
    if len(built) != 1:
        fail('expected exactly one %s*.tar.gz in %s (make build), found %d' % (prefix, DIST, len(built)))
    entries = [entry for entry in definition.get('additional_build_files') or []
               if str(entry.get('src', '')).endswith('.tar.gz')]
    if len(entries) != 1:
        fail('%s must take exactly one collection tarball in additional_build_files (found %d)'
             % (EE_FILE.name, len(entries)))
    entry = entries[0]
    staged = REPO / entry['src']
    if REPO.joinpath('.build') not in staged.resolve().parents:
        fail('additional_build_files src %s must be under .build/ (it is generated)' % entry['src'])
    staged.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(built[0], staged)
    print('ee: %s -> %s' % (built[0].relative_to(REPO), staged.relative_to(REPO)))
    return built[0], entry


def run_create():
    if CONTEXT.exists():
        shutil.rmtree(CONTEXT)
    cmd = [str(BIN / 'ansible-builder'), 'create', '--file', str(EE_FILE), '--context', str(CONTEXT),
           '--output-filename', 'Containerfile', '-v', '2']
    print('ee: running %s' % ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)


def introspect(tarball, checks, requirements):
    """Install the context's tarball into a scratch path and let ansible-builder introspect it."""
    with tempfile.TemporaryDirectory(prefix='ee-introspect-') as scratch:
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=scratch)  # no "not a configured path" warning
        subprocess.run([str(BIN / 'ansible-galaxy'), 'collection', 'install', '--offline', '--force',
                        '-p', scratch, str(tarball)], check=True, stdout=subprocess.DEVNULL, env=env)
        written = Path(scratch) / 'requirements.txt'
        subprocess.run([str(BIN / 'ansible-builder'), 'introspect', scratch, '--write-pip', str(written)],
                       check=True, stdout=subprocess.DEVNULL)
        found = requirement_names(written.read_text(encoding='utf-8').splitlines()) if written.exists() else set()
    checks.check(requirements <= found,
                 'ansible-builder introspect finds the collection\'s Python requirements (%s) in the tarball'
                 % ', '.join(sorted(requirements)),
                 'it found %s' % (', '.join(sorted(found)) or 'nothing'))


def main():
    galaxy = yaml.safe_load((REPO / 'galaxy.yml').read_text(encoding='utf-8'))
    definition = yaml.safe_load(EE_FILE.read_text(encoding='utf-8'))
    if definition.get('version') != 3:
        fail('%s must be an ansible-builder version 3 definition' % EE_FILE.name)
    built, entry = stage_tarball(galaxy, definition)
    run_create()

    checks = Checks()
    containerfile = CONTEXT / 'Containerfile'
    if not checks.check(containerfile.is_file(), 'Containerfile written to %s' % CONTEXT.relative_to(REPO)):
        sys.exit(1)
    text = containerfile.read_text(encoding='utf-8')
    build = CONTEXT / '_build'

    # base image and ansible-core
    base = definition['images']['base_image']['name']
    checks.check('ARG EE_BASE_IMAGE="%s"' % base in text and 'FROM $EE_BASE_IMAGE AS base' in text,
                 'Containerfile starts from %s' % base)
    core = pinned(REPO / 'requirements-dev.txt', 'ansible-core')
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', text, re.MULTILINE)
    refs = refs.group(1).split() if refs else []
    checks.check(core is not None and 'ansible-core==%s' % core in refs
                 and 'RUN $PYCMD -m pip install --no-cache-dir $ANSIBLE_INSTALL_REFS' in text,
                 'Containerfile installs ansible-core==%s, as pinned in requirements-dev.txt' % core,
                 'it installs %s' % (' '.join(refs) or 'no ansible-core'))
    checks.check('RUN /output/scripts/check_ansible $PYCMD' in text, 'final stage checks ansible and ansible-runner')

    # the collection: tarball in the context, installed by the galaxy stage
    in_context = build / entry['dest'] / Path(entry['src']).name
    checks.check(in_context.is_file() and filecmp.cmp(in_context, built, shallow=False),
                 'context holds the built tarball %s as %s' % (built.name, in_context.relative_to(CONTEXT)))
    if in_context.is_file():
        with tarfile.open(in_context) as archive:
            manifest = json.load(archive.extractfile('MANIFEST.json'))['collection_info']
        checks.check((manifest['namespace'], manifest['name'], manifest['version'])
                     == (galaxy['namespace'], galaxy['name'], galaxy['version']),
                     'that tarball is %s.%s %s (galaxy.yml)' % (galaxy['namespace'], galaxy['name'], galaxy['version']),
                     'it is %s.%s %s' % (manifest['namespace'], manifest['name'], manifest['version']))
    requirements_yml = build / 'requirements.yml'
    wanted = '/build/%s/%s' % (entry['dest'].strip('/'), Path(entry['src']).name)
    collections = []
    if requirements_yml.is_file():
        collections = (yaml.safe_load(requirements_yml.read_text(encoding='utf-8')) or {}).get('collections') or []
    checks.check(any(isinstance(c, dict) and c.get('name') == wanted and c.get('type') == 'file' for c in collections),
                 'galaxy requirements install %s (type: file)' % wanted,
                 'they list %s' % collections)
    checks.check('COPY _build /build' in text
                 and re.search(r'ansible-galaxy collection install .*-r requirements\.yml', text) is not None
                 and 'COPY --from=galaxy /usr/share/ansible /usr/share/ansible' in text.split('FROM base AS final', 1)[-1],
                 'galaxy stage installs the collection and the final image copies it')

    # Python requirements
    requirements_txt = build / 'requirements.txt'
    checks.check(requirements_txt.is_file() and filecmp.cmp(requirements_txt, REPO / 'requirements.txt', shallow=False),
                 'context holds requirements.txt as the Python requirements')
    checks.check('COPY _build/requirements.txt requirements.txt' in text and '--user-pip=requirements.txt' in text
                 and 'RUN /output/scripts/assemble' in text,
                 'builder stage installs those requirements (introspect --user-pip, assemble)')
    requirements = requirement_names((REPO / 'requirements.txt').read_text(encoding='utf-8').splitlines())
    if in_context.is_file():
        introspect(in_context, checks, requirements)

    # ansible-builder's helper scripts
    missing = [name for name in BUILDER_SCRIPTS if not (build / 'scripts' / name).is_file()]
    checks.check(not missing, 'context holds ansible-builder\'s scripts', 'missing %s' % ', '.join(missing))

    if checks.failed:
        print('ee: %d check(s) FAILED: %s' % (len(checks.failed), '; '.join(checks.failed)))
        return 1
    print('ee: build context OK in %s (build it: podman build -f %s/Containerfile %s)'
          % (CONTEXT.relative_to(REPO), CONTEXT.relative_to(REPO), CONTEXT.relative_to(REPO)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
