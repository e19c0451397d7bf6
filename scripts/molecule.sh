#!/usr/bin/env bash
# Run the Molecule scenarios of the roles (make molecule).
#
#   scripts/molecule.sh [SCENARIO...]      e.g. onboard_odin; default: every scenario
#
# Each scenario extensions/molecule/<scenario>/ (Molecule's own layout: <role>_<provider>) runs
# `molecule test -s <scenario>` from extensions/, as `molecule test --all` would (create, check,
# converge, idempotence, verify, destroy: see extensions/molecule/config.yml, which Molecule finds
# by itself), one after the other, in its own ephemeral directory .build/molecule/<scenario>/,
# where the request log of its sandbox (requests.jsonl) and what the sandbox printed (sandbox.out)
# stay after the run. A failing scenario does not stop the others; the script prints one PASS/FAIL
# line per scenario and exits non-zero if any failed.
#
# No sandbox outlives the run: after each scenario (and on Ctrl-C), a sandbox that destroy.yml
# did not stop - its pid is still in the directory's launcher.pid or sandbox.pid and the process
# is still a sandbox - is stopped here, and the scenario fails.
#
# Uses the venv's molecule and the collection installed by `make install` (.build/collections).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
repo=$PWD
base=extensions/molecule
export PATH=$repo/.venv/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$repo/.build/collections}
# molecule colours its output whenever TERM says xterm; not in CI logs or files
if [ -n "${CI:-}" ] || [ ! -t 1 ]; then
    export NO_COLOR=1 ANSIBLE_NOCOLOR=1
fi

if [ "$#" -gt 0 ]; then
    scenarios=("$@")
else
    mapfile -t scenarios < <(find "$base" -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%P\n' | sed 's#/molecule\.yml$##' | sort)
fi
if [ "${#scenarios[@]}" -eq 0 ]; then
    echo "molecule.sh: no scenario under $base" >&2
    exit 1
fi

is_sandbox() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- '-m tests\.sandbox '
}

# Stops a sandbox left running in ephemeral directory $1; returns 1 if there was one.
stop_leftover() {
    local dir=$1 pid left=0
    while read -r pid; do
        if [ -n "$pid" ] && is_sandbox "$pid"; then
            echo "molecule.sh: a sandbox (pid $pid) was still running after the scenario: stopping it" >&2
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 50); do is_sandbox "$pid" || break; sleep 0.1; done
            if is_sandbox "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
            left=1
        fi
    done < <(cat "$dir/launcher.pid" "$dir/sandbox.pid" 2>/dev/null | sort -u)
    return "$left"
}

current=
trap 'if [ -n "$current" ]; then stop_leftover "$current"; fi; exit 130' INT TERM

declare -a lines=()
passed=0
failed=0
for scenario in "${scenarios[@]}"; do
    if [ ! -f "$base/$scenario/molecule.yml" ]; then
        echo "molecule.sh: no scenario $scenario ($base/$scenario/molecule.yml)" >&2
        lines+=("$(printf '%-22s %s' "$scenario" "FAIL (no such scenario)")")
        failed=$((failed + 1))
        continue
    fi
    echo
    echo "==================== molecule test -s $scenario ===================="
    current=$repo/.build/molecule/$scenario
    mkdir -p "$current"
    start=$SECONDS
    status=PASS
    if ! (cd extensions && MOLECULE_EPHEMERAL_DIRECTORY=$current molecule test -s "$scenario"); then
        status=FAIL
    fi
    if ! stop_leftover "$current"; then
        status="FAIL (sandbox left running)"
    fi
    current=
    if [ "$status" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    lines+=("$(printf '%-22s %s  %4ds' "$scenario" "$status" $((SECONDS - start)))")
done

echo
echo "==================== molecule summary ===================="
printf '%s\n' "${lines[@]}"
# plain closing line, like scripts/run_gates.sh
echo "molecule: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
