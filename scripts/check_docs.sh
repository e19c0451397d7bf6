#!/usr/bin/env bash
# ansible-doc must render every module of the installed collection (make docs).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
collection=$(.venv/bin/python -c 'import yaml; g = yaml.safe_load(open("galaxy.yml")); print(g["namespace"] + "." + g["name"])')

shopt -s nullglob
modules=()
for path in plugins/modules/*.py; do
    name=$(basename "$path" .py)
    [ "$name" = __init__ ] || modules+=("$name")
done
if [ ${#modules[@]} -eq 0 ]; then
    echo "*** docs: NO MODULES in plugins/modules - nothing to render ***"
    exit 0
fi

err=$(mktemp)
trap 'rm -f "$err"' EXIT
failed=()
for name in "${modules[@]}"; do
    # ansible-doc exits 0 with only a warning on stderr when it cannot load a module,
    # so an empty stdout or a "not found"/"Error loading" warning counts as failure too.
    out=$(.venv/bin/ansible-doc "$collection.$name" 2>"$err")
    rc=$?
    if [ $rc -eq 0 ] && [ -n "$out" ] && ! grep -qiE 'not found|error loading|\[ERROR\]' "$err"; then
        echo "docs: $collection.$name OK ($(wc -l <<<"$out") lines)"
        cat "$err"
    else
        echo "docs: $collection.$name FAILED (exit $rc):"
        cat "$err"
        echo "$out"
        failed+=("$name")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "docs: ansible-doc failed for: ${failed[*]}"
    exit 1
fi
echo "docs: all ${#modules[@]} modules render"
