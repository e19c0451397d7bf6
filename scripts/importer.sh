#!/usr/bin/env bash
# Import the tarball `make build` wrote with galaxy-importer, the importer Galaxy and Private
# Automation Hub run on an upload (make importer), configured as a hub runs it
# (scripts/galaxy-importer.cfg: ansible-doc, ansible-lint, changelog and tag checks; its
# ansible-test step off, since no container engine runs here).
#
# Fails when the importer refuses the tarball (as a hub would), and also on any WARNING or
# ERROR line in its log: a hub shows those on the collection's import log, and a missing
# tool (ansible-doc, ansible-lint) is only a warning there, which would hollow out the gate.
# Then checks what the hub would show (the README, a documented page for every module and a
# README for every role) and that the tarball carries LICENSE and CHANGELOG.rst.
#
# Offline: the importer installs nothing and ansible-lint runs with --offline; where the
# machine allows it (root, util-linux unshare) the importer runs in a network namespace of
# its own with no network at all, so a check that tried to reach out would fail here.
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
repo=$PWD
export PATH=$repo/.venv/bin:$PATH
work=$repo/.build/importer

shopt -s nullglob
tarballs=("$repo"/.build/dist/*.tar.gz)
if [ ${#tarballs[@]} -ne 1 ]; then
    echo "importer: expected one tarball in .build/dist (make build), found ${#tarballs[@]}" >&2
    exit 1
fi
tarball=${tarballs[0]}

rm -rf "$work"
mkdir -p "$work/tmp" "$work/ansible-tmp"

export GALAXY_IMPORTER_CONFIG=$repo/scripts/galaxy-importer.cfg
export GALAXY_IMPORTER_TMP_ROOT_DIR=$work/tmp
export GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$work/ansible-tmp
# The importer points ansible-doc and ansible-lint at the extracted tarball; nothing else
# (such as the copy `make install` put in .build/collections) may be found instead.
unset ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS

isolate=()
if unshare --net true 2>/dev/null; then
    isolate=(unshare --net)
else
    echo "importer: NOTE: no network namespace available; relying on the offline configuration"
fi

echo "importer: galaxy-importer $(python -c 'import galaxy_importer; print(galaxy_importer.__version__)') on $(basename "$tarball")"
rc=0
(cd "$work" && timeout 900 "${isolate[@]}" python -m galaxy_importer.main "$tarball") >"$work/importer.log" 2>&1 || rc=$?
cat "$work/importer.log"

problems=()
[ "$rc" -eq 0 ] || problems+=("the importer exited with $rc")
grep -q '^Importer processing completed successfully$' "$work/importer.log" ||
    problems+=("no 'Importer processing completed successfully' in the log")
while IFS= read -r line; do
    problems+=("$line")
done < <(grep -E '^(WARNING|ERROR|CRITICAL)' "$work/importer.log" || true)

if [ ${#problems[@]} -eq 0 ]; then
    # What a hub shows: the README, every module with its documentation, every role with its README.
    python - "$work/importer_result.json" plugins/modules roles <<'EOF' || problems+=("the import result lacks what a hub shows (above)")
import json
import sys
from pathlib import Path

result = json.loads(Path(sys.argv[1]).read_text(encoding='utf-8'))
modules = {p.stem for p in Path(sys.argv[2]).glob('*.py') if p.stem != '__init__'}
roles = {p.name for p in Path(sys.argv[3]).iterdir() if p.is_dir()}
contents = result['docs_blob']['contents']
found = {}
for item in contents:
    found.setdefault(item['content_type'], {})[item['content_name']] = item
missing = []
if not (result['docs_blob'].get('collection_readme') or {}).get('html'):
    missing.append('the collection README')
for module in sorted(modules):
    item = found.get('module', {}).get(module)
    if not item or not (item.get('doc_strings') or {}).get('doc'):
        missing.append('module %s with its documentation' % module)
for role in sorted(roles):
    item = found.get('role', {}).get(role)
    if not item or not item.get('readme_html'):
        missing.append('role %s with its README' % role)
for what in missing:
    print('importer: MISSING from the import result: %s' % what, file=sys.stderr)
print('importer: the hub would show the README, %d modules and %d roles' % (len(modules), len(roles)))
sys.exit(1 if missing else 0)
EOF
fi

# What a user of the tarball needs beside the content: the licence and the rendered changelog.
for file in LICENSE CHANGELOG.rst; do
    tar -tzf "$tarball" "$file" >/dev/null 2>&1 || problems+=("$file is not in the tarball (galaxy.yml build_ignore?)")
done

if [ ${#problems[@]} -gt 0 ]; then
    echo "importer: FAILED - a hub would refuse the tarball or show these on its import log:" >&2
    printf '  %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "importer: $(basename "$tarball") imports cleanly (log: .build/importer/importer.log)"
