#!/usr/bin/env bash
# pytest for one test directory (make unit / make integration).
# A directory with no test files yet is reported loudly and passes; a directory that
# has test files but collects nothing (pytest exit 5) fails like any other error.
set -euo pipefail

cd "$(dirname "$0")/.."
dir=$1
shift

if [ -z "$(find "$dir" -name 'test_*.py' -print -quit 2>/dev/null)" ]; then
    echo "*** $dir: NO TEST FILES (test_*.py) YET - nothing to run ***"
    exit 0
fi

exec .venv/bin/python -m pytest "$dir" "$@"
