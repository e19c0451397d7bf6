#!/usr/bin/env bash
# Run each quality gate (a make target) in turn, keep going when one fails, then print
# one PASS/FAIL line per gate and exit non-zero if any failed. Called by `make test`.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1

declare -a lines=()
passed=0
failed=0

for gate in "$@"; do
    echo
    echo "==================== gate: $gate ===================="
    start=$SECONDS
    if make --no-print-directory "$gate"; then
        status=PASS
        passed=$((passed + 1))
    else
        status=FAIL
        failed=$((failed + 1))
    fi
    lines+=("$(printf '%-12s %s  %4ds' "$gate" "$status" $((SECONDS - start)))")
    echo "==================== gate: $gate: $status ===================="
    if [ "$gate" = venv ] && [ "$status" = FAIL ]; then
        echo "no virtual environment: the other gates cannot run"
        break
    fi
done

echo
echo "==================== summary ===================="
printf '%s\n' "${lines[@]}"
# plain closing line: CI logs are read for "N passed, N failed"
echo "gates: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
