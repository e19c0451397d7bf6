"""Fault injection (start_sandbox(faults=...), --fault-*) in the three sandboxes, over real HTTP on 127.0.0.1."""

import base64
import contextlib
import json
import random
import signal
import socket
import struct
import threading
import time
import xmlrpc.client

import pytest
import requests

from tests.sandbox import start_sandbox
from tests.sandbox.common import FAULT_KINDS
from tests.sandbox.rackspace import signature_header
from tests.unit.sandbox_cli import run_cli

USER, SECRET = "fault-user", "fault-Secret-1"
PASSWORD = "Zq9!fault-pw"  # good enough for the password rules of all three providers
TIMEOUT = 10
SLOW = 0.75  # slow_seconds of the tests: well above GAVE_UP, the timeout of a client that gives up
GAVE_UP = 0.25  # still far longer than any other answer takes


class RackspaceDriver:
    """Signed form requests; a mailbox name is a mailbox of example.com."""

    provider = "rackspace"
    created = 200
    options = {"limits": {"GET": None, "WRITE": None}}

    def __init__(self, url):
        self.base = url + "/customers/me/domains/example.com/ex/mailboxes"

    @staticmethod
    def _headers():
        return {"User-Agent": "mailops-tests/1.0", "Accept": "application/json",
                "X-Api-Signature": signature_header(USER, SECRET, "mailops-tests/1.0")}

    def read(self, timeout=TIMEOUT):
        return requests.get(self.base, headers=self._headers(), timeout=timeout)

    def create(self, name, timeout=TIMEOUT):
        return requests.post("%s/%s" % (self.base, name), headers=self._headers(), timeout=timeout,
                             data={"displayName": "New Mailbox", "password": PASSWORD, "size": "1024"})

    def exists(self, name):
        status = requests.get("%s/%s" % (self.base, name), headers=self._headers(), timeout=TIMEOUT).status_code
        assert status in (200, 404)
        return status == 200

    @staticmethod
    def ok(response):
        return response.status_code == 200


class HostwayDriver:
    """HTTP Basic and JSON; a mailbox name is a username of example.com."""

    provider = "hostway"
    created = 201
    options = {}

    def __init__(self, url):
        self.base = url + "/accounts/test-account123/email/example.com/usernames"

    def read(self, timeout=TIMEOUT):
        return requests.get(self.base, auth=(USER, SECRET), timeout=timeout, headers={"Accept": "application/json"})

    def create(self, name, timeout=TIMEOUT):
        return requests.put("%s/%s/exchange" % (self.base, name), auth=(USER, SECRET), timeout=timeout,
                            json={"password": PASSWORD}, headers={"Accept": "application/json"})

    def exists(self, name):
        status = requests.get("%s/%s/exchange" % (self.base, name), auth=(USER, SECRET), timeout=TIMEOUT).status_code
        assert status in (200, 404)
        return status == 200

    @staticmethod
    def ok(response):
        return response.status_code in (200, 201)


class OdinDriver:
    """XML-RPC calls as plain HTTP POSTs (xmlrpc.client's transport would re-send a call after a drop)."""

    provider = "odin"
    created = 200
    options = {}

    def __init__(self, url):
        self.url = url

    def call(self, method, args, timeout=TIMEOUT):
        return requests.post(self.url, data=xmlrpc.client.dumps((args,), method), auth=(USER, SECRET),
                             headers={"Content-Type": "text/xml"}, timeout=timeout)

    def read(self, timeout=TIMEOUT):
        return self.call("pem.exchange.getMailboxes", {"subscription_id": 1000}, timeout)

    def create(self, name, timeout=TIMEOUT):
        address = "%s@example.com" % name
        return self.call("pem.exchange.addMailbox", {
            "alias": name, "primary_email_address": address, "size_limit": 1048576,
            "owa": True, "mapi": True, "imap4": True, "pop3": True, "active_sync": False,
            "new_user": {"subscription_id": 1000, "login": address, "password": PASSWORD, "display_name": name},
        }, timeout)

    def exists(self, name):
        return self.ok(self.call("pem.exchange.getMailboxByEmailAddress", {"email_address": "%s@example.com" % name}))

    @staticmethod
    def ok(response):
        return response.status_code == 200 and xmlrpc.client.loads(response.content)[0][0]["status"] == 0


