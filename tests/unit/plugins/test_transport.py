"""The retry policy: what is re-sent, what is read back, what fails at once."""

import gzip
import http.server
import threading
import tracemalloc

import pytest
import requests

from ansible_collections.mailops.hosted_exchange.plugins.module_utils import transport as transport_module
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import ProviderError, RetryExhaustedError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.transport import CONFIRMED, Transport, backoff_delay
from tests.unit.plugins.fakes import FakeClock, ScriptedSession, response


def transport(*script, retries=3, budget=60.0, is_throttle=None):
    clock = FakeClock()
    session = ScriptedSession(*script)
    return Transport("test", retries=retries, retry_budget=budget, is_throttle=is_throttle, session=session,
                     sleep=clock.sleep, clock=clock.clock), session, clock


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    for attempt in range(8):
        ceiling = min(30.0, 2 ** attempt)
        low = backoff_delay(attempt, rand=lambda a, b: a)
        high = backoff_delay(attempt, rand=lambda a, b: b)
        assert (low, high) == (ceiling / 2, ceiling)


def test_reads_are_retried_on_connection_errors_and_gateway_errors():
    t, session, clock = transport(requests.exceptions.ConnectionError("reset"), response(503), response(200, {"ok": 1}))
    assert t.request("GET", "http://127.0.0.1/x").json() == {"ok": 1}
    assert len(session.calls) == 3 and len(clock.sleeps) == 2


def test_reads_give_up_after_the_retry_count():
    t, session, _clock = transport(response(502), response(502), response(502), retries=2)
    with pytest.raises(RetryExhaustedError, match="gave up after 2 retries"):
        t.request("GET", "http://127.0.0.1/x", obj="mailbox a@b.c")
    assert len(session.calls) == 3


def test_a_create_that_failed_ambiguously_is_read_back_not_resent():
    t, session, _clock = transport(requests.exceptions.Timeout("slow"))
    assert t.request("POST", "http://127.0.0.1/x", confirm=lambda: True) is CONFIRMED
    assert len(session.calls) == 1


def test_a_create_found_not_to_have_taken_effect_is_sent_again():
    t, session, _clock = transport(response(504), response(200))
    checks = []
    assert t.request("POST", "http://127.0.0.1/x", confirm=lambda: checks.append(1) or False).status_code == 200
    assert len(session.calls) == 2 and checks == [1]


def test_a_write_without_read_back_is_never_resent():
    t, session, _clock = transport(requests.exceptions.ConnectionError("reset"))
    with pytest.raises(RetryExhaustedError, match="not re-sent"):
        t.request("DELETE", "http://127.0.0.1/x")
    assert len(session.calls) == 1


def test_an_idempotent_write_retries_like_a_read():
    t, session, _clock = transport(response(503), response(200))
    assert t.request("PUT", "http://127.0.0.1/x", idempotent=True).status_code == 200
    assert len(session.calls) == 2


def test_throttling_is_waited_out_within_the_budget_and_not_counted_as_a_retry():
    throttle = response(403, None, {"x-error-message": "Exceeded request limits"})
    t, session, clock = transport(throttle, throttle, throttle, response(200), retries=0, budget=60.0,
                                  is_throttle=lambda r: r.status_code == 403)
    assert t.request("POST", "http://127.0.0.1/x").status_code == 200
    assert len(session.calls) == 4 and len(clock.sleeps) == 3


def test_throttling_beyond_the_budget_fails_clearly():
    throttle = response(403)
    t, session, clock = transport(*([throttle] * 10), budget=5.0, is_throttle=lambda r: True)
    with pytest.raises(RetryExhaustedError, match="budget of 5.0 seconds exhausted"):
        t.request("GET", "http://127.0.0.1/x")
    assert sum(clock.sleeps) <= 5.0 and len(session.calls) < 10


def test_other_errors_are_returned_at_once_for_the_client_to_map():
    t, session, clock = transport(response(403), response(400))
    assert t.request("GET", "http://127.0.0.1/x").status_code == 403
    assert t.request("POST", "http://127.0.0.1/x").status_code == 400
    assert len(session.calls) == 2 and clock.sleeps == []


