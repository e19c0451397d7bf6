"""Fixtures of the compat smoke: the integration tests' own (sandboxes, run_playbook).

run_playbook runs the ansible-playbook of HARNESS_ANSIBLE_BIN, which scripts/compat.sh points at
one ansible-core's venv in .build/compat/ (see tests/integration/harness.py).
"""

# pylint: disable=unused-import
from tests.integration.conftest import pytest_report_header, rackspace_env, rackspace_sandbox, run_playbook, sandbox_factory  # noqa: F401
