"""Command line: python -m tests.sandbox PROVIDER [options] (see docs/sandbox.md)."""

import sys

from .common import main

sys.exit(main())
