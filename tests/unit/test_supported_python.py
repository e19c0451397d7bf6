"""The supported Python range and the library floors: one statement, and everything else agrees with it.

The statement is the requirements of the connection doc fragment (every module's documentation shows
it). The runner's check, ansible-test's tests/config.yml, requirements.txt, the oldest-Python test set
(make oldest-python) and what README and the guides say are checked against it here.
"""

import re
from pathlib import Path

import yaml

from ansible_collections.mailops.hosted_exchange.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.mailops.hosted_exchange.plugins.module_utils import runner, transport

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["requirements"]
# How a Python floor is written in prose: "Python 3.10 or later", "Python 3.10+", "Python 3.10 or newer".
FLOOR = re.compile(r"Python (3\.\d+)(?:\+| or later| or newer)")


def stated(pattern):
    found = [match for match in (re.search(pattern, line) for line in REQUIREMENTS) if match]
    assert len(found) == 1, (pattern, REQUIREMENTS)
    return found[0].group(1)


def pins(path):
    return dict(line.split("==", 1) for line in path.read_text().splitlines()
                if "==" in line and not line.startswith("#"))


def test_the_python_floor_is_stated_once_and_the_runner_enforces_the_same():
    oldest = stated(r"^Python (3\.\d+) or later on the host that runs the modules")
    assert oldest == "%d.%d" % runner.PYTHON_MINIMUM


def test_ansible_test_tests_the_modules_on_the_supported_range():
    config = yaml.safe_load((REPO / "tests" / "config.yml").read_text())
    assert config["modules"]["python_requires"] == ">=%d.%d" % runner.PYTHON_MINIMUM


def test_the_urllib3_floor_is_the_same_everywhere():
    floor = stated(r"^urllib3 >= (\d+\.\d+\.\d+)")
    assert floor == transport.URLLIB3_MINIMUM
    assert "urllib3>=%s" % floor in (REPO / "requirements.txt").read_text().splitlines()


def test_the_requests_floor_is_the_same_everywhere():
    floor = stated(r"^requests (\d+\.\d+\.\d+) or later")
    assert "requests>=%s" % floor in (REPO / "requirements.txt").read_text().splitlines()


def test_the_oldest_python_run_uses_the_oldest_libraries_the_collection_allows():
    oldest = pins(REPO / "tests" / "unit" / "requirements-oldest-python.txt")
    assert oldest["urllib3"] == transport.URLLIB3_MINIMUM
    requirements = (REPO / "requirements.txt").read_text()
    assert "requests>=%s" % oldest["requests"] in requirements.splitlines()
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">=%s" % oldest["ansible-core"]


def test_readme_and_guides_state_no_other_python_floor_for_the_modules():
    oldest = "%d.%d" % runner.PYTHON_MINIMUM
    mentions = []
    for path in [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for clause in re.split(r"[;:(]|\. ", line):
                # The development tool chain and the controller have floors of their own.
                if not re.search(r"tool|controller|ansible-core 2\.(19|2\d)", clause):
                    mentions.extend(("%s:%d" % (path.name, number), version) for version in FLOOR.findall(clause))
    assert mentions, "README or docs/ should say which Python the modules need"
    assert [where for where, version in mentions if version != oldest] == []
