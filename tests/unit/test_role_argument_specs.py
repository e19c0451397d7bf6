"""The roles' argument specs mark every secret no_log, as the modules' argument specs do."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
# What a secret is called (the modules' own rule for no_log warnings is much the same).
SECRET_NAME = re.compile(r"pass(word|phrase)|secret|token|api_?key|credential", re.IGNORECASE)


def options(spec, prefix=""):
    for name, option in (spec.get("options") or {}).items():
        yield prefix + name, option
        yield from options(option, prefix + name + ".")


def role_options():
    for path in sorted(REPO.glob("roles/*/meta/argument_specs.yml")):
        role = path.parts[-3]
        for entry_point, spec in yaml.safe_load(path.read_text())["argument_specs"].items():
            for name, option in options(spec):
                yield "%s:%s:%s" % (role, entry_point, name), option


def test_every_secret_option_of_a_role_is_no_log():
    secrets = dict((where, option) for where, option in role_options()
                   if SECRET_NAME.search(where.rsplit(":", 1)[1]) and option.get("type", "str") in ("str", "raw"))
    assert {"onboard:main:onboard_initial_password", "onboard:main:onboard_shared_mailbox_password"} <= set(secrets)
    assert [where for where, option in secrets.items() if option.get("no_log") is not True] == []


def test_no_log_is_only_where_a_secret_is():
    # A switch such as offboard_rotate_password is not a secret: no_log there would only hide what a run did.
    marked = [where for where, option in role_options() if option.get("no_log")]
    assert marked and all(SECRET_NAME.search(where.rsplit(":", 1)[1]) for where in marked)
