#!/usr/bin/env bash
# Build the collection's HTML docs site into .build/docs-site/ (make docs-site).
#
# Runs after `make install`: antsibull-docs documents the collection as installed in
# $ANSIBLE_COLLECTIONS_PATH (.build/collections), so the site shows exactly what the
# built tarball holds - every module, every role with meta/argument_specs.yml, and the
# extra docs (docs/docsite/rst/*.rst, written from docs/*.md by scripts/extra_docs.py
# during `make build`).
#
#   1. `antsibull-docs sphinx-init --use-current` writes a Sphinx project to
#      .build/docs-site-src/ (conf.py, build.sh, rst/index.rst); the landing page
#      (rst/index.rst) is the README, less its section for developers, written by
#      scripts/extra_docs.py --landing-page instead of antsibull-docs' placeholder;
#   2. conf.py is made offline (scripts/docs_site_offline.py): intersphinx reads only a
#      local inventory of the few Ansible documentation labels the pages link to, so
#      nothing is fetched and no build waits on a network timeout;
#   3. its build.sh runs `antsibull-docs collection --fail-on-error` and
#      `sphinx-build -W --keep-going` (every Sphinx warning fails the build);
#   4. the HTML moves to .build/docs-site/ and is checked: a page for every module in
#      plugins/modules, every role with argument specs, every guide in docs/, and a
#      landing page that says how to install the collection.
set -euo pipefail

cd "$(dirname "$0")/.." || exit 1
repo=$PWD
export PATH=$repo/.venv/bin:$PATH
src=$repo/.build/docs-site-src
out=$repo/.build/docs-site

read -r namespace name < <(python -c 'import yaml; g = yaml.safe_load(open("galaxy.yml")); print(g["namespace"], g["name"])')
collection=$namespace.$name
installed=${ANSIBLE_COLLECTIONS_PATH:?ANSIBLE_COLLECTIONS_PATH must point at the installed collection (make install)}
installed=${installed%%:*}/ansible_collections/$namespace/$name
[ -f "$installed/MANIFEST.json" ] || { echo "docs-site: $collection is not installed in $installed (run make install)" >&2; exit 1; }

rm -rf "$src" "$out"
mkdir -p "$src"
landing=$repo/.build/docs-site-index.rst
python scripts/extra_docs.py --landing-page "$landing"
antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$src" \
    --index-rst-source "$landing" \
    --project "$collection" --copyright "Mailops Engineering" \
    --title "$collection collection documentation" --html-short-title "$collection" \
    "$collection"

python scripts/docs_site_offline.py "$src"

# build.sh as antsibull-docs wrote it: `antsibull-docs collection` into rst/, then
# `sphinx-build -M html rst build -c . -W --keep-going`. The timeout is a guard only:
# nothing in the build waits on the network.
timeout 900 "$src/build.sh"
mv "$src/build/html" "$out"

# Every module, role and guide must have its page.
pages=$out/collections/$namespace/$name
missing=()
shopt -s nullglob
count=0
for path in plugins/modules/*.py; do
    module=$(basename "$path" .py)
    [ "$module" = __init__ ] && continue
    count=$((count + 1))
    [ -s "$pages/${module}_module.html" ] || missing+=("module $module: $pages/${module}_module.html")
done
[ "$count" -gt 0 ] || missing+=("any module: plugins/modules has none")
for role_dir in roles/*/; do
    role=$(basename "$role_dir")
    if ! compgen -G "$role_dir/meta/argument_specs.y*ml" >/dev/null; then
        # antsibull-docs documents a role from its argument specs only
        echo "docs-site: NOTE: role $role has no meta/argument_specs.yml, so the site has no page for it"
        continue
    fi
    [ -s "$pages/${role}_role.html" ] || missing+=("role $role: $pages/${role}_role.html")
done
for guide in docs/*.md; do
    guide=$(basename "$guide" .md)
    [ -s "$pages/docsite/$guide.html" ] || missing+=("guide docs/$guide.md: $pages/docsite/$guide.html")
done
[ -s "$pages/index.html" ] || missing+=("collection index: $pages/index.html")
# The landing page is the README's, not antsibull-docs' placeholder (its text without the
# markup, read whole: grep -q would end a pipe early, which pipefail counts as a failure).
landing_text=$(sed -e 's/<[^>]*>//g' "$out/index.html")
if [[ $landing_text == *'Welcome to my Ansible collection documentation'* ||
    $landing_text != *"ansible-galaxy collection install $collection"* ]]; then
    missing+=("landing page with the installation: $out/index.html (from README.md)")
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "docs-site: MISSING PAGES:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi
echo "docs-site: $(find "$out" -name '*.html' | wc -l) pages in $out (open $out/index.html)"
