"""Passwords and API secrets with characters that change under escaping, through creates the provider refuses,
check and real runs, --diff: neither the secret nor an escaped form of it may appear in the result."""
import json
import urllib.parse
from xml.sax.saxutils import escape

from tests.unit.roster_regressions.harness import API_SECRET, hw_fixture, odin_fixture, rs_fixture, run, sandbox

leaks = []
for provider in ("rackspace", "odin", "hostway"):
    for password in ['Ab1"q\\z<&>x', "Zz9'%2Fpq+ r", "Pässwörd9!ü"]:
        if provider == "rackspace":
            fx = rs_fixture([{"name": "bob", "displayName": "Bob", "size": 1024}])
            rows = [{"name": "ann", "display_name": "Ann <x>", "size": 1024},
                    {"name": "cyd", "display_name": "C", "size": 1024}]
        elif provider == "odin":
            fx = odin_fixture([{"email_address": "bob@example.com", "size_limit": 1048576}])
            rows = [{"name": "ann", "size": 1024, "login": "bob@example.com"}, {"name": "cyd", "size": 1024}]
        else:
            fx = hw_fixture([{"username": "bob"}])
            rows = [{"name": "ann", "display_name": "Ann"}, {"name": "cyd", "display_name": "C"}]
        sb = sandbox(provider, fx)
        try:
            for check in (True, False):
                result = run(provider, sb, {"mailboxes": rows, "password": password}, check=check)
                raw = result.pop("_raw")
                forms = {password, json.dumps(password)[1:-1], urllib.parse.quote_plus(password),
                         urllib.parse.quote(password, safe=""), escape(password), API_SECRET}
                for form in forms:
                    if form in raw or form in json.dumps(result, ensure_ascii=False):
                        leaks.append((provider, password, check, form))
        finally:
            sb.stop()
print(leaks or "no leak")
assert not leaks