def test_sign_is_called_for_every_attempt():
    stamps = iter(["a", "b"])
    t, session, _clock = transport(response(503), response(200))
    t.sign = lambda: {"X-Sig": next(stamps)}
    t.request("GET", "http://127.0.0.1/x")
    assert [call["headers"]["X-Sig"] for call in session.calls] == ["a", "b"]


def test_an_answer_is_read_whole_and_kept_for_the_client():
    t, session, _clock = transport(response(200, {"name": "x" * 200000}))
    answer = t.request("GET", "http://127.0.0.1/x")
    assert answer.json() == {"name": "x" * 200000} and len(answer.content) == len(answer.text) == 200012
    assert session.calls[0]["stream"] is True


def test_an_answer_past_the_size_cap_is_refused_not_retried(monkeypatch):
    monkeypatch.setattr(transport_module, "MAX_ANSWER_BYTES", 1024 * 1024)
    t, session, clock = transport(response(200, b" " * (1024 * 1024 + 1)), response(200, {}))
    with pytest.raises(ProviderError, match=r"mailbox a@b.c: the answer from http://127.0.0.1 is larger than 1 MB: "
                                            r"check api_url, or what answers there \(HTTP 200\)$"):
        t.request("GET", "http://127.0.0.1/x?secret=1", obj="mailbox a@b.c")
    assert len(session.calls) == 1 and clock.sleeps == []


def test_an_oversized_answer_to_a_write_says_the_write_may_have_taken_effect(monkeypatch):
    monkeypatch.setattr(transport_module, "MAX_ANSWER_BYTES", 1024 * 1024)
    t, session, _clock = transport(response(201, b" " * (1024 * 1024 + 1)))
    with pytest.raises(ProviderError, match=r"larger than 1 MB \(the POST may have taken effect: read the object back\)"):
        t.request("POST", "http://127.0.0.1/x", confirm=lambda: True)
    assert len(session.calls) == 1


def test_an_answer_just_at_the_size_cap_is_read(monkeypatch):
    monkeypatch.setattr(transport_module, "MAX_ANSWER_BYTES", 1024 * 1024)
    t, _session, _clock = transport(response(200, b" " * (1024 * 1024)))
    assert len(t.request("GET", "http://127.0.0.1/x").content) == 1024 * 1024


INFLATED = 32 * 1024 * 1024


class BombHandler(http.server.BaseHTTPRequestHandler):
    """Answers a few KB of gzip that inflate to 32 MB of JSON whitespace, with the status the path names."""

    bomb = None  # built once, by the fixture

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.send_response(int(self.path.strip("/")))
        self.send_header("Location", "/200")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(self.bomb)))
        self.end_headers()
        self.wfile.write(self.bomb)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def bomb_url():
    BombHandler.bomb = gzip.compress(b"{}" + b" " * (INFLATED - 2))
    server = http.server.HTTPServer(("127.0.0.1", 0), BombHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_port
    server.shutdown()
    server.server_close()


def test_a_compressed_answer_within_the_cap_is_inflated_and_read(bomb_url):
    assert len(BombHandler.bomb) < 64 * 1024
    answer = Transport("test", retries=0, timeout=10).request("GET", bomb_url + "/200")
    assert answer.json() == {} and len(answer.content) == INFLATED


@pytest.mark.parametrize("status", [200, 302])
def test_a_compressed_answer_is_capped_by_its_inflated_size_before_it_fills_memory(bomb_url, monkeypatch, status):
    # A redirect too: requests reads a redirect's body on its own, before the transport sees it.
    monkeypatch.setattr(transport_module, "MAX_ANSWER_BYTES", 4 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(ProviderError, match=r"larger than 4 MB: check api_url.*\(HTTP %d\)" % status):
            Transport("test", retries=0, timeout=10).request("GET", "%s/%d" % (bomb_url, status))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * 4 * 1024 * 1024