DRIVERS = [RackspaceDriver, HostwayDriver, OdinDriver]
by_provider = pytest.mark.parametrize("driver_type", DRIVERS, ids=[driver.provider for driver in DRIVERS])


@contextlib.contextmanager
def started(driver_type, faults, **kwargs):
    """A sandbox of the driver's provider with these faults, and a driver for it; stopped afterwards."""
    with start_sandbox(driver_type.provider, api_user=USER, api_secret=SECRET, faults=faults,
                       **dict(driver_type.options, **kwargs)) as sb:
        yield sb, driver_type(sb.url)


def outcome(send, *args, **kwargs):
    """What a client saw: the HTTP status, "dropped" or "timed out"."""
    try:
        return send(*args, **kwargs).status_code
    except requests.Timeout:
        return "timed out"
    except requests.ConnectionError:
        return "dropped"


def wait_for_requests(sb, count):
    deadline = time.monotonic() + TIMEOUT
    while len(sb.requests()) < count:
        assert time.monotonic() < deadline, sb.requests()
        time.sleep(0.01)


# ----- each kind, each provider --------------------------------------------------------------

SEEN = {"503-before": 503, "drop-after": "dropped", "502-after": 502, "slow-after": "timed out"}


@pytest.mark.parametrize("kind", FAULT_KINDS)
@by_provider
def test_each_kind_on_a_create(driver_type, kind):
    with started(driver_type, {"rate": 1, "kinds": [kind], "slow_seconds": SLOW}) as (sb, driver):
        assert outcome(driver.create, "newbie", timeout=GAVE_UP if kind == "slow-after" else TIMEOUT) == SEEN[kind]
        wait_for_requests(sb, 1)
        entry, = sb.requests()
        assert entry["fault"] == kind
        acted = kind != "503-before"
        # status: what the provider answered (503: the sandbox answered in its stead)
        assert entry["status"] == (driver_type.created if acted else 503)
        assert sb.writes() == ([entry] if acted else [])
        assert sb.faults() == [entry]
        sb.set_faults(None)
        assert driver.exists("newbie") is acted
        assert "fault" not in sb.requests()[-1]


@by_provider
def test_injected_502_and_503_are_short_plain_text(driver_type):
    with started(driver_type, {"rate": 1, "kinds": ["503-before", "502-after"], "seed": 1}) as (sb, driver):
        answers = [driver.read() for _attempt in range(8)]
        assert {answer.status_code for answer in answers} == {502, 503}
        for answer in answers:
            assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert answer.text.startswith("%d " % answer.status_code) and "injected fault" in answer.text
        kinds = {503: "503-before", 502: "502-after"}
        assert [entry["fault"] for entry in sb.requests()] == [kinds[answer.status_code] for answer in answers]


@by_provider
def test_a_slow_answer_comes_whole_after_slow_seconds_and_does_not_block_others(driver_type):
    held = 1.0
    with started(driver_type, {"rate": 1, "kinds": ["slow-after"], "slow_seconds": held}) as (sb, driver):
        late = {}

        def create():
            started_at = time.monotonic()
            late["response"] = driver.create("late")
            late["seconds"] = time.monotonic() - started_at

        thread = threading.Thread(target=create)
        thread.start()
        wait_for_requests(sb, 1)  # acted and logged, the answer now held
        sb.set_faults(None)  # the held answer keeps its delay
        started_at = time.monotonic()
        assert all(driver.ok(driver.read()) for _attempt in range(3))
        assert driver.exists("late")
        assert time.monotonic() - started_at < held
        assert thread.is_alive()  # still held: the others did not wait for it
        thread.join(TIMEOUT)
        assert driver.ok(late["response"]) and late["response"].status_code == driver_type.created
        assert late["seconds"] >= held


