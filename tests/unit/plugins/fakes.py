"""Test doubles for the client layer: a scripted HTTP session, a fake clock, module arguments."""

import contextlib
import io
import json

import requests
from requests.structures import CaseInsensitiveDict


def response(status=200, body=None, headers=None, reason=None):
    """A real requests.Response with the given status, JSON body and headers, its body not read yet.

    As a session asked for ``stream=True`` returns it: the transport reads the body itself.
    """
    resp = requests.Response()
    resp.status_code = status
    resp.reason = reason or {200: "OK", 403: "Forbidden", 404: "Not Found"}.get(status, "Error")
    resp.headers = CaseInsensitiveDict(headers or {})
    if body is None:
        content = b""
    elif isinstance(body, (bytes, str)):
        content = body.encode() if isinstance(body, str) else body
    else:
        content = json.dumps(body).encode()
        resp.headers.setdefault("Content-Type", "application/json")
    resp.raw = io.BytesIO(content)
    return resp


class ScriptedSession:
    """Answers each request with the next scripted item: a Response, or an exception to raise."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []
        self.headers = {}
        self.closed = False

    def request(self, method, url, **kwargs):
        self.calls.append(dict(kwargs, method=method, url=url))
        if not self.script:
            raise AssertionError("unexpected request %s %s" % (method, url))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def close(self):
        self.closed = True


class FakeClock:
    """time.monotonic + time.sleep that advance together, recording every sleep."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def script_transport(client, *script):
    """Give a provider client's transport a scripted session and a fake clock; returns (session, clock).

    A client that paces itself (pacing.Pacer) keeps pacing, on the fake clock and in this
    process only: never real sleeps, never the send log other test runs on this host share.
    """
    session = ScriptedSession(*script)
    clock = FakeClock()
    client.transport.session = session
    client.transport.sleep, client.transport.clock = clock.sleep, clock.clock
    pacer = client.transport.pacer
    if pacer is not None:
        pacer.clock, pacer.sleep, pacer._path = clock.clock, clock.sleep, None
    return session, clock


try:
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=unused-import  # re-exported
except ImportError:  # ansible-core before 2.19 (make oldest-python runs the oldest core, 2.16)
    @contextlib.contextmanager
    def patch_module_args(args):
        """The arguments an in-process AnsibleModule reads, as ansible-core before 2.19 takes them."""
        from ansible.module_utils import basic
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved
