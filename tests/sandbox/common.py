"""Provider-independent sandbox machinery.

A sandbox is one simulated provider API served over real HTTP on a loopback address.
This module owns everything that does not depend on the provider: the provider registry,
the server and its lifecycle, request parsing, the request log, fault injection, fixture
loading, the time scale and rate limiting helpers, and the command line.  A provider
module (for example ``rackspace.py``) only turns a parsed :class:`Request` into a
:class:`Response`.
"""

import argparse
import copy
import importlib
import ipaddress
import json
import math
import os
import random
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

# Provider name -> module (relative to this package) defining ``PROVIDER``, a Provider
# subclass.  Names whose module does not exist yet are listed so the CLI and the error
# message can say so instead of claiming the provider is unknown.
PROVIDER_MODULES = {
    "rackspace": ".rackspace",
    "hostway": ".hostway",
    "odin": ".odin",
}

WRITE_METHODS = ("POST", "PUT", "DELETE")
MAX_BODY_BYTES = 1024 * 1024
# Idle keep-alive connections are dropped after this long so stray handler threads end.
CONNECTION_IDLE_TIMEOUT = 60
STOP_JOIN_TIMEOUT = 10

# Fault injection (see FaultPlan): what a client may meet on the way to a real provider.
FAULT_KINDS = ("503-before", "drop-after", "502-after", "slow-after")
FAULT_KEYS = ("rate", "seed", "kinds", "slow_seconds", "methods")
DEFAULT_SLOW_SECONDS = 2.0


def register_provider(name, module):
    """Map a provider name to a module (absolute, or relative to this package)."""
    PROVIDER_MODULES[name] = module


def provider_class(name):
    module_name = PROVIDER_MODULES.get(name)
    if module_name is None:
        raise ValueError(
            "unknown sandbox provider %r (known: %s)" % (name, ", ".join(sorted(PROVIDER_MODULES)))
        )
    try:
        module = importlib.import_module(module_name, package=__package__)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(module_name.lstrip(".")):
            raise ValueError("sandbox provider %r is not implemented yet" % name) from exc
        raise
    return module.PROVIDER


@dataclass
class Request:
    """One HTTP request as the provider sees it (and as the log records it)."""

    method: str
    path: str  # as received, still percent-encoded, without the query string
    query: dict  # name -> value; the last one wins when a name repeats
    query_pairs: list
    headers: dict  # lower-case name -> value; repeated headers joined with ", "
    body: bytes
    form: dict = None  # parsed body when it is form-urlencoded, else None
    form_pairs: list = None
    received: float = 0.0
    # Provider-specific keys for the log entry (Odin: rpc_method, rpc_params, write).
    log_extra: dict = field(default_factory=dict)

    @property
    def content_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def log_entry(self, status):
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "headers": dict(self.headers),
            "body": self.text,
            "form": dict(self.form) if self.form is not None else None,
            "status": status,
            "time": self.received,
            **self.log_extra,
        }


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list = field(default_factory=list)  # [(name, value)]

    @classmethod
    def json(cls, status, payload, headers=()):
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return cls(status, body, [("Content-Type", "application/json; charset=utf-8"), *headers])


def header_safe(text):
    """Make provider text (which may echo user input) safe for an HTTP header value."""
    flat = " ".join(str(text).splitlines())
    return flat.encode("ascii", "replace").decode("ascii")


class Provider:
    """Base of every simulated provider.

    Subclasses set ``name`` and ``url_path`` (appended to ``http://host:port`` to form the
    sandbox URL), build ``self.state`` from the fixture in ``__init__`` and implement
    :meth:`handle`.  ``handle`` is always called with the sandbox lock held, so a provider
    needs no locking of its own.  Extra keyword arguments of :func:`start_sandbox` arrive
    as ``options``; a provider rejects the ones it does not know.
    """

    name = ""
    url_path = ""

    def __init__(self, *, api_user, api_secret, fixture, time_scale, **options):
        self.api_user = api_user
        self.api_secret = api_secret
        self.time_scale = time_scale
        self.state = None

    def handle(self, request):
        raise NotImplementedError


