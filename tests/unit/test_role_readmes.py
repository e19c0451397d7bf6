"""Each role's README.md (shown by Galaxy and Automation Hub) documents the variables its
meta/argument_specs.yml declares: the same names, and the same default or "required"."""

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(path.name for path in (REPO / "roles").iterdir() if (path / "meta" / "argument_specs.yml").is_file())
ROW = re.compile(r"^\| `(?P<name>\w+)` \| (?P<type>[^|]+) \| (?P<default>[^|]+) \| (?P<description>.+) \|$")


def readme_rows(role):
    text = (REPO / "roles" / role / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Role variables\n", 1)[1].split("\n## ", 1)[0]
    return {m["name"]: m for m in map(ROW.match, section.splitlines()) if m}


def test_every_role_is_checked():
    assert ROLES == ["offboard", "onboard"]


@pytest.mark.parametrize("role", ROLES)
def test_readme_variables_match_the_argument_specs(role):
    specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    options = specs["argument_specs"]["main"]["options"]
    rows = readme_rows(role)
    assert sorted(rows) == sorted(options), "README variables table and meta/argument_specs.yml differ"
    for name, spec in options.items():
        cell = rows[name]["default"].strip()
        if spec.get("required"):
            assert cell == "required", name
        else:
            assert cell.startswith("`") and cell.endswith("`"), (name, cell)
            assert yaml.safe_load(cell[1:-1]) == spec.get("default"), (name, cell, spec.get("default"))
        kind = spec.get("type", "str")
        if kind == "list":
            kind = "list of %ss" % spec["elements"] if spec["elements"] == "dict" else "list of %s" % spec["elements"]
        assert rows[name]["type"].strip() == kind, name
        for choice in spec.get("choices", []):
            assert "`%s`" % choice in rows[name]["description"], (name, choice)
