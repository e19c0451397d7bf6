"""The sandbox's command line as a subprocess, for the tests of the CLI of each sandbox."""

import contextlib
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10


@contextlib.contextmanager
def run_cli(*arguments):
    """The sandbox CLI as a subprocess; killed if still running, and its pipes closed, afterwards."""
    process = subprocess.Popen([sys.executable, "-m", "tests.sandbox", *arguments], cwd=str(REPO_ROOT),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
        process.stdout.close()
        process.stderr.close()