class FixedWindowLimiter:
    """Counts hits per key in fixed windows that start at a key's first hit."""

    def __init__(self, window_seconds, clock=time.monotonic):
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows = {}  # key -> [window start, hits]

    def hit(self, key, limit):
        """Record one hit; False when it goes over ``limit`` (None means unlimited)."""
        now = self._clock()
        window = self._windows.get(key)
        if window is None or now - window[0] >= self.window_seconds:
            window = self._windows[key] = [now, 0]
        window[1] += 1
        return limit is None or window[1] <= limit


def _names(value, where):
    """A list of names, given as a list or as one comma-separated string."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ValueError("%s must be a list of names (got %r)" % (where, value))
    return list(value)


def _positive_number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value > 0


class FaultPlan:
    """Which requests meet an injected fault (``start_sandbox(faults=...)``; docs/sandbox.md).

    Each eligible request (every one, or those whose HTTP method is in ``methods``) takes
    the next number ``value`` of one ``random.Random(seed)``, under the sandbox lock, and
    meets ``kinds[int(value / rate * len(kinds))]`` when ``value < rate``.  So the same
    seed and the same order of requests give the same faults.
    """

    def __init__(self, rate, seed=0, kinds=FAULT_KINDS, slow_seconds=DEFAULT_SLOW_SECONDS, methods=None):
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError("faults: rate must be a number from 0 to 1 (got %r)" % (rate,))
        if isinstance(seed, bool) or not isinstance(seed, (int, str)):
            raise ValueError("faults: seed must be an integer or a string (got %r)" % (seed,))
        kinds = _names(kinds, "faults: kinds")
        if not kinds or not set(kinds) <= set(FAULT_KINDS) or len(set(kinds)) != len(kinds):
            raise ValueError("faults: kinds must name one or more of %s, each once (got %r)"
                             % (", ".join(FAULT_KINDS), kinds))
        if not _positive_number(slow_seconds):
            raise ValueError("faults: slow_seconds must be a positive number (got %r)" % (slow_seconds,))
        if methods is not None:
            methods = [method.upper() for method in _names(methods, "faults: methods")]
            if not methods:
                raise ValueError("faults: methods must name at least one HTTP method (or be left out)")
        self.rate = float(rate)
        self.seed = seed
        self.kinds = tuple(kinds)
        self.slow_seconds = float(slow_seconds)
        self.methods = None if methods is None else tuple(methods)
        self._random = random.Random(seed)

    @classmethod
    def from_settings(cls, faults):
        """The plan a ``faults`` mapping asks for; None (no faults) for None."""
        if faults is None:
            return None
        reject_unknown_keys(faults, FAULT_KEYS, "faults")
        if "rate" not in faults:
            raise ValueError("faults: rate is required")
        return cls(**faults)

    def settings(self):
        return {
            "rate": self.rate, "seed": self.seed, "kinds": list(self.kinds), "slow_seconds": self.slow_seconds,
            "methods": None if self.methods is None else list(self.methods),
        }

    def draw(self, method):
        """The fault for the next request, or None.  Called once per request, under the sandbox lock."""
        if self.methods is not None and method not in self.methods:
            return None
        value = self._random.random()
        if value >= self.rate:
            return None
        return self.kinds[min(int(value / self.rate * len(self.kinds)), len(self.kinds) - 1)]


def fault_response(status, reason, what):
    """The plain answer of an injected 502/503, like a proxy in front of the provider would give."""
    text = "%d %s\n%s\n" % (status, reason, what)
    return Response(status, text.encode("utf-8"), [("Content-Type", "text/plain; charset=utf-8")])


def load_fixture(fixture):
    """Return a private copy of a fixture given as a dict or a JSON/YAML file path."""
    if fixture is None:
        return {}
    if isinstance(fixture, dict):
        return copy.deepcopy(fixture)
    path = os.fspath(fixture)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if path.endswith((".yml", ".yaml")):
        try:
            import yaml
        except ImportError as exc:
            raise ValueError("fixture %s is YAML but PyYAML is not installed" % path) from exc
        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError("fixture %s must hold a mapping at the top level" % path)
    return data


def ensure_loopback(host):
    """Refuse to serve on anything but a loopback address: the sandbox has no real auth."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror as exc:
        raise ValueError("cannot resolve sandbox host %r: %s" % (host, exc)) from exc
    for address in addresses:
        if not ipaddress.ip_address(address.split("%")[0]).is_loopback:
            raise ValueError("sandbox host %r is not a loopback address (%s)" % (host, address))


