"""Provider-independent sandbox machinery.

A sandbox is one simulated provider API served over real HTTP on a loopback address.
This module owns everything that does not depend on the provider: the provider registry,
the server and its lifecycle, request parsing, the request log, fixture loading, the
time scale and rate limiting helpers, and the command line.  A provider module (for
example ``rackspace.py``) only turns a parsed :class:`Request` into a :class:`Response`.
"""

import argparse
import copy
import importlib
import ipaddress
import json
import os
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
        request = self.server.sandbox.parse_request(self.command, self.path, self.headers, body, received)
        response = self.server.sandbox.dispatch(request)
        self._send(response)

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

    def __init__(self, provider, host, port, log_path):
        self.provider = provider
        self.lock = threading.RLock()  # held around every provider call and log access
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
        with self.lock:
            try:
                response = self.provider.handle(request)
            except Exception:  # a simulator bug must show up in the test, not hang it
                traceback.print_exc()
                response = Response(500, b"sandbox internal error", [("Content-Type", "text/plain")])
            entry = request.log_entry(response.status)
            self._log.append(entry)
            if self._log_file:
                self._log_file.write(json.dumps(entry) + "\n")
                self._log_file.flush()
        return response

    def requests(self):
        """Every request served so far, oldest first (copies)."""
        with self.lock:
            return copy.deepcopy(self._log)

    def writes(self):
        # An entry may say itself whether it wrote (every XML-RPC call is a POST).
        return [entry for entry in self.requests() if entry.get("write", entry["method"] in WRITE_METHODS)]

    def clear_log(self):
        with self.lock:
            self._log.clear()

    def stop(self):
        """Stop serving, close every connection, free the port.  Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
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
                  host="127.0.0.1", port=0, log_path=None, **options):
    """Start a simulated provider API on ``host:port`` (port 0: any free port).

    ``fixture`` is a dict or a JSON/YAML file path describing existing objects;
    ``time_scale`` multiplies every provider time window (0.05 turns a minute into 3 s);
    ``log_path`` appends each served request as one JSON line; provider-specific
    ``options`` (for example Rackspace ``limits``) go to the provider.
    """
    if not time_scale or time_scale <= 0:
        raise ValueError("time_scale must be a positive number")
    ensure_loopback(host)
    provider_type = provider_class(provider)
    simulated = provider_type(
        api_user=api_user, api_secret=api_secret, fixture=load_fixture(fixture),
        time_scale=float(time_scale), **options,
    )
    return Sandbox(simulated, host, port, log_path)


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
    args = parser.parse_args(argv)

    stop_requested = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop_requested.set())

    try:
        sandbox = start_sandbox(
            args.provider, api_user=args.api_user, api_secret=args.api_secret,
            fixture=args.fixture, time_scale=args.time_scale, host=args.host, port=args.port,
            log_path=args.log,
        )
    except (ValueError, OSError) as exc:
        print("sandbox: %s" % exc, file=sys.stderr)
        return 2
    try:
        if args.pidfile:
            with open(args.pidfile, "w", encoding="utf-8") as handle:
                handle.write("%d\n" % os.getpid())
        print("sandbox %s listening on %s" % (args.provider, sandbox.url), flush=True)
        # Short waits keep the main thread responsive to signals.
        while not stop_requested.wait(0.5):
            pass
    finally:
        sandbox.stop()
        if args.pidfile and os.path.exists(args.pidfile):
            os.remove(args.pidfile)
    return 0