@by_provider
def test_stop_returns_promptly_while_an_answer_is_held(driver_type):
    seen = {}
    with started(driver_type, {"rate": 1, "kinds": ["slow-after"], "slow_seconds": 60}) as (sb, driver):
        thread = threading.Thread(target=lambda: seen.update(outcome=outcome(driver.read)))
        thread.start()
        wait_for_requests(sb, 1)
        started_at = time.monotonic()
        sb.stop()
        assert time.monotonic() - started_at < 2
        thread.join(TIMEOUT)
        assert seen["outcome"] == "dropped"  # the held answer is never sent
        with pytest.raises(requests.ConnectionError):
            driver.read(timeout=2)


def test_a_client_that_gave_up_on_a_slow_answer_leaves_no_traceback(capfd):
    with started(HostwayDriver, {"rate": 1, "kinds": ["slow-after"], "slow_seconds": SLOW}) as (sb, driver):
        connection = socket.create_connection((sb.host, sb.port), timeout=TIMEOUT)
        credentials = base64.b64encode(("%s:%s" % (USER, SECRET)).encode("ascii")).decode("ascii")
        connection.sendall(("GET /accounts/test-account123/email/example.com/usernames HTTP/1.1\r\n"
                            "Host: sandbox\r\nAuthorization: Basic %s\r\n\r\n" % credentials).encode("ascii"))
        wait_for_requests(sb, 1)
        # the client gives up and closes with a reset, so that writing the late answer fails
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
        time.sleep(SLOW + 0.3)
        sb.set_faults(None)
        assert driver.ok(driver.read())
    assert sb.requests()[0]["status"] == 200
    assert capfd.readouterr().err == ""


# ----- the draw: rate, seed, methods -----------------------------------------------------------

@by_provider
def test_rate_zero_injects_nothing(driver_type):
    with started(driver_type, {"rate": 0, "seed": 3}) as (sb, driver):
        assert all(driver.ok(driver.read()) for _attempt in range(15))
        assert driver.ok(driver.create("plain"))
        assert sb.faults() == [] and all("fault" not in entry for entry in sb.requests())
        assert len(sb.writes()) == 1


@by_provider
def test_rate_one_faults_every_request_with_every_kind(driver_type):
    with started(driver_type, {"rate": 1, "seed": 3, "slow_seconds": SLOW}) as (sb, driver):
        seen = [outcome(driver.read, timeout=GAVE_UP) for _attempt in range(8)]
        wait_for_requests(sb, 8)
        kinds = [entry.get("fault") for entry in sb.requests()]
        assert len(kinds) == 8 and set(kinds) == set(FAULT_KINDS)  # seed 3: each kind at least once
        assert seen == [SEEN[kind] for kind in kinds]
        assert len(sb.faults()) == 8


def expected_faults(seed, rate, kinds, count):
    """The documented rule: one draw per eligible request, kinds[int(value / rate * len(kinds))] when value < rate."""
    draws = random.Random(seed)
    values = [draws.random() for _request in range(count)]
    return [kinds[int(value / rate * len(kinds))] if value < rate else None for value in values]


@by_provider
def test_the_same_seed_gives_the_same_faults(driver_type):
    kinds = ["503-before", "drop-after", "502-after"]

    def run(seed):
        with started(driver_type, {"rate": 0.5, "seed": seed, "kinds": kinds}) as (sb, driver):
            for _attempt in range(30):
                outcome(driver.read)
            return [entry.get("fault") for entry in sb.requests()]

    first = run(7)
    assert first == run(7) == expected_faults(7, 0.5, kinds, 30)
    assert None in first and set(first) - {None} == set(kinds)
    assert run(8) != first


def test_methods_limit_faults_to_some_http_methods():
    faults = {"rate": 1, "kinds": ["502-after"], "methods": ["put", "DELETE"]}
    with started(HostwayDriver, faults) as (sb, driver):
        assert sb.fault_settings()["methods"] == ["PUT", "DELETE"]
        assert driver.ok(driver.read())
        assert driver.create("filtered").status_code == 502
        assert driver.exists("filtered")
        assert [(entry["method"], entry.get("fault")) for entry in sb.requests()] == [
            ("GET", None), ("PUT", "502-after"), ("GET", None)]