class _Server(ThreadingHTTPServer):
    """HTTP server that knows its open connections so stop() can close them."""

    request_queue_size = 128  # load tests open many connections at once

    def __init__(self, address, sandbox, ipv6):
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        self.sandbox = sandbox
        self._connections = {}  # socket -> handler thread
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address):
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def shutdown_request(self, request):
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def close_connections(self):
        with self._connections_lock:
            open_connections = list(self._connections.items())
        for connection, _thread in open_connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for _connection, thread in open_connections:
            thread.join(STOP_JOIN_TIMEOUT)

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer is normal (and stop() causes it on purpose).
        if not isinstance(sys.exc_info()[1], (ConnectionError, socket.timeout)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sandbox"
    sys_version = ""
    timeout = CONNECTION_IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        """The request log replaces http.server's stderr chatter."""

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
                if sum(map(len, chunks)) > MAX_BODY_BYTES:
                    raise ValueError("request body too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            raise ValueError("request body too large or bad Content-Length")
        return self.rfile.read(length)

    def _serve(self):
        received = time.time()
        try:
            body = self._read_body()
        except ValueError as exc:
            self.close_connection = True
            self._send(Response(400, str(exc).encode("utf-8"), [("Content-Type", "text/plain")]))
            return
        sandbox = self.server.sandbox
        request = sandbox.parse_request(self.command, self.path, self.headers, body, received)
        response, delay = sandbox.dispatch(request)
        # A slow answer is held here, outside the sandbox lock, so other requests go on.
        if delay and not sandbox.hold(delay):
            response = None  # the sandbox is stopping: the answer is dropped
        if response is None:
            self.close_connection = True  # no answer at all: the client sees the connection closed
            return
        try:
            self._send(response)
        except OSError:
            self.close_connection = True  # the client has gone (it gave up waiting): nothing to report

    def _send(self, response):
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)


class Sandbox:
    """A running simulated provider; see :func:`start_sandbox`."""

    def __init__(self, provider, host, port, log_path, fault_plan=None):
        self.provider = provider
        self.lock = threading.RLock()  # held around every provider call and log access
        self._fault_plan = fault_plan  # a FaultPlan, or None: no faults
        self._stopping = threading.Event()  # set by stop(): held slow answers give up
        self._log = []
        self._log_file = open(log_path, "a", encoding="utf-8") if log_path else None
        ipv6 = ":" in host
        try:
            self._server = _Server((host, port), self, ipv6)
        except OSError:
            if self._log_file:
                self._log_file.close()
            raise
        self.host = host
        self.port = self._server.server_address[1]
        url_host = "[%s]" % host if ipv6 else host
        self.url = "http://%s:%d%s" % (url_host, self.port, provider.url_path)
        self._stopped = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="sandbox-%s-%d" % (provider.name, self.port), daemon=True,
        )
        self._thread.start()

    @property
    def state(self):
        return self.provider.state

    @staticmethod
    def parse_request(method, raw_path, raw_headers, body, received):
        parts = urlsplit(raw_path)
        query_pairs = parse_qsl(parts.query, keep_blank_values=True)
        headers = {}
        for name, value in raw_headers.items():
            name = name.lower()
            headers[name] = "%s, %s" % (headers[name], value) if name in headers else value
        request = Request(
            method=method, path=parts.path, query=dict(query_pairs), query_pairs=query_pairs,
            headers=headers, body=body, received=received,
        )
        if request.content_type == "application/x-www-form-urlencoded":
            request.form_pairs = parse_qsl(request.text, keep_blank_values=True)
            request.form = dict(request.form_pairs)
        return request

    def dispatch(self, request):
        """Serve one request: ``(response, delay)``, the answer to send after ``delay`` seconds,
        or ``(None, 0)`` when the connection is to be closed without an answer."""
        with self.lock:
            plan = self._fault_plan
            fault = plan.draw(request.method) if plan else None
            if fault == "503-before":
                response = fault_response(503, "Service Unavailable",
                                          "injected fault 503-before: the request was not passed to the provider")
            else:
                try:
                    response = self.provider.handle(request)
                except Exception:  # a simulator bug must show up in the test, not hang it
                    traceback.print_exc()
                    response = Response(500, b"sandbox internal error", [("Content-Type", "text/plain")])
            entry = request.log_entry(response.status)
            if fault:
                entry["fault"] = fault
                if fault == "503-before":
                    entry["write"] = False  # the provider never saw it
            self._log.append(entry)
            if self._log_file:
                self._log_file.write(json.dumps(entry) + "\n")
                self._log_file.flush()
        if fault == "drop-after":
            return None, 0
        if fault == "502-after":
            return fault_response(502, "Bad Gateway",
                                  "injected fault 502-after: the provider acted, its answer was replaced"), 0
        if fault == "slow-after":
            return response, plan.slow_seconds
        return response, 0

    def hold(self, seconds):
        """Wait before a slow answer; False when the sandbox is stopped meanwhile."""
        return not self._stopping.wait(seconds)

    def requests(self):
        """Every request served so far, oldest first (copies)."""
        with self.lock:
            return copy.deepcopy(self._log)

    def writes(self):
        # An entry may say itself whether it wrote (every XML-RPC call is a POST).
        return [entry for entry in self.requests() if entry.get("write", entry["method"] in WRITE_METHODS)]

    def faults(self):
        """The entries of the requests that met an injected fault (copies)."""
        return [entry for entry in self.requests() if entry.get("fault")]

    def clear_log(self):
        with self.lock:
            self._log.clear()

    def set_faults(self, faults):
        """Change fault injection while serving: a ``faults`` mapping as for :func:`start_sandbox`,
        or None to turn it off.  A new plan draws from its seed again."""
        plan = FaultPlan.from_settings(faults)
        with self.lock:
            self._fault_plan = plan

    def fault_settings(self):
        """The fault injection in force, with every default filled in; None when off."""
        with self.lock:
            return self._fault_plan.settings() if self._fault_plan else None

    def stop(self):
        """Stop serving, close every connection, free the port.  Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(STOP_JOIN_TIMEOUT)
        if self._log_file:
            self._log_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def reject_unknown_keys(mapping, allowed, where):
    """Fixture checking: a typo in a fixture file fails loudly instead of being ignored."""
    if not isinstance(mapping, dict):
        raise ValueError("%s must be a mapping" % where)
    unknown = sorted(set(mapping) - set(allowed))
    if unknown:
        raise ValueError("%s: unknown key(s) %s" % (where, ", ".join(unknown)))


def match_route(routes, segments):
    """``(handlers, arguments)`` of the route whose pattern fits the path segments, else ``(None, None)``.

    A route is ``(pattern, {method: handler})``; a pattern holds literal segments and
    ``None`` where the path carries an argument. An empty argument never matches.
    """
    for pattern, handlers in routes:
        if len(pattern) == len(segments) and all(p is None or p == s for p, s in zip(pattern, segments)):
            arguments = [s for p, s in zip(pattern, segments) if p is None]
            return (handlers, arguments) if all(arguments) else (None, None)
    return None, None


def start_sandbox(provider, api_user=None, api_secret=None, fixture=None, time_scale=1.0,
                  host="127.0.0.1", port=0, log_path=None, faults=None, **options):
    """Start a simulated provider API on ``host:port`` (port 0: any free port).

    ``fixture`` is a dict or a JSON/YAML file path describing existing objects;
    ``time_scale`` multiplies every provider time window (0.05 turns a minute into 3 s);
    ``log_path`` appends each served request as one JSON line; ``faults`` turns on fault
    injection (``{"rate": 0.2, "seed": 7, "kinds": [...], "slow_seconds": 2.0,
    "methods": [...]}``, see :class:`FaultPlan`); provider-specific ``options`` (for
    example Rackspace ``limits``) go to the provider.
    """
    if not time_scale or time_scale <= 0:
        raise ValueError("time_scale must be a positive number")
    fault_plan = FaultPlan.from_settings(faults)
    ensure_loopback(host)
    provider_type = provider_class(provider)
    simulated = provider_type(
        api_user=api_user, api_secret=api_secret, fixture=load_fixture(fixture),
        time_scale=float(time_scale), **options,
    )
    return Sandbox(simulated, host, port, log_path, fault_plan)


def _faults_from_args(parser, args):
    """The ``faults`` mapping the --fault-* options ask for; None without --fault-rate."""
    given = {
        key: value for key, value in (
            ("seed", args.fault_seed), ("kinds", args.fault_kinds),
            ("slow_seconds", args.fault_slow_seconds), ("methods", args.fault_methods),
        ) if value is not None
    }
    if args.fault_rate is None:
        if given:
            parser.error("the --fault-* options need --fault-rate")
        return None
    return dict(given, rate=args.fault_rate)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.sandbox",
        description="Serve a simulated hosted-Exchange provider API on a loopback address.",
    )
    parser.add_argument("provider", choices=sorted(PROVIDER_MODULES))
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument("--api-user", default=os.environ.get("HOSTED_EXCHANGE_API_USER"),
                        help="API user / key (default $HOSTED_EXCHANGE_API_USER)")
    parser.add_argument("--api-secret", default=os.environ.get("HOSTED_EXCHANGE_API_SECRET"),
                        help="API secret (default $HOSTED_EXCHANGE_API_SECRET)")
    parser.add_argument("--fixture", help="JSON or YAML file of existing objects")
    parser.add_argument("--log", help="append every served request to this file as JSON lines")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="multiply provider time windows (default 1.0)")
    parser.add_argument("--pidfile", help="write the process id here while serving")
    group = parser.add_argument_group("fault injection (see docs/sandbox.md)")
    group.add_argument("--fault-rate", type=float,
                       help="share of requests that meet an injected fault, 0 to 1 (default: no faults)")
    group.add_argument("--fault-seed", type=int, help="seed of the fault draws (default 0)")
    group.add_argument("--fault-kinds", help="comma-separated fault kinds (default all: %s)" % ",".join(FAULT_KINDS))
    group.add_argument("--fault-slow-seconds", type=float,
                       help="how long slow-after holds an answer (default %s)" % DEFAULT_SLOW_SECONDS)
    group.add_argument("--fault-methods", help="comma-separated HTTP methods that may meet a fault (default all)")
    args = parser.parse_args(argv)
    faults = _faults_from_args(parser, args)

    stop_requested = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop_requested.set())

    try:
        sandbox = start_sandbox(
            args.provider, api_user=args.api_user, api_secret=args.api_secret,
            fixture=args.fixture, time_scale=args.time_scale, host=args.host, port=args.port,
            log_path=args.log, faults=faults,
        )
    except (ValueError, OSError) as exc:
        print("sandbox: %s" % exc, file=sys.stderr)
        return 2
    try:
        if args.pidfile:
            with open(args.pidfile, "w", encoding="utf-8") as handle:
                handle.write("%d\n" % os.getpid())
        print("sandbox %s listening on %s" % (args.provider, sandbox.url), flush=True)
        if faults is not None:
            print("sandbox %s injecting faults: %s" % (args.provider, json.dumps(sandbox.fault_settings())), flush=True)
        # Short waits keep the main thread responsive to signals.
        while not stop_requested.wait(0.5):
            pass
    finally:
        sandbox.stop()
        if args.pidfile and os.path.exists(args.pidfile):
            os.remove(args.pidfile)
    return 0
