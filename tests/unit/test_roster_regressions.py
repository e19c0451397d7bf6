"""Scenarios that once broke mailbox_roster's safety promises (tests/unit/roster_regressions/, one module each, with
the finding in its docstring): each runs against the provider's sandbox in-process and asserts what must hold - no
removal of what a valid row names or keeps, no address left on nobody, check mode the exact forecast, a plan digest
that pins the mailbox - and that no odd input crashes or reveals a secret."""

import pkgutil
import runpy
from pathlib import Path

import pytest

SCENARIOS = sorted(name for _finder, name, _pkg in pkgutil.iter_modules([str(Path(__file__).parent / "roster_regressions")])
                   if name != "harness")


def test_the_scenarios_are_all_here():
    assert len(SCENARIOS) >= 19, SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_holds(scenario):
    runpy.run_module("tests.unit.roster_regressions.%s" % scenario, run_name="__main__")
