#!/usr/bin/env bash
# make oldest-python: the client layer's unit tests on the oldest Python the modules support.
#
# That Python is the one the requirements of plugins/doc_fragments/connection.py name (the one
# statement of the supported range); OLDEST_PYTHON picks the interpreter (default python3.N).
# The venv (.build/oldest-python-3.N) holds tests/unit/requirements-oldest-python.txt: the oldest
# ansible-core, requests and urllib3 the collection allows. Arguments go to pytest.
set -euo pipefail

cd "$(dirname "$0")/.."

TESTS=(tests/unit/plugins tests/unit/test_hostway_client.py tests/unit/test_odin_client.py
       tests/unit/test_hostile_answers.py)
REQUIREMENTS=tests/unit/requirements-oldest-python.txt

oldest=$(sed -n 's/^ *- Python \(3\.[0-9][0-9]*\) or later on the host that runs the modules.*/\1/p' \
         plugins/doc_fragments/connection.py)
if [ -z "$oldest" ]; then
    echo "oldest_python.sh: no 'Python 3.N or later on the host that runs the modules' in the requirements" \
         "of plugins/doc_fragments/connection.py" >&2
    exit 1
fi
# OLDEST_PYTHON if given; else python3.N on PATH, if it runs (a pyenv shim on PATH may not); else the
# newest pyenv-installed 3.N (this project's machines have one under ~/.pyenv/versions).
runs() { "$1" -c 'import sys' >/dev/null 2>&1; }
interpreter=${OLDEST_PYTHON:-}
if [ -z "$interpreter" ]; then
    if runs "python$oldest"; then
        interpreter=python$oldest
    else
        interpreter=$(find "${PYENV_ROOT:-$HOME/.pyenv}/versions" -maxdepth 3 \
                      -path "*/versions/$oldest.*/bin/python$oldest" 2>/dev/null | sort -V | tail -n 1)
    fi
fi

if [ -z "$interpreter" ] || ! runs "$interpreter"; then
    cat >&2 <<MESSAGE
make oldest-python: NOT RUN - no Python $oldest found (${interpreter:-neither python$oldest on PATH nor a
pyenv version $oldest.x}), so the oldest supported Python cannot be tested here. Debian 12 packages
Python 3.11 only (apt-cache policy python$oldest has no candidate), and uv python install downloads
its builds from GitHub. Where a Python $oldest exists: make oldest-python OLDEST_PYTHON=/path/to/python$oldest
MESSAGE
    exit 1
fi

version=$("$interpreter" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$version" != "$oldest" ]; then
    echo "oldest_python.sh: NOTE - $interpreter is Python $version, not the oldest supported ($oldest):" \
         "this run checks the set-up, not the oldest Python" >&2
fi

venv=.build/oldest-python-$version
stamp=$venv/.requirements.stamp
if [ ! -f "$stamp" ] || [ "$REQUIREMENTS" -nt "$stamp" ]; then
    rm -rf "$venv"
    "$interpreter" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    "$venv/bin/python" -m pip check
    touch "$stamp"
fi

echo "oldest_python.sh: Python $version, $("$venv/bin/python" -m pip --disable-pip-version-check list 2>/dev/null \
      | awk '$1 == "ansible-core" || $1 == "urllib3" || $1 == "requests" {printf "%s %s, ", $1, $2}')unit tests" \
      "of the client layer"
exec "$venv/bin/python" -m pytest -p no:cacheprovider "${TESTS[@]}" "$@"