def test_faults_can_be_turned_on_changed_and_off_while_serving():
    with started(HostwayDriver, None) as (sb, driver):
        assert sb.fault_settings() is None
        sb.set_faults({"rate": 1, "kinds": "503-before"})
        assert sb.fault_settings() == {"rate": 1.0, "seed": 0, "kinds": ["503-before"], "slow_seconds": 2.0,
                                       "methods": None}
        assert driver.read().status_code == 503
        with pytest.raises(ValueError):
            sb.set_faults({"rate": 2})
        assert driver.read().status_code == 503  # a refused change leaves the faults as they were
        sb.set_faults({"rate": 0})
        assert driver.ok(driver.read())
        sb.set_faults(None)
        assert sb.fault_settings() is None and driver.ok(driver.read())
        assert [entry.get("fault") for entry in sb.requests()] == ["503-before", "503-before", None, None]
        assert len(sb.faults()) == 2


def test_the_log_file_records_the_fault(tmp_path):
    log_path = tmp_path / "requests.jsonl"
    with started(RackspaceDriver, {"rate": 1, "kinds": ["503-before"]}, log_path=str(log_path)) as (sb, driver):
        assert driver.create("logged").status_code == 503
        sb.set_faults(None)
        assert driver.ok(driver.create("logged"))
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [(line["status"], line.get("fault"), line.get("write")) for line in lines] == [
        (503, "503-before", False), (200, None, None)]


@pytest.mark.parametrize("faults", [
    {"rate": 1.5}, {"rate": -0.1}, {"rate": "0.2"}, {"rate": True}, {"rate": float("nan")}, {"seed": 1},
    {"rate": 0.2, "seed": 1.5}, {"rate": 0.2, "kinds": []}, {"rate": 0.2, "kinds": ["timeout"]},
    {"rate": 0.2, "kinds": ["502-after", "502-after"]}, {"rate": 0.2, "slow_seconds": 0},
    {"rate": 0.2, "slow_seconds": float("inf")}, {"rate": 0.2, "methods": []}, {"rate": 0.2, "methods": [1]},
    {"rate": 0.2, "retries": 1}, [0.2],
], ids=repr)
def test_bad_fault_settings_are_refused(faults):
    with pytest.raises(ValueError):
        start_sandbox("hostway", api_user=USER, api_secret=SECRET, faults=faults)


# ----- command line ------------------------------------------------------------------------------

def test_cli_fault_options(tmp_path):
    log_path = tmp_path / "log.jsonl"
    with run_cli("odin", "--api-user", USER, "--api-secret", SECRET, "--log", str(log_path), "--fault-rate", "1",
                 "--fault-seed", "3", "--fault-kinds", "503-before,502-after", "--fault-slow-seconds", "0.5",
                 "--fault-methods", "post") as process:
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        assert json.loads(process.stdout.readline().split(": ", 1)[1]) == {
            "rate": 1.0, "seed": 3, "kinds": ["503-before", "502-after"], "slow_seconds": 0.5, "methods": ["POST"]}
        driver = OdinDriver(url)
        assert driver.read().status_code in (502, 503)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=TIMEOUT) == 0
    entry, = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert entry["fault"] in ("503-before", "502-after")


@pytest.mark.parametrize("arguments, message", [
    (["--fault-kinds", "drop-after"], "need --fault-rate"),
    (["--fault-rate", "2"], "rate must be a number from 0 to 1"),
    (["--fault-rate", "0.2", "--fault-kinds", "503-before,hang"], "kinds must name"),
])
def test_cli_refuses_bad_fault_options(arguments, message):
    with run_cli("hostway", "--api-user", USER, "--api-secret", SECRET, *arguments) as process:
        assert process.wait(timeout=TIMEOUT) == 2
        assert message in process.stderr.read()
