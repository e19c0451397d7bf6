#!/usr/bin/env bash
# make compat: the onboarding smoke (tests/compat/) on other ansible-core versions.
#
#   scripts/compat.sh CORE=PYTHON ...     e.g. 2.16=3.11 2.21=3.12
#
# For each CORE: a venv .build/compat/<CORE>/ made with PYTHON (a version X.Y, found below, or a
# path to an interpreter) and filled from tests/compat/requirements-<CORE>.txt (every package
# pinned; pip check afterwards; remade only when the requirements or the Python change), then
# pytest tests/compat with that venv's ansible-playbook (HARNESS_ANSIBLE_BIN), bounded by
# COMPAT_TIMEOUT seconds (default 600) per core. Keeps going when one core fails, prints one
# PASS/FAIL line per core, exits non-zero if any failed.
#
# A version X.Y is looked for as pythonX.Y on PATH, then in pyenv's versions (PYENV_ROOT, default
# ~/.pyenv) and uv's managed Pythons, then /usr/bin; `uv python install` cannot download here.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
repo=$PWD
timeout_s=${COMPAT_TIMEOUT:-600}
pip_pin=$(grep -E '^pip==' requirements-dev.txt)

# An interpreter that is Python $1 (X.Y) and can make a venv; prints its path.
find_python() {
    local want=$1 candidate
    local -a candidates=("python$want")
    candidates+=("${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want")
    candidates+=("$HOME"/.local/share/uv/python/cpython-"$want".*/bin/python"$want")
    candidates+=("/usr/bin/python$want")
    for candidate in "${candidates[@]}"; do
        # a pyenv shim for a version it does not have fails here, so it is skipped
        if "$candidate" -c "import sys, venv, ensurepip; assert '%d.%d' % sys.version_info[:2] == '$want'" 2>/dev/null; then
            # a venv's python (the Makefile puts .venv/bin first on PATH) stands for its base
            "$candidate" -c 'import sys; print(getattr(sys, "_base_executable", "") or sys.executable)'
            return 0
        fi
    done
    return 1
}

# The venv of core $1 made with interpreter $2, up to date with its requirements file.
make_venv() {
    local core=$1 python=$2 venv=$repo/.build/compat/$1 req=tests/compat/requirements-$1.txt stamp
    stamp="$python $(sha256sum "$req" | cut -d' ' -f1) $pip_pin"
    if [ -f "$venv/.stamp" ] && [ "$(cat "$venv/.stamp")" = "$stamp" ]; then
        return 0
    fi
    echo "compat: making $venv with $python ($req)"
    rm -rf "$venv"
    "$python" -m venv "$venv" &&
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$pip_pin" &&
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" &&
        "$venv/bin/python" -m pip check &&
        echo "$stamp" >"$venv/.stamp"
}

if [ "$#" -eq 0 ]; then
    echo "usage: scripts/compat.sh CORE=PYTHON ... (e.g. 2.16=3.11 2.21=3.12)" >&2
    exit 2
fi

declare -a lines=()
passed=0
failed=0
for pair in "$@"; do
    core=${pair%%=*}
    want=${pair#*=}
    echo
    echo "==================== compat: ansible-core $core (Python $want) ===================="
    start=$SECONDS
    status=PASS
    python=
    if [[ $want == */* ]]; then
        if [ -x "$want" ]; then python=$want; fi
    else
        python=$(find_python "$want")
    fi
    if [ ! -f "tests/compat/requirements-$core.txt" ]; then
        echo "compat: no tests/compat/requirements-$core.txt" >&2
        status="FAIL (no requirements file)"
    elif [ -z "$python" ]; then
        echo "compat: ansible-core $core is to run on Python $want, and there is none here (looked for" \
             "python$want on PATH, in pyenv, uv and /usr/bin); name one: make compat COMPAT_PYTHON_$core=/path/to/python" >&2
        status="FAIL (no Python $want)"
    elif ! make_venv "$core" "$python"; then
        status="FAIL (venv)"
    else
        rc=0
        HARNESS_ANSIBLE_BIN=$repo/.build/compat/$core/bin COMPAT_CORE=$core \
            timeout --kill-after=30 "$timeout_s" .venv/bin/python -m pytest tests/compat -p no:cacheprovider || rc=$?
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            status="FAIL (over ${timeout_s}s)"
        elif [ "$rc" -ne 0 ]; then
            status=FAIL
        fi
    fi
    if [ "$status" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    lines+=("$(printf 'ansible-core %-6s %-40s %s  %4ds' "$core" "${python:-Python $want}" "$status" $((SECONDS - start)))")
done

echo
echo "==================== compat summary ===================="
printf '%s\n' "${lines[@]}"
echo "compat: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
