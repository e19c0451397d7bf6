"""Hostile server answers: every provider client operation against a catalogue of broken answers.

A raw-socket server on 127.0.0.1 answers each request of an operation with the provider's
normal answer, except the n-th (or every one from the n-th on), which gets a transformation
of that normal answer: cut short, reset (SO_LINGER 0), garbage status lines, HTML, empty,
redirected to another listener or in a loop, slow or dripping past the client's timeout,
throttled with odd Retry-After values, error statuses with odd bodies (some echoing the
request back), JSON or XML-RPC of the wrong shape, and every member of every answer removed
or replaced by a value of another type or an edge value (null, NaN, infinity, 10**40, deep
nesting, ...).

Each case asserts that the operation, within a bounded time,
- either returns a well-formed result: the normal one when the answer was plainly broken
  (the client may have retried), any well-formed one when the answer may be valid;
- or raises a HostedExchangeError whose text names the provider, carries no secret (the API
  secret or a password, in any encoding) and no bare Python exception text;
and that no credential header ever reaches the other listener.

Which transformations a request gets: the whole catalogue at the first request of the
operations marked ``full``; the CORE set at the first request that gets an answer of a new
shape; the LATER set at every other request; member mutations once per shape of answer.
"""
import base64
import copy
import json
import math
import re
import socket
import struct
import threading
import time
import traceback
import xmlrpc.client
from urllib.parse import parse_qs, quote, quote_plus, urlsplit
from xml.sax.saxutils import escape

import pytest

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.clients import make_client
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import HostedExchangeError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import MAILBOX_FIELDS
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers import hostway, rackspace

USER = "hostile-user"
SECRET = "S3cr&t+Key/=x"
PASSWORD = "Zq9!mail&box=Pw"
DOMAIN = "example.com"
HOSTWAY_ACCOUNT = "acct-7"
ODIN_SUBSCRIPTION = "1000042"
SLOW = 0.3  # how long a slow answer waits: well past SLOW_TIMEOUT
SLOW_TIMEOUT = 0.1  # the client's timeout in the cases that stall
TIMEOUT = 2.0  # the client's timeout in every other case (nothing stalls there)
BOUND = 6.0  # seconds any one case may take
SLOW_BOUND = 2.0  # seconds a case that stalls may take: its answers end at the client's own timeout
RETRY_BUDGET = 2.0  # in virtual seconds: waits are recorded, not slept
HOLD = 5.0  # longest a held connection stays open, or an answer drips


# --- the wire ------------------------------------------------------------------------------


class Request:
    def __init__(self, method, target, headers, body):
        self.method = method
        self.target = target
        parts = urlsplit(target)
        self.path = parts.path
        self.query = dict((key, values[0]) for key, values in parse_qs(parts.query).items())
        self.headers = headers
        self.body = body
        self.rpc_method = None
        self.rpc_args = None
        if self.path == "/RPC2" and body:
            try:
                params, self.rpc_method = xmlrpc.client.loads(body)
                self.rpc_args = params[0] if params else None
            except Exception:  # noqa: BLE001 - a request the client could not have sent
                pass

    def raw(self):
        head = "%s %s HTTP/1.1\r\n" % (self.method, self.target)
        head += "".join("%s: %s\r\n" % item for item in self.headers.items())
        return head.encode("latin-1") + b"\r\n" + self.body


class Answer:
    """A normal answer: status, headers, body; ``data`` is the decoded document (JSON or XML-RPC) if any."""

    def __init__(self, status=200, data=None, fmt="json", headers=None, body=None):
        self.status = status
        self.data = data
        self.fmt = fmt
        self.headers = dict(headers or {})
        if body is None:
            body = b"" if data is None else encode_document(data, fmt)
        self.body = body
        if data is not None or fmt == "xmlrpc":
            self.headers.setdefault("Content-Type", "text/xml" if fmt == "xmlrpc" else "application/json")


REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found", 303: "See Other",
           304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
           401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def http_head(status, headers, reason=None, length=None):
    """Status line and headers (Connection: close, and Content-Length unless length is False)."""
    lines = ["HTTP/1.1 %s %s" % (status, REASONS.get(status, "Whatever") if reason is None else reason)]
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    names = [name.lower() for name, _value in items]
    if length is not False and "content-length" not in names:
        items.append(("Content-Length", str(length or 0)))
    if "connection" not in names:
        items.append(("Connection", "close"))
    lines += ["%s: %s" % item for item in items]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def http_answer(status, body=b"", headers=None, reason=None):
    body = body.encode("utf-8") if isinstance(body, str) else body
    return http_head(status, headers or {}, reason, len(body)) + body


def render(answer):
    return http_answer(answer.status, answer.body, answer.headers)


class Raw:
    """A value written into a document as is (JSON text or an XML-RPC <value>)."""

    def __init__(self, text, name):
        self.text = text
        self.name = name


def encode_json(value):
    raws = []

    def walk(item):
        if isinstance(item, Raw):
            raws.append(item.text)
            return "\x00RAW%d\x00" % (len(raws) - 1)
        if isinstance(item, dict):
            return dict((key, walk(val)) for key, val in item.items())
        if isinstance(item, list):
            return [walk(val) for val in item]
        return item

    text = json.dumps(walk(value), allow_nan=True)
    for index, raw in enumerate(raws):
        text = text.replace(json.dumps("\x00RAW%d\x00" % index), raw)
    return text.encode("utf-8")


def xml_value(value):
    if isinstance(value, Raw):
        return value.text
    if value is None:
        return "<value><nil/></value>"
    if isinstance(value, bool):
        return "<value><boolean>%d</boolean></value>" % value
    if isinstance(value, int):
        return "<value><int>%d</int></value>" % value
    if isinstance(value, float):
        return "<value><double>%r</double></value>" % value
    if isinstance(value, str):
        return "<value><string>%s</string></value>" % escape(value)
    if isinstance(value, list):
        return "<value><array><data>%s</data></array></value>" % "".join(xml_value(item) for item in value)
    if isinstance(value, dict):
        return "<value><struct>%s</struct></value>" % "".join(
            "<member><name>%s</name>%s</member>" % (escape(str(key)), xml_value(item)) for key, item in value.items())
    raise TypeError(value)


def xml_response(*values):
    params = "".join("<param>%s</param>" % xml_value(value) for value in values)
    return ('<?xml version="1.0"?>\n<methodResponse><params>%s</params></methodResponse>\n' % params).encode("utf-8")


def xml_fault(code, text):
    return ('<?xml version="1.0"?>\n<methodResponse><fault>%s</fault></methodResponse>\n'
            % xml_value({"faultCode": code, "faultString": text})).encode("utf-8")


def encode_document(data, fmt):
    return xml_response(data) if fmt == "xmlrpc" else encode_json(data)


class Server:
    """A raw HTTP/1.1 listener: one request per connection, each answered by the armed script or the router."""

    def __init__(self, router):
        self.router = router
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.lock = threading.Lock()
        self.requests = []
        self.release = threading.Event()
        self.transform = None
        self.at = 1
        self.sticky = False
        self.stopped = False
        self.generation = 0  # which case is armed: an answer still dripping stops when it changes
        self.errors = []  # failures of the server itself (a transformation that broke): they fail the case
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def arm(self, transform=None, at=1, sticky=False):
        with self.lock:
            self.requests = []
            self.errors = []
            self.transform, self.at, self.sticky = transform, at, sticky
            self.generation += 1
            self.release.clear()

    def disarm(self):
        with self.lock:
            self.transform = None
        self.release.set()

    def stop(self):
        self.stopped = True
        self.release.set()
        self.thread.join(2)
        self.listener.close()

    def _serve(self):
        while not self.stopped:
            try:
                conn, _address = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_request(conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _sep, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _colon, value = line.partition(":")
            headers[name.strip()] = value.strip()
        length = int(next((value for name, value in headers.items() if name.lower() == "content-length"), 0))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return Request(method, target, headers, body)

    def _handle(self, conn):
        try:
            conn.settimeout(5)
            request = self._read_request(conn)
            if request is None:
                return
            with self.lock:
                self.requests.append(request)
                number = len(self.requests)
                transform, at, sticky, generation = self.transform, self.at, self.sticky, self.generation
            normal = self.router(request)
            if transform is not None and (number == at or (sticky and number > at)):
                actions = transform.apply(normal, request, self)
            else:
                actions = [render(normal)]
            self._perform(conn, actions, generation)
        except OSError:
            pass  # the client gave up on this connection: nothing to say to it
        except Exception:  # noqa: BLE001 - reported by the case, never taken for a closed connection
            self.errors.append(traceback.format_exc())
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _perform(self, conn, actions, generation):
        for action in actions:
            if isinstance(action, bytes):
                conn.sendall(action)
            elif action[0] == "sleep":
                time.sleep(action[1])
            elif action[0] == "drip":
                # One piece after another, each well within the client's timeout, until the case ends.
                _name, make_piece, interval = action
                started = time.monotonic()
                while (generation == self.generation and not self.release.is_set()
                       and time.monotonic() - started < HOLD):
                    conn.sendall(make_piece())
                    self.release.wait(interval)
            elif action[0] == "hold":
                self.release.wait(HOLD)
            elif action[0] == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            elif action[0] == "close":
                return
        try:
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(0.5)
            conn.recv(1)
        except OSError:
            pass


class Foreign:
    """The other listener a redirect may point at: records what reaches it, answers 200 {}."""

    def __init__(self):
        self.server = Server(lambda request: Answer(200, {}))

    @property
    def requests(self):
        return self.server.requests


# --- normal answers, per provider ----------------------------------------------------------


def show(name):
    return {
        "name": name, "displayName": name.title(), "size": 2048, "currentUsage": 12, "isHidden": False,
        "isPublicFolderAdmin": False, "enabled": True, "lastLogin": "2/12/2026 1:00:00 AM",
        "contactInfo": {"firstName": name.title(), "lastName": "Example", "jobTitle": "Dev", "company": "ACME",
                        "department": "R&D", "businessNumber": "111", "homeNumber": "222", "mobileNumber": "333",
                        "faxNumber": "444", "pagerNumber": "555", "addressLine1": "1 Main St", "city": "Oslo",
                        "state": "OS", "zip": "0150", "country": "NO", "notes": "n", "customID": "c1"},
        "emailForwardingAddress": "", "saveForwardedEmail": False,
        "emailAddressList": [{"address": "%s@example.com" % name, "replyTo": True},
                             {"address": "%s.alias@example.com" % name, "replyTo": False}],
        "hasBlackBerryMobileService": False, "hasActiveSyncMobileService": True,
        "samAccountName": "%s_1A2B3" % name, "visibleInRackspaceEmailCompanyDirectory": True,
    }


RS_PREFIX = "/v1/customers/me/domains/example.com/ex/"
RS_ANSWERS = {
    "show_alice": Answer(200, show("alice")),
    "show_bob": Answer(200, show("bob")),
    "show_404": Answer(404, {"itemNotFoundFault": {"message": "Mailbox not found", "code": 404}},
                       headers={"x-error-message": "Mailbox not found"}),
    # The server gives smaller pages than asked: the client must page on by offset until total.
    "index_p1": Answer(200, {"offset": 0, "size": 250, "total": 3, "mailboxes": [
        {"name": "alice", "displayName": "Alice", "size": 2048, "hasActiveSyncMobileService": True},
        {"name": "bob", "displayName": "Bob", "size": 1024, "hasActiveSyncMobileService": False}]}),
    "index_p2": Answer(200, {"offset": 2, "size": 250, "total": 3, "mailboxes": [
        {"name": "carol", "displayName": "Carol", "size": 512, "hasActiveSyncMobileService": False}]}),
    "index_1": Answer(200, {"offset": 0, "size": 1, "total": 3, "mailboxes": [{"name": "alice", "displayName": "A"}]}),
    "perm_p1": Answer(200, {"offset": 0, "size": 250, "total": 2, "permissions": [
        {"emailAddress": "bob@example.com", "permissionType": "fullAccess"}]}),
    "perm_p2": Answer(200, {"offset": 1, "size": 250, "total": 2, "permissions": [
        {"emailAddress": "dave@example.org", "permissionType": "sendAs"}]}),
    "activesync": Answer(200, {"emailAddress": "alice@example.com", "serverAddress": "m.example.net",
                               "userName": "alice_1A2B3", "domainAddress": "EX"}),
    "write": Answer(200, None),
    "unknown": Answer(400, {"badRequestFault": {"message": "not a route of this test server"}}),
}


def rackspace_route(request):
    if not request.path.startswith(RS_PREFIX):
        return RS_ANSWERS["unknown"]
    parts = request.path[len(RS_PREFIX):].split("/")
    if request.method != "GET":
        return RS_ANSWERS["write"]
    if parts == ["mailboxes"]:
        if request.query.get("size") == "1":
            return RS_ANSWERS["index_1"]
        return RS_ANSWERS["index_p2" if request.query.get("offset") == "2" else "index_p1"]
    if len(parts) == 2:
        return RS_ANSWERS.get("show_" + parts[1], RS_ANSWERS["show_404"])
    if len(parts) == 3 and parts[2] == "permissions":
        return RS_ANSWERS["perm_p2" if request.query.get("offset") == "1" else "perm_p1"]
    if len(parts) == 3 and parts[2] == "activesyncmobileservice":
        return RS_ANSWERS["activesync"]
    return RS_ANSWERS["unknown"]


HW_PREFIX = "/accounts/acct-7/email/example.com/"
HW_EXCHANGE = {
    "username": "alice", "domain": "example.com", "emailAddress": "alice@example.com",
    "primarySmtpAddress": "Alice@Example.com", "quota": "2048", "maxSendSize": "10 MB", "maxReceiveSize": "10 MB",
    "recipientLimits": "100", "totalItemSize": "1 MB", "activeSyncEnabled": True, "imapEnabled": False,
    "mapiEnabled": True, "owaEnabled": True, "popEnabled": False, "city": "Oslo", "company": "ACME", "country": "NO",
    "department": "R&D", "fax": "1", "homePhone": "2", "mobilePhone": "3", "postalCode": "0150", "state": "OS",
    "street": "1 Main St", "title": "Dev", "displayName": "Alice Example", "firstName": "Alice", "lastName": "Example",
    "links": [{"href": "/accounts/acct-7/email/example.com/usernames/alice/exchange", "rel": "self"}],
}
HW_ANSWERS = {
    "exchange_alice": Answer(200, HW_EXCHANGE),
    "exchange_404": Answer(404, {"itemNotFound": {"message": "Resource not found", "code": 404}}),
    "forwards_alice": Answer(200, {"targets": [{"target": "boss@example.org"}]}),
    "page1": Answer(200, {"list": [{"username": "alice", "master": False, "quota": 2048}], "links": [
        {"href": HW_PREFIX + "usernames?page=1&pageSize=400", "rel": "self"},
        {"href": HW_PREFIX + "usernames?page=2&pageSize=400", "rel": "next"},
        {"href": HW_PREFIX + "usernames?page=2&pageSize=400", "rel": "last"}], "totalCount": 2}),
    "page2": Answer(200, {"list": [{"username": "bob", "master": False, "quota": 1024}], "links": [
        {"href": HW_PREFIX + "usernames?page=2&pageSize=400", "rel": "self"},
        {"href": HW_PREFIX + "usernames?page=1&pageSize=400", "rel": "first"}], "totalCount": 2}),
    "filter_empty": Answer(200, {"list": [], "links": []}),
    "put": Answer(200, {"username": "carol", "emailAddress": "carol@example.com"}),
    "write": Answer(204, None),
    "unknown": Answer(400, {"route": "not a route of this test server"}),
}


def hostway_route(request):
    if not request.path.startswith(HW_PREFIX):
        return HW_ANSWERS["unknown"]
    parts = request.path[len(HW_PREFIX):].split("/")
    if parts == ["usernames"] and request.method == "GET":
        if "filterUsername" in request.query:
            return HW_ANSWERS["filter_empty"]
        return HW_ANSWERS["page2" if request.query.get("page") == "2" else "page1"]
    if len(parts) == 3 and parts[2] == "exchange":
        if request.method == "PUT":
            return HW_ANSWERS["put"]
        if request.method == "GET":
            return HW_ANSWERS["exchange_alice" if parts[1] == "alice" else "exchange_404"]
        return HW_ANSWERS["write"]
    if len(parts) >= 3 and parts[2] == "forwards":
        return HW_ANSWERS["forwards_alice"] if request.method == "GET" else HW_ANSWERS["write"]
    return HW_ANSWERS["unknown"]


def info(mailbox_id, alias, display_name, active_sync):
    return {"mailbox_id": mailbox_id, "user_id": mailbox_id + 400, "login": "%s@example.com" % alias,
            "display_name": display_name, "alias": alias, "owa": True, "mapi": True, "active_sync": active_sync,
            "imap4": False, "pop3": True, "size": 3072, "warning_limit": 1887436, "prohibit_send_limit": 1992294,
            "size_limit": 2097152, "incoming_item_max_size": 10240, "outgoing_item_max_size": 10240,
            "recipient_list_max_size": 5000, "message_retention": 14, "show_in_address_book": True, "status": 0}


def ok(result=None):
    envelope = {"status": 0}
    if result is not None:
        envelope["result"] = result
    return Answer(200, envelope, fmt="xmlrpc")


ODIN_ANSWERS = {
    "pem.exchange.getMailboxes": ok([
        {"mailbox_id": 100, "email_address": "alice@example.com", "size": 3072, "user_id": 500,
         "display_name": "Alice Example", "login": "alice@example.com", "alias": "alice"},
        {"mailbox_id": 101, "email_address": "bob@example.com", "size": 1536, "user_id": 501,
         "display_name": "Bob", "login": "bob@example.com", "alias": "bob"},
        {"mailbox_id": 102, "email_address": "carol@example.org", "size": 0, "user_id": 502,
         "display_name": "Carol", "login": "carol", "alias": "carol"}]),
    "pem.exchange.getMailboxInfo": ok(info(100, "alice", "Alice Example", False)),
    "pem.exchange.getMailboxInfo#101": ok(info(101, "bob", "Bob", True)),
    "pem.exchange.getEmailAddresses": ok([{"email_address": "Alice@Example.com", "is_primary": True},
                                          {"email_address": "al@example.com", "is_primary": False}]),
    "pem.getDomainList": ok([{"domain_id": 1, "domain_name": "example.com"},
                             {"domain_id": 2, "domain_name": "example.org"}]),
    "pem.exchange.getMailboxByEmailAddress": ok({"mailbox_id": 101, "email_addresses": [
        {"email_address": "bob@example.com", "is_primary": True}]}),
    "pem.exchange.getMailboxPermissions": ok([{"trustee": {"mailbox_id": 101, "display_name": "Bob"},
                                               "permission": 1}]),
    "pem.exchange.getDeliveryPermissions": ok([{"trustee": {"mailbox_id": 101, "display_name": "Bob"},
                                                "permission": 1},
                                               {"trustee": {"mailbox_id": 101, "display_name": "Bob"},
                                                "permission": 2},
                                               {"trustee": {"mailbox_id": 102, "display_name": "Carol"},
                                                "permission": 2}]),
    "pem.exchange.addMailbox": ok({"mailbox_id": 150}),
    "write": ok(),
    "unknown": Answer(200, {"status": -1, "error_message": "not a method of this test server", "extype_id": 1},
                      fmt="xmlrpc"),
}
ODIN_WRITES = ("pem.exchange.modifyMailbox", "pem.exchange.changePrimaryEmailAddress", "pem.exchange.removeMailbox",
               "pem.exchange.addEmailAddresses", "pem.exchange.removeEmailAddresses",
               "pem.exchange.grantMailboxPermissions", "pem.exchange.revokeMailboxPermissions",
               "pem.exchange.grantDeliveryPermissions", "pem.exchange.revokeDeliveryPermissions")


def odin_answer_key(request):
    method = request.rpc_method
    if request.path != "/RPC2" or request.method != "POST" or method is None:
        return "unknown"
    if method in ODIN_WRITES:
        return "write"
    if method == "pem.exchange.getMailboxInfo" and (request.rpc_args or {}).get("mailbox_id") == 101:
        return method + "#101"
    return method if method in ODIN_ANSWERS else "unknown"


def odin_route(request):
    return ODIN_ANSWERS[odin_answer_key(request)]


def route(request):
    if request.path == "/RPC2":
        return odin_route(request)
    if request.path.startswith("/accounts/"):
        return hostway_route(request)
    return rackspace_route(request)


def answer_key(provider, request):
    """Which normal answer a request gets (for the declared sequences of the operations)."""
    if provider == "odin":
        return odin_answer_key(request)
    normal = route(request)
    return next(key for key, answer in answers_of(provider).items() if answer is normal)


# --- the operations of each client, and what a well-formed result of each is ------------------


def finite_number(value):
    return type(value) in (int, float) and math.isfinite(value)


def check_fields(record):
    for field, value in record.items():
        kind = MAILBOX_FIELDS.get(field)
        if kind in ("text", "address"):
            assert isinstance(value, str), (field, value)
        elif kind == "bool":
            assert isinstance(value, bool), (field, value)
        elif kind == "int":
            assert value is None or finite_number(value), (field, value)
    for key in ("name", "domain", "address"):
        assert isinstance(record[key], str) and record[key], (key, record.get(key))
    if "aliases" in record:
        assert isinstance(record["aliases"], list) and all(isinstance(alias, str) for alias in record["aliases"])
    for key in ("activesync", "blackberry"):
        if key in record:
            assert isinstance(record[key], bool), (key, record[key])
    if record.get("current_usage") is not None:
        assert finite_number(record["current_usage"]), record["current_usage"]
    for key in ("last_login", "sam_account_name", "login"):
        assert record.get(key) is None or isinstance(record[key], str), (key, record[key])
    for key in ("mailbox_id", "user_id"):
        assert record.get(key) is None or (isinstance(record[key], int) and not isinstance(record[key], bool)), \
            (key, record[key])


def well_formed(kind, result):
    if kind == "none":
        assert result is None
    elif kind == "mailbox":
        assert result is None or isinstance(result, dict)
        if result is not None:
            check_fields(result)
    elif kind == "listing":
        assert isinstance(result, list)
        for record in result:
            check_fields(record)
    elif kind == "permissions":
        assert isinstance(result, list)
        for entry in result:
            assert isinstance(entry["grantee"], str) and entry["grantee"]
            assert isinstance(entry["permission"], str) and entry["permission"]
            assert type(entry["key"]) in (str, int)
    elif kind == "grantee":
        assert result is None or (type(result["key"]) in (str, int) and isinstance(result["address"], str))
    elif kind == "activesync":
        assert result is None or (isinstance(result, dict)
                                  and all(value is None or isinstance(value, (str, bool)) for value in result.values()))
    else:
        raise AssertionError(kind)


class Op:
    def __init__(self, name, call, sequence, kind, full=False, slow=False):
        self.name = name
        self.call = call
        self.sequence = sequence  # the normal answers the operation's requests get, in order
        self.kind = kind
        self.full = full  # the whole catalogue at its first request
        self.slow = slow  # the transformations that stall, at its first request


BOB = {"key": "bob@example.com", "address": "bob@example.com"}
DAVE = {"key": "dave@example.org", "address": "dave@example.org"}
ODIN_BOB = {"key": 101, "address": "bob@example.com"}

OPS = {
    "rackspace": [
        Op("get_mailbox", lambda c: c.get_mailbox(DOMAIN, "alice"), ["show_alice"], "mailbox", full=True, slow=True),
        Op("list_mailboxes", lambda c: c.list_mailboxes(DOMAIN, {"enabled": True, "fields": ["size", "activesync"]}),
           ["index_p1", "index_p2"], "listing", full=True),
        Op("domain_listing", lambda c: c.domain_listing(DOMAIN), ["index_p1", "index_p2"], "listing"),
        Op("get_mailbox_absent", lambda c: c.get_mailbox(DOMAIN, "ghost"), ["show_404", "index_1"], "mailbox"),
        Op("create_mailbox", lambda c: c.create_mailbox(DOMAIN, "carol", {"display_name": "Carol", "size": 1024},
                                                        PASSWORD), ["write"], "none", full=True, slow=True),
        Op("update_mailbox", lambda c: c.update_mailbox(DOMAIN, "alice", {"display_name": "Alice B", "enabled": False},
                                                        PASSWORD, {}), ["write"], "none"),
        Op("delete_mailbox", lambda c: c.delete_mailbox(DOMAIN, "alice", {}), ["write"], "none"),
        Op("add_alias", lambda c: c.add_alias(DOMAIN, "alice", "al2@example.com"), ["write"], "none"),
        Op("remove_alias", lambda c: c.remove_alias(DOMAIN, "alice", "alice.alias@example.com"), ["write"], "none"),
        Op("get_permissions", lambda c: c.get_permissions(DOMAIN, "alice"), ["perm_p1", "perm_p2"], "permissions"),
        Op("resolve_grantee", lambda c: c.resolve_grantee(DOMAIN, "bob@example.com"), ["show_bob"], "grantee"),
        Op("set_permission_new", lambda c: c.set_permission(DOMAIN, "alice", BOB, "both", None), ["write"], "none"),
        Op("set_permission_change", lambda c: c.set_permission(DOMAIN, "alice", DAVE, "full_access", "send_as"),
           ["write"], "none"),
        Op("revoke_permission", lambda c: c.revoke_permission(DOMAIN, "alice", BOB, "full_access"), ["write"], "none"),
        Op("get_activesync", lambda c: c.get_activesync(DOMAIN, "alice"), ["activesync"], "activesync"),
        Op("set_activesync_on", lambda c: c.set_activesync(DOMAIN, "alice", True), ["write"], "none"),
        Op("set_activesync_off", lambda c: c.set_activesync(DOMAIN, "alice", False), ["write"], "none"),
    ],
    "hostway": [
        Op("get_mailbox", lambda c: c.get_mailbox(DOMAIN, "alice"), ["exchange_alice", "forwards_alice"], "mailbox",
           full=True, slow=True),
        Op("list_mailboxes", lambda c: c.list_mailboxes(DOMAIN, {"fields": ["size"]}), ["page1", "page2"], "listing",
           full=True),
        Op("domain_listing", lambda c: c.domain_listing(DOMAIN), ["page1", "page2"], "listing"),
        Op("get_mailbox_absent", lambda c: c.get_mailbox(DOMAIN, "ghost"), ["exchange_404", "filter_empty"],
           "mailbox"),
        Op("create_mailbox", lambda c: c.create_mailbox(DOMAIN, "carol", {"display_name": "Carol",
                                                                          "forwarding_address": "boss@example.org"},
                                                        PASSWORD), ["put", "write"], "none", full=True, slow=True),
        Op("update_mailbox", lambda c: c.update_mailbox(DOMAIN, "alice", {"city": "Bergen", "forwarding_address": ""},
                                                        PASSWORD, {"display_name": "Alice",
                                                                   "forwarding_address": "boss@example.org"}),
           ["put", "write"], "none"),
        Op("update_mailbox_fields", lambda c: c.update_mailbox(DOMAIN, "alice", {"city": "Bergen"}, None,
                                                               {"display_name": "Alice"}), ["put"], "none"),
        Op("delete_mailbox", lambda c: c.delete_mailbox(DOMAIN, "alice", {}), ["write"], "none"),
    ],
    "odin": [
        Op("get_mailbox", lambda c: c.get_mailbox(DOMAIN, "alice"),
           ["pem.exchange.getMailboxes", "pem.exchange.getMailboxInfo", "pem.exchange.getEmailAddresses"], "mailbox",
           full=True, slow=True),
        Op("get_mailbox_absent", lambda c: c.get_mailbox(DOMAIN, "ghost"), ["pem.exchange.getMailboxes"], "mailbox"),
        Op("list_mailboxes", lambda c: c.list_mailboxes(DOMAIN, {"fields": ["size", "activesync", "current_usage"]}),
           ["pem.exchange.getMailboxes", "pem.exchange.getMailboxInfo", "pem.exchange.getMailboxInfo#101"], "listing"),
        Op("domain_listing", lambda c: c.domain_listing(DOMAIN), ["pem.exchange.getMailboxes"], "listing"),
        Op("create_mailbox", lambda c: c.create_mailbox(DOMAIN, "dave", {"size": 1024, "display_name": "Dave",
                                                                         "hidden": True}, PASSWORD),
           ["pem.exchange.getMailboxes", "pem.exchange.addMailbox", "write"], "none", full=True, slow=True),
        Op("update_mailbox", lambda c: c.update_mailbox(DOMAIN, "alice", {"size": 4096, "owa": False,
                                                                          "primary_address": "a.lice@example.com"},
                                                        None, {}),
           ["pem.exchange.getMailboxes", "write", "write"], "none"),
        Op("delete_mailbox", lambda c: c.delete_mailbox(DOMAIN, "alice", {}), ["pem.exchange.getMailboxes", "write"],
           "none"),
        Op("add_alias", lambda c: c.add_alias(DOMAIN, "alice", "al2@example.com"),
           ["pem.exchange.getMailboxes", "write"], "none"),
        Op("remove_alias", lambda c: c.remove_alias(DOMAIN, "alice", "al@example.com"),
           ["pem.exchange.getMailboxes", "write"], "none"),
        Op("get_permissions", lambda c: c.get_permissions(DOMAIN, "alice"),
           ["pem.exchange.getMailboxes", "pem.exchange.getMailboxPermissions", "pem.exchange.getDeliveryPermissions"],
           "permissions"),
        Op("resolve_grantee", lambda c: c.resolve_grantee(DOMAIN, "bob@example.com"), ["pem.exchange.getMailboxes"],
           "grantee"),
        Op("resolve_grantee_lookup", lambda c: c.resolve_grantee(DOMAIN, "robert@example.com"),
           ["pem.exchange.getMailboxes", "pem.exchange.getMailboxByEmailAddress"], "grantee"),
        Op("set_permission_new", lambda c: c.set_permission(DOMAIN, "alice", ODIN_BOB, "both", None),
           ["pem.exchange.getMailboxes", "write", "write"], "none"),
        Op("set_permission_change", lambda c: c.set_permission(DOMAIN, "alice", ODIN_BOB, "send_as", "full_access"),
           ["pem.exchange.getMailboxes", "write", "write"], "none"),
        Op("revoke_permission", lambda c: c.revoke_permission(DOMAIN, "alice", ODIN_BOB, "send_as"),
           ["pem.exchange.getMailboxes", "pem.exchange.getMailboxPermissions", "pem.exchange.getDeliveryPermissions",
            "write", "write"], "none"),
        Op("get_activesync", lambda c: c.get_activesync(DOMAIN, "alice"),
           ["pem.exchange.getMailboxes", "pem.exchange.getMailboxInfo"], "activesync"),
        Op("set_activesync", lambda c: c.set_activesync(DOMAIN, "alice", True), ["pem.exchange.getMailboxes", "write"],
           "none"),
    ],
}


def answers_of(provider):
    return {"rackspace": RS_ANSWERS, "hostway": HW_ANSWERS, "odin": ODIN_ANSWERS}[provider]


# --- the catalogue of hostile answers -------------------------------------------------------
#
# A transformation turns the normal answer to a request into what the hostile server sends.
# ``broken``: the answer is plainly not a valid one, so the operation must fail cleanly or,
# having retried, give exactly the normal result; otherwise any well-formed result will do.


class Transform:
    def __init__(self, name, make, broken=True, slow=False, sticky=False, when=None, patch=None):
        self.name = name
        self.make = make
        self.broken = broken
        self.slow = slow
        self.sticky = sticky
        self.when = when or (lambda normal: True)
        self.patch = patch or {}  # module constants to shrink for the case: {(module, name): value}
        self.core = name in CORE
        self.later = name in LATER

    def apply(self, normal, request, server):
        actions = self.make(normal, request, server)
        return actions if isinstance(actions, list) else [actions]


# Which part of the catalogue a request gets: all of it at the first request of an operation marked
# full; the CORE at the first request that gets an answer of a new shape (a write without a body is a
# shape of its own for each operation: each reads back differently); LATER at every other request.
CORE = frozenset([
    "truncated_then_closed", "reset_mid_body", "closed_before_answer", "garbage_status_line", "status_103_as_final",
    "html_200", "empty_200", "json_null", "json_empty_list", "json_empty_object", "json_deeply_nested", "not_utf8",
    "wrapped_in_a_list", "redirect_302_to_other_host", "redirect_without_location", "redirect_to_itself_forever",
    "redirect_bad_ipv6_location", "redirect_same_origin_once", "error_message_header_echoes_request",
    "reason_phrase_echoes_request", "status_400_quotes_the_password", "status_400_echoes_the_headers",
    "throttle_retry_after_huge", "throttle_retry_after_superscript", "throttle_forever", "unavailable_forever",
    "xmlrpc_no_envelope", "xmlrpc_status_missing", "xmlrpc_fault", "xmlrpc_cut_in_half",
    "xmlrpc_failure_without_message", "xmlrpc_failure_quotes_the_password", "xmlrpc_failure_echoes_the_headers",
    "xmlrpc_fault_quotes_the_password", "next_link_other_host", "next_link_to_itself", "next_link_endless",
    "total_never_reached", "total_is_nan",
])
LATER = frozenset([
    "truncated_then_closed", "closed_before_answer", "html_200", "json_null", "json_empty_object",
    "redirect_302_to_other_host", "redirect_to_itself_forever", "unavailable_forever", "reason_phrase_echoes_request",
    "status_400_quotes_the_password", "xmlrpc_failure_quotes_the_password", "xmlrpc_fault_quotes_the_password",
    "xmlrpc_no_envelope", "xmlrpc_status_missing", "next_link_other_host", "next_link_endless", "total_never_reached",
])


def half(body):
    return body[:max(1, len(body) // 2)] if body else b""


def same_target(request, server):
    return "%s%s" % (server.url, request.target)


FOREIGN = {}  # filled in by the fixture: the other listener's URL


def foreign_target(request, server):
    return "%s%s" % (FOREIGN["url"], request.target)


def redirect(status, location):
    return lambda normal, request, server: http_answer(status, b"", {"Location": location(request, server)})


def html_page(status=200):
    return lambda normal, request, server: http_answer(
        status, "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>proxy login</form></body></html>",
        {"Content-Type": "text/html; charset=utf-8"})


def body_of(text, content_type="application/json"):
    return lambda normal, request, server: http_answer(200, text, {"Content-Type": content_type})


DEEP_JSON = "[" * 100000 + "]" * 100000
DEEP_XML = "<value><array><data>" * 3000 + "</data></array></value>" * 3000
HUGE_TEXT = "A" * 200000


def head(normal, length):
    """The normal answer's status line and headers, with Content-Length length (False: none)."""
    return http_head(normal.status, normal.headers, length=length)


def transport_transforms():
    return [
        Transform("truncated_then_closed", lambda n, r, s: [head(n, len(n.body) + 64) + half(n.body), ("close",)]),
        Transform("truncated_headers", lambda n, r, s: [b"HTTP/1.1 200 OK\r\nContent-Type: appl", ("close",)]),
        Transform("reset_mid_body", lambda n, r, s: [head(n, len(n.body) + 64) + half(n.body), ("sleep", 0.05),
                                                     ("reset",)]),
        Transform("reset_before_answer", lambda n, r, s: [("reset",)]),
        Transform("closed_before_answer", lambda n, r, s: [("close",)]),
        Transform("garbage_status_line", lambda n, r, s: b"HELLO THERE\r\n\r\n" + n.body),
        Transform("status_not_a_number", lambda n, r, s: b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n"),
        Transform("no_status_line", lambda n, r, s: [n.body or b"{}", ("close",)]),
        Transform("binary_noise", lambda n, r, s: [bytes(range(256)) * 4, ("close",)]),
        Transform("ssh_banner", lambda n, r, s: [b"SSH-2.0-OpenSSH_9.6\r\n", ("close",)]),
        Transform("chunk_size_garbage", lambda n, r, s: http_head(n.status, dict(n.headers, **{
            "Transfer-Encoding": "chunked"}), length=False) + b"zz\r\nhello\r\n0\r\n\r\n"),
        Transform("chunked_cut_short", lambda n, r, s: [http_head(n.status, dict(n.headers, **{
            "Transfer-Encoding": "chunked"}), length=False) + b"1000\r\n" + half(n.body), ("close",)]),
        Transform("gzip_that_is_not", lambda n, r, s: http_answer(n.status, n.body or b"plain",
                                                                  dict(n.headers, **{"Content-Encoding": "gzip"}))),
        Transform("content_length_banana", lambda n, r, s: [http_head(n.status, dict(n.headers, **{
            "Content-Length": "banana"})) + n.body, ("close",)]),
        Transform("content_length_twice", lambda n, r, s: [http_head(n.status, list(n.headers.items()) + [
            ("Content-Length", str(len(n.body))), ("Content-Length", str(len(n.body) + 7))]) + n.body, ("close",)]),
        Transform("content_length_negative", lambda n, r, s: [http_head(n.status, dict(n.headers, **{
            "Content-Length": "-5"})) + n.body, ("close",)]),
        Transform("too_many_headers", lambda n, r, s: http_answer(n.status, n.body, list(n.headers.items()) + [
            ("X-Filler-%d" % i, "x") for i in range(150)])),
        Transform("header_line_too_long", lambda n, r, s: http_answer(n.status, n.body, dict(n.headers, **{
            "X-Huge": "h" * 70000}))),
        Transform("status_103_as_final", lambda n, r, s: [b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n",
                                                          ("close",)]),
        Transform("status_999", lambda n, r, s: http_answer(999, n.body, n.headers, reason="Weird")),
        Transform("status_299", lambda n, r, s: http_answer(299, b"", {}, reason="Odd")),
        # Answers that stall: the client's own timeout must end them.
        Transform("slow_answer", lambda n, r, s: [("sleep", SLOW), render(n)], slow=True),
        Transform("slow_body", lambda n, r, s: [head(n, len(n.body) + 1), ("sleep", SLOW), n.body + b" "], slow=True),
        Transform("truncated_then_held", lambda n, r, s: [head(n, len(n.body) + 64) + half(n.body), ("hold",)],
                  slow=True),
        Transform("body_dripping_forever", lambda n, r, s: [head(n, 10 ** 9), ("drip", lambda: b" ", SLOW_TIMEOUT / 3)],
                  slow=True),
        Transform("headers_dripping_forever", lambda n, r, s: [b"HTTP/1.1 200 OK\r\n", (
            "drip", lambda: b"X-Drip: %d\r\n" % (time.monotonic() * 1000), SLOW_TIMEOUT / 3)], slow=True),
        Transform("status_line_dripping_forever", lambda n, r, s: [b"HTTP/1.1 200 ", (
            "drip", lambda: b"O", SLOW_TIMEOUT / 3)], slow=True),
    ]


def has_body(normal):
    # A write answered without a body: a client does not read it, so a body of any kind is the same case.
    return normal.data is not None or normal.fmt == "xmlrpc"


def body_transforms():
    transforms = [
        Transform("html_200", html_page(200)),
        Transform("empty_200", lambda n, r, s: http_answer(200, b"", {"Content-Type": "application/json"})),
        Transform("empty_204", lambda n, r, s: http_answer(204, b"", {})),
        Transform("empty_202_text", lambda n, r, s: http_answer(202, b"", {"Content-Type": "text/plain"})),
        Transform("json_null", body_of("null")),
        Transform("json_empty_list", body_of("[]")),
        Transform("json_text", body_of('"ok"')),
        Transform("json_number", body_of("42")),
        Transform("json_true", body_of("true")),
        Transform("json_empty_object", body_of("{}")),
        Transform("json_nan", body_of("NaN")),
        Transform("json_huge_exponent", body_of("1e99999")),
        Transform("json_5000_digits", body_of("1" + "0" * 5000)),
        Transform("json_deeply_nested", body_of(DEEP_JSON)),
        Transform("json_cut_in_half", lambda n, r, s: http_answer(200, half(n.body) if n.body else b"{\"a\":",
                                                                  {"Content-Type": "application/json"})),
        Transform("not_utf8", lambda n, r, s: http_answer(200, b"\xff\xfe\xfa" + (n.body or b"{}"),
                                                          {"Content-Type": "application/json"})),
        Transform("latin1_inside_json", body_of(b'{"name": "\xe9\xff", "message": "\xc3\x28"}')),
        Transform("utf8_bom", lambda n, r, s: http_answer(200, b"\xef\xbb\xbf" + (n.body or b"{}"), n.headers)),
        Transform("xml_instead_of_json", body_of('<?xml version="1.0"?><error><message>no</message></error>',
                                                 "application/xml")),
        Transform("json_instead_of_xmlrpc", lambda n, r, s: http_answer(200, encode_json(n.data if n.data is not None
                                                                                         else {"status": 0}),
                                                                        {"Content-Type": "application/json"})),
        Transform("wrapped_in_a_list", lambda n, r, s: http_answer(
            200, encode_document([n.data], n.fmt), n.headers), when=lambda normal: normal.data is not None),
        Transform("wrapped_in_a_text", lambda n, r, s: http_answer(
            200, encode_document(json.dumps(n.data), n.fmt), n.headers), when=lambda normal: normal.data is not None),
        Transform("wrong_content_type", lambda n, r, s: http_answer(n.status, n.body, dict(
            n.headers, **{"Content-Type": "text/html"})), broken=False),
        Transform("extra_unknown_members", lambda n, r, s: http_answer(n.status, encode_document(dict(
            n.data, zzUnknown={"nested": [1, None]}, **{"": "empty key"}), n.fmt), n.headers), broken=False,
            when=lambda normal: isinstance(normal.data, dict)),
    ]
    for transform in transforms:
        transform.when = with_body(transform.when)
    return transforms


def with_body(when):
    return lambda normal: has_body(normal) and when(normal)


def redirect_transforms():
    return [Transform("redirect_%d_to_other_host" % status, redirect(status, foreign_target))
            for status in (301, 302, 303, 307, 308)] + [
        Transform("redirect_scheme_relative_other_host",
                  redirect(303, lambda r, s: "//127.0.0.1:%d%s" % (FOREIGN["port"], r.target))),
        Transform("redirect_with_userinfo", redirect(302, lambda r, s: "http://evil:pw@127.0.0.1:%d%s"
                                                     % (s.port, r.target))),
        Transform("redirect_to_localhost_name", redirect(302, lambda r, s: "http://localhost:%d%s" % (s.port, r.target))),
        Transform("redirect_to_https", redirect(302, lambda r, s: "https://127.0.0.1:%d%s" % (s.port, r.target))),
        Transform("redirect_without_location", lambda n, r, s: http_answer(302, b"", {})),
        Transform("redirect_empty_location", lambda n, r, s: http_answer(301, b"", {"Location": ""})),
        Transform("redirect_bad_ipv6_location", redirect(302, lambda r, s: "http://[::1/x")),
        Transform("redirect_bad_port_location", redirect(302, lambda r, s: "http://127.0.0.1:99999/x")),
        Transform("redirect_not_a_url", redirect(303, lambda r, s: "javascript:alert(1)")),
        Transform("redirect_300", lambda n, r, s: http_answer(300, b"<html>choose</html>", {
            "Location": foreign_target(r, s)})),
        Transform("not_modified_304", lambda n, r, s: http_answer(304, b"", {})),
        Transform("redirect_to_itself_forever", redirect(302, same_target), sticky=True),
        Transform("redirect_loop_two_steps", lambda n, r, s: http_answer(303, b"", {"Location": s.url + (
            "/loop/b" if r.path.endswith("/a") else "/loop/a")}), sticky=True),
        # Once to the same address: a client that follows its own origin gets the normal answer.
        Transform("redirect_same_origin_once", redirect(303, same_target), broken=False),
    ]


def sent_password(request):
    """The password a request carries (form, JSON or XML-RPC), or '' - what a provider may quote back."""
    def find(value):
        if isinstance(value, dict):
            return value.get("password") or next((found for found in map(find, value.values()) if found), "")
        if isinstance(value, list):
            return next((found for found in map(find, value) if found), "")
        return ""
    if request.rpc_args is not None:
        return find(request.rpc_args)
    try:
        return find(json.loads(request.body))
    except ValueError:
        return parse_qs(request.body.decode("latin-1")).get("password", [""])[0]


def quoted_password(request):
    return "Password '%s' does not meet the password policy" % sent_password(request)


def request_head(request):
    return request.raw().split(b"\r\n\r\n")[0].decode("latin-1")


ERROR_BODIES = [
    ("html", lambda r: ("<html><body><h1>Error</h1></body></html>", "text/html")),
    ("empty", lambda r: (b"", None)),
    ("json_list", lambda r: ("[1, 2, 3]", "application/json")),
    ("message_is_a_list", lambda r: ('{"fault": {"message": ["a", {"b": 1}], "code": 400}}', "application/json")),
    ("message_is_an_object", lambda r: ('{"conflict": {"message": {"text": "x"}, "code": 409}}', "application/json")),
    ("message_is_a_number", lambda r: ('{"itemNotFound": {"message": 404}}', "application/json")),
    ("field_errors_odd", lambda r: ('{"password": {"deep": [1, {"x": null}]}, "displayName": [1, 2.5, null], '
                                    '"quota": 7}', "application/json")),
    ("huge", lambda r: (HUGE_TEXT, "text/plain")),
    ("deeply_nested", lambda r: (DEEP_JSON, "application/json")),
    ("not_utf8", lambda r: (b"\xff\xfe\xfd error \x80", "text/plain; charset=utf-8")),
    ("echo_of_request_body", lambda r: (r.body, "text/plain")),
    ("echo_of_request_body_json", lambda r: (json.dumps({"fault": {"message": r.body.decode("latin-1")}}),
                                             "application/json")),
    ("echo_of_whole_request", lambda r: (r.raw(), "text/plain")),
]
ERROR_STATUSES = (400, 401, 403, 404, 409, 418, 422, 500, 502, 503, 504, 599)


def status_transforms():
    transforms = []
    for index, status in enumerate(ERROR_STATUSES):
        # Each status with every third body (in turn), so all bodies meet several statuses.
        for offset, (body_name, make_body) in enumerate(ERROR_BODIES):
            echo = body_name.startswith("echo")
            if (index + offset) % 4 and not (echo and status in (400, 404, 409, 500)):
                continue

            def make(normal, request, server, status=status, make_body=make_body):
                body, content_type = make_body(request)
                return http_answer(status, body, {"Content-Type": content_type} if content_type else {})
            transform = Transform("status_%d_%s" % (status, body_name), make, broken=False)
            transforms.append(transform)
    transforms += [
        Transform("status_400_quotes_the_password", lambda n, r, s: http_answer(400, json.dumps(
            {"validationFault": {"message": quoted_password(r), "code": 400}}), {"Content-Type": "application/json"}),
            broken=False),
        Transform("status_400_echoes_the_headers", lambda n, r, s: http_answer(400, request_head(r), {
            "Content-Type": "text/plain"}), broken=False),
        Transform("error_message_header_echoes_request", lambda n, r, s: http_answer(400, b"", {
            "x-error-message": r.body.decode("latin-1")[:4000] or "empty"}), broken=False),
        Transform("reason_phrase_echoes_request", lambda n, r, s: http_answer(
            400, b"", {}, reason=r.body.decode("latin-1").replace("\r", " ").replace("\n", " ")[:4000] or "x"),
            broken=False),
        Transform("reason_phrase_not_ascii", lambda n, r, s: http_answer(500, b"", {}, reason="\xe9chec \xff"),
                  broken=False),
    ]
    return transforms


def throttle(retry_after, sticky=False, status=429):
    def make(normal, request, server):
        headers = {"Content-Type": "text/html"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return http_answer(status, b"<html>slow down</html>", headers)
    return make


def throttle_transforms():
    return [
        Transform("throttle_retry_after_huge", throttle("99999999")),
        Transform("throttle_retry_after_400_digits", throttle("9" * 400)),
        Transform("throttle_retry_after_far_date", throttle("Fri, 31 Dec 9999 23:59:59 GMT")),
        Transform("throttle_retry_after_past_date", throttle("Wed, 21 Oct 2015 07:28:00 GMT")),
        Transform("throttle_retry_after_garbage", throttle("soon, maybe")),
        Transform("throttle_retry_after_superscript", throttle("\xb2")),
        Transform("throttle_retry_after_negative", throttle("-5")),
        Transform("throttle_retry_after_fraction", throttle("0.5")),
        Transform("throttle_retry_after_bad_date", throttle("Mon, 99 Foo 2026 25:61:61 +9999")),
        Transform("throttle_retry_after_empty", throttle("")),
        Transform("throttle_without_retry_after", throttle(None)),
        Transform("throttle_forever", throttle("1"), sticky=True),
        Transform("unavailable_retry_after_huge", throttle("99999999", status=503)),
        Transform("unavailable_forever", throttle(None, status=503), sticky=True),
        Transform("rackspace_throttle_forever", lambda n, r, s: http_answer(403, json.dumps(
            {"unauthorizedFault": {"message": "Exceeded request limits"}}), {"Content-Type": "application/json"}),
            sticky=True),
    ]


def odin_transforms():
    def xml(text):
        return lambda n, r, s: http_answer(200, text, {"Content-Type": "text/xml"})

    def envelope(value):
        return lambda n, r, s: http_answer(200, xml_response(value), {"Content-Type": "text/xml"})

    return [
        Transform("xmlrpc_no_envelope", lambda n, r, s: http_answer(200, xml_response(n.data.get("result", [])),
                                                                    {"Content-Type": "text/xml"})),
        Transform("xmlrpc_status_text", envelope({"status": "0", "result": []})),
        Transform("xmlrpc_status_true", envelope({"status": True, "result": []})),
        Transform("xmlrpc_status_missing", envelope({"result": []})),
        Transform("xmlrpc_status_one", envelope({"status": 1, "result": []})),
        Transform("xmlrpc_status_double", lambda n, r, s: http_answer(200, xml_response(dict(n.data, status=0.0)),
                                                                      {"Content-Type": "text/xml"}), broken=False),
        Transform("xmlrpc_failure_without_message", envelope({"status": -1}), broken=False),
        Transform("xmlrpc_failure_message_struct", envelope({"status": -1, "error_message": {"a": [1]}}),
                  broken=False),
        Transform("xmlrpc_failure_message_huge", envelope({"status": -1, "error_message": HUGE_TEXT}), broken=False),
        Transform("xmlrpc_failure_echoes_request", lambda n, r, s: http_answer(200, xml_response(
            {"status": -1, "error_message": r.body.decode("utf-8", "replace")}), {"Content-Type": "text/xml"}),
            broken=False),
        Transform("xmlrpc_failure_quotes_the_password", lambda n, r, s: http_answer(200, xml_response(
            {"status": -1, "error_message": quoted_password(r), "extype_id": 1}), {"Content-Type": "text/xml"}),
            broken=False),
        Transform("xmlrpc_failure_echoes_the_headers", lambda n, r, s: http_answer(200, xml_response(
            {"status": -1, "error_message": request_head(r)}), {"Content-Type": "text/xml"}), broken=False),
        Transform("xmlrpc_fault_quotes_the_password", lambda n, r, s: http_answer(200, xml_fault(
            1, quoted_password(r)), {"Content-Type": "text/xml"})),
        Transform("xmlrpc_fault", xml(xml_fault(4, "Too many parameters"))),
        Transform("xmlrpc_fault_echoes_request", lambda n, r, s: http_answer(200, xml_fault(
            1, r.body.decode("utf-8", "replace")), {"Content-Type": "text/xml"})),
        Transform("xmlrpc_fault_wrong_types", xml(('<?xml version="1.0"?><methodResponse><fault>%s</fault>'
                                                   '</methodResponse>' % xml_value(
                                                       {"faultCode": "x", "faultString": {"a": 1}})).encode())),
        Transform("xmlrpc_fault_missing_members", xml(b'<?xml version="1.0"?><methodResponse><fault><value><struct>'
                                                      b'</struct></value></fault></methodResponse>')),
        Transform("xmlrpc_two_params", lambda n, r, s: http_answer(200, xml_response(n.data, n.data),
                                                                   {"Content-Type": "text/xml"})),
        Transform("xmlrpc_no_params", xml(b'<?xml version="1.0"?><methodResponse><params/></methodResponse>')),
        Transform("xmlrpc_method_call", xml(b'<?xml version="1.0"?><methodCall><methodName>x</methodName><params>'
                                            b'<param><value><int>0</int></value></param></params></methodCall>')),
        Transform("xmlrpc_cut_in_half", lambda n, r, s: http_answer(200, half(n.body), {"Content-Type": "text/xml"})),
        Transform("xmlrpc_wrong_root", xml(b'<?xml version="1.0"?><html><body>hi</body></html>')),
        Transform("xmlrpc_unknown_type", xml(b'<?xml version="1.0"?><methodResponse><params><param><value><struct>'
                                             b'<member><name>status</name><value><weird>0</weird></value></member>'
                                             b'</struct></value></param></params></methodResponse>')),
        Transform("xmlrpc_billion_laughs", xml(
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">' + b"".join(
                b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(9))
            + b']><methodResponse><params><param><value><string>&j;</string></value></param></params>'
              b'</methodResponse>')),
        Transform("xmlrpc_external_entity", xml(
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodResponse><params>'
            b'<param><value><string>&x;</string></value></param></params></methodResponse>')),
        Transform("xmlrpc_not_utf8", xml(b'<?xml version="1.0" encoding="utf-8"?><methodResponse><params><param>'
                                         b'<value><string>\xff\xfe</string></value></param></params></methodResponse>')),
        Transform("xmlrpc_deeply_nested", xml(xml_response(Raw(DEEP_XML, "deep")))),
    ]


def hostway_transforms():
    def page_with_next(href):
        def make(normal, request, server):
            data = dict(normal.data, links=[{"rel": "next", "href": href(request, server)}])
            return http_answer(200, encode_json(data), {"Content-Type": "application/json"})
        return make

    counter = {"n": 0}

    def endless(request, server):
        counter["n"] += 1
        return HW_PREFIX + "usernames?page=%d&pageSize=400" % (counter["n"] + 2)

    def is_page(normal):
        return isinstance(normal.data, dict) and "list" in normal.data

    return [
        Transform("next_link_other_host", page_with_next(lambda r, s: FOREIGN["url"] + r.target), when=is_page),
        Transform("next_link_scheme_relative", page_with_next(lambda r, s: "//127.0.0.1:%d/x" % FOREIGN["port"]),
                  when=is_page),
        Transform("next_link_bad_ipv6", page_with_next(lambda r, s: "http://[::1/x"), when=is_page),
        Transform("next_link_to_itself", page_with_next(lambda r, s: r.target), sticky=True, when=is_page),
        Transform("next_link_endless", page_with_next(endless), sticky=True, when=is_page,
                  patch={(hostway, "MAX_PAGE_READS"): 8}),
        Transform("next_link_is_a_number", lambda n, r, s: http_answer(200, encode_json(dict(
            n.data, links=[{"rel": "next", "href": 7}])), {"Content-Type": "application/json"}), broken=False,
            when=is_page),
        Transform("next_link_is_a_list", lambda n, r, s: http_answer(200, encode_json(dict(
            n.data, links=[{"rel": "next", "href": ["a"]}])), {"Content-Type": "application/json"}), when=is_page),
        Transform("links_is_an_object", lambda n, r, s: http_answer(200, encode_json(dict(
            n.data, links={"next": "x"})), {"Content-Type": "application/json"}), when=is_page),
    ]


def rackspace_transforms():
    def is_page(normal):
        return isinstance(normal.data, dict) and "total" in normal.data

    def total(value):
        return lambda n, r, s: http_answer(200, encode_json(dict(n.data, total=value)),
                                           {"Content-Type": "application/json"})
    return [
        Transform("total_never_reached", total(10 ** 9), sticky=True, when=is_page,
                  patch={(rackspace, "MAX_PAGE_READS"): 8}),
        Transform("total_is_nan", total(float("nan")), when=is_page),
        Transform("total_is_infinite", total(float("inf")), when=is_page),
        Transform("total_is_text", total("many"), when=is_page),
        Transform("total_is_negative", total(-1), broken=False, when=is_page),
    ]


# --- per-member mutations of a document -----------------------------------------------------

DELETE = object()
VALUES = [
    ("missing", DELETE), ("null", None), ("empty_text", ""), ("list", []), ("object", {}), ("text", "hostile"),
    ("number", 12345), ("true", True), ("fraction", 1.5), ("nan", float("nan")), ("infinity", float("inf")),
    ("huge_int", 10 ** 40),
]
# JSON numbers of any size and precision stay numbers: fractions and huge integers need no case of their own.
JSON_VALUES = [value for value in VALUES if value[0] not in ("fraction", "huge_int")] + [
    ("deeply_nested", Raw(DEEP_JSON, "deep"))]
XML_VALUES = VALUES + [
    ("deeply_nested", Raw(DEEP_XML, "deep")),
    ("datetime", Raw("<value><dateTime.iso8601>20260101T00:00:00</dateTime.iso8601></value>", "datetime")),
    ("base64", Raw("<value><base64>aGVsbG8=</base64></value>", "base64")),
    ("int_not_a_number", Raw("<value><int>abc</int></value>", "bad int")),
    ("boolean_two", Raw("<value><boolean>2</boolean></value>", "bad boolean")),
    ("double_overflow", Raw("<value><double>1e999</double></value>", "1e999")),
]
# Values that break the whole document whichever member holds them: tried at one member per answer.
ONCE_PER_ANSWER = frozenset(["deeply_nested", "int_not_a_number", "boolean_two", "double_overflow", "datetime",
                             "base64"])
# Members whose absence must never read as an empty or shorter answer.
REQUIRED = {
    "rackspace": {("mailboxes",), ("permissions",), ("total",)},
    "hostway": {("list",), ("targets",)},
    "odin": {("status",), ("result",)},
}


# Answers of the same shape (their members are mutated once).
SHAPES = {"show_bob": "show_alice", "index_p2": "index_p1", "index_1": "index_p1", "perm_p2": "perm_p1",
          "page2": "page1", "filter_empty": "page1", "pem.exchange.getMailboxInfo#101": "pem.exchange.getMailboxInfo"}


def member_paths(data, prefix=(), depth=0, root=0):
    """Paths to the members of a document: all of the top level (below ``root`` levels of envelope), the first
    element of a list, and the first few members of a nested object (they are read alike)."""
    if isinstance(data, dict):
        for index, (key, value) in enumerate(data.items()):
            if depth > root and index >= 4:
                break
            yield prefix + (key,)
            if depth < 2 + root:
                yield from member_paths(value, prefix + (key,), depth + 1, root)
    elif isinstance(data, list) and data:
        yield prefix + (0,)
        if depth < 2 + root:
            yield from member_paths(data[0], prefix + (0,), depth + 1, root)


def member(data, path):
    for step in path:
        data = data[step]
    return data


def fits(value_name, normal):
    """Whether a value is worth trying in place of a member holding normal: a value of another type (a text
    where a number belongs, ...), an absent or empty one, and the edge values of the member's own type."""
    numeric = type(normal) in (int, float)
    if value_name in ("nan", "infinity", "fraction", "huge_int"):
        return numeric
    if value_name == "empty_text":
        return isinstance(normal, str)
    if value_name == "text":
        return not isinstance(normal, str)
    if value_name == "number":
        return not numeric
    if value_name == "true":
        return not isinstance(normal, bool)
    if value_name == "list":
        return not isinstance(normal, list)
    if value_name == "object":
        return not isinstance(normal, dict)
    return True


def mutated(data, path, value):
    data = copy.deepcopy(data)
    holder = data
    for step in path[:-1]:
        holder = holder[step]
    if value is DELETE:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return data


def mutation(path, value, fmt):
    def make(normal, request, server):
        return http_answer(normal.status, encode_document(mutated(normal.data, path, value), fmt), normal.headers)
    return make


def path_name(path):
    return ".".join(str(step) for step in path) or "document"


# --- the cases --------------------------------------------------------------------------------


class Case:
    def __init__(self, provider, op, at, transform):
        self.provider = provider
        self.op = op
        self.at = at
        self.transform = transform

    @property
    def id(self):
        return "%s-%s-@%d-%s" % (self.provider, self.op.name, self.at, self.transform.name)


def build_cases(provider):
    generic = transport_transforms() + body_transforms() + redirect_transforms() + status_transforms() \
        + throttle_transforms()
    generic += {"odin": odin_transforms, "hostway": hostway_transforms, "rackspace": rackspace_transforms}[provider]()
    answers = answers_of(provider)
    values = XML_VALUES if provider == "odin" else JSON_VALUES
    cases, mutated_keys, covered = [], set(), set()
    for op in OPS[provider]:
        for at, key in enumerate(op.sequence, start=1):
            normal = answers[key]
            shape = SHAPES.get(key, key)
            if normal.data is None:
                shape = "%s:%s" % (shape, op.name)  # a write without a body: each has its own read-back
            # The whole catalogue at the first request of a full operation, the core at the first request that
            # gets an answer of its shape, the later set at every other request.
            if op.full and at == 1:
                tier = "full"
            elif shape not in covered:
                tier = "core"
            else:
                tier = "later"
            covered.add(shape)
            for transform in generic:
                if transform.slow:
                    wanted = op.slow and at == 1
                else:
                    wanted = {"full": True, "core": transform.core, "later": transform.later}[tier]
                if wanted and transform.when(normal):
                    cases.append(Case(provider, op, at, transform))
            # Every member of each shape of answer, once: the first operation that reads it.
            if normal.data is None or shape in mutated_keys:
                continue
            mutated_keys.add(shape)
            for number, path in enumerate(member_paths(normal.data, root=1 if provider == "odin" else 0)):
                if path == ("status",) and shape != "pem.exchange.getMailboxes":
                    continue  # the envelope is read in one place: its status is mutated in one answer
                for value_name, value in values:
                    if number and value_name in ONCE_PER_ANSWER:
                        continue
                    if not fits(value_name, member(normal.data, path)):
                        continue
                    broken = path in REQUIRED[provider] and value_name in ("missing", "null")
                    transform = Transform("%s=%s" % (path_name(path), value_name),
                                          mutation(path, value, normal.fmt), broken=broken)
                    cases.append(Case(provider, op, at, transform))
    return cases


CASES_RACKSPACE = build_cases("rackspace")
CASES_HOSTWAY = build_cases("hostway")
CASES_ODIN = build_cases("odin")
CASES = {"rackspace": CASES_RACKSPACE, "hostway": CASES_HOSTWAY, "odin": CASES_ODIN}


# --- running one case -------------------------------------------------------------------------


class VirtualTime:
    """The transport's clock and sleep: waits are recorded and added to the clock, never slept."""

    def __init__(self):
        self.offset = 0.0
        self.sleeps = []

    def clock(self):
        return time.monotonic() + self.offset

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.offset += max(0.0, seconds)


def params_for(provider, url, timeout):
    params = dict(provider=provider, api_user=USER, api_secret=SECRET, validate_certs=True, timeout=timeout,
                  retries=1, retry_budget=RETRY_BUDGET, max_reads_per_minute=100000, max_writes_per_minute=100000,
                  rate_window=0.05)
    if provider == "rackspace":
        params.update(api_url=url + "/v1", account=None)
    elif provider == "hostway":
        params.update(api_url=url, account=HOSTWAY_ACCOUNT)
    else:
        params.update(api_url=url + "/RPC2", account=ODIN_SUBSCRIPTION)
    return params


def secret_forms():
    basic = base64.b64encode(("%s:%s" % (USER, SECRET)).encode()).decode()
    forms = {basic}
    for secret in (SECRET, PASSWORD):
        forms.update([secret, quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1], escape(secret)])
    return sorted(forms)


SECRET_FORMS = secret_forms()
# What Python's own exception texts look like (a client must say what happened in its own words).
PYTHON_TEXTS = re.compile(
    r"Traceback|object has no attribute|is not subscriptable|not supported between instances|unsupported operand|"
    r"Expecting value|Expecting property name|line \d+ column \d+|invalid literal for int|could not convert|"
    r"NoneType|codec can't decode|maximum recursion depth|list index out of range|KeyError|TypeError|ValueError|"
    r"AttributeError|OverflowError|RecursionError|HTTPConnectionPool|Max retries exceeded|urllib3|<class '|"
    r"object of type|argument of type|cannot convert float|'in <string>'")


def run_operation(client, op):
    outcome = {}

    def target():
        try:
            outcome["result"] = op.call(client)
        except BaseException as exc:  # noqa: BLE001 - judged by the caller
            outcome["error"] = exc
            outcome["traceback"] = traceback.format_exc()

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(BOUND * 2)
    return outcome, time.monotonic() - started, thread


def normal_result(provider, op, server):
    key = (provider, op.name)
    if key not in NORMAL_RESULTS:
        server.arm()
        client = make_client(params_for(provider, server.url, TIMEOUT))
        NORMAL_RESULTS[key] = op.call(client)
        client.close()
    return NORMAL_RESULTS[key]


NORMAL_RESULTS = {}


def judge(case, server, foreign, monkeypatch):
    """Run one case and return a list of problems (empty: the case passed)."""
    provider, op, transform = case.provider, case.op, case.transform
    expected = normal_result(provider, op, server)
    for (module, name), value in transform.patch.items():
        monkeypatch.setattr(module, name, value)
    client = make_client(params_for(provider, server.url, SLOW_TIMEOUT if transform.slow else TIMEOUT))
    virtual = VirtualTime()
    client.transport.clock, client.transport.sleep = virtual.clock, virtual.sleep
    foreign_before = len(foreign.requests)
    server.arm(transform, case.at, transform.sticky)
    try:
        outcome, elapsed, thread = run_operation(client, op)
    finally:
        server.disarm()
    problems = ["the test server failed:\n%s" % error for error in server.errors]
    if thread.is_alive():
        # Reset every further connection until the client gives up, so it stops hammering the server.
        count = len(server.requests)
        server.arm(Transform("reset_everything", lambda n, r, s: [("reset",)]), 1, sticky=True)
        thread.join(HOLD + 2)
        server.disarm()
        return ["hang: still running after %.0f s (%d requests)" % (BOUND * 2, count)]
    client.close()
    bound = SLOW_BOUND if transform.slow else BOUND
    if elapsed > bound:
        problems.append("took %.1f s (bound %.1f s)" % (elapsed, bound))
    reached = foreign.requests[foreign_before:]
    leaked = [request.headers for request in reached
              if any(name.lower() in ("authorization", "x-api-signature") for name in request.headers)]
    if leaked:
        problems.append("credentials sent to the other host: %r" % leaked)
    elif reached:
        # Redirects are never followed off the API's origin, with or without credentials (DESIGN.md).
        problems.append("%d request(s) reached the other host: %s" % (len(reached), reached[0].target))
    if "error" in outcome:
        exc = outcome["error"]
        if not isinstance(exc, HostedExchangeError):
            return problems + ["%s escaped:\n%s" % (type(exc).__name__, outcome["traceback"])]
        try:
            text = str(exc)
        except Exception:  # noqa: BLE001 - the error itself cannot be shown: a bug of its own
            return problems + ["str() of %s raised:\n%s" % (type(exc).__name__, traceback.format_exc())]
        everything = text + " " + repr(exc.details())
        if not text.strip():
            problems.append("empty message")
        if provider not in text or exc.provider != provider:
            problems.append("message does not name the provider: %r" % text[:300])
        found = [form for form in SECRET_FORMS if form in everything]
        if found:
            problems.append("secret %r in the error: %r" % (found, everything[:600]))
        if PYTHON_TEXTS.search(text):
            problems.append("a bare Python exception text: %r" % text[:300])
        if len(text) > 1500:
            problems.append("message of %d characters" % len(text))
        return problems
    result = outcome["result"]
    try:
        well_formed(op.kind, result)
    except (AssertionError, KeyError, TypeError) as exc:
        problems.append("not a well-formed %s result (%r): %r" % (op.kind, exc, result))
    if transform.broken and result != expected:
        problems.append("a broken answer read as a different result: %r instead of %r" % (result, expected))
    return problems


@pytest.fixture(scope="module")
def servers():
    foreign = Foreign()
    FOREIGN.update(url=foreign.server.url, port=foreign.server.port)
    server = Server(route)
    yield server, foreign
    server.stop()
    foreign.server.stop()


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", sorted(CASES))
def test_at_least_200_hostile_answers_per_provider_client(provider):
    cases = CASES[provider]
    print("%s: %d hostile-answer cases over %d operations" % (provider, len(cases), len(OPS[provider])))
    assert len(cases) >= 200
    assert len(set(case.id for case in cases)) == len(cases)


@pytest.mark.parametrize("provider, op", [(provider, op) for provider in sorted(OPS) for op in OPS[provider]],
                         ids=lambda value: value if isinstance(value, str) else value.name)
def test_the_normal_answers_give_a_well_formed_result_with_the_declared_requests(provider, op, servers):
    server, _foreign = servers
    server.arm()
    client = make_client(params_for(provider, server.url, TIMEOUT))
    result = op.call(client)
    client.close()
    well_formed(op.kind, result)
    assert [answer_key(provider, request) for request in server.requests] == op.sequence


def groups(provider):
    """The cases of a provider by (operation, request number): one test each."""
    found = {}
    for case in CASES[provider]:
        found.setdefault((case.op.name, case.at), []).append(case)
    return [pytest.param(cases, id="%s-@%d" % key) for key, cases in found.items()]


def run_group(cases, servers, monkeypatch):
    server, foreign = servers
    failures = []
    for case in cases:
        with monkeypatch.context() as patch:
            problems = judge(case, server, foreign, patch)
        if problems:
            failures.append("%s:\n    %s" % (case.id, "\n    ".join("\n".join(problems).splitlines()[-12:])))
    assert not failures, "%d of %d cases failed:\n%s" % (len(failures), len(cases), "\n".join(failures))


@pytest.mark.parametrize("cases", groups("rackspace"))
def test_rackspace_client_answers_a_hostile_server_cleanly(cases, servers, monkeypatch):
    run_group(cases, servers, monkeypatch)


@pytest.mark.parametrize("cases", groups("hostway"))
def test_hostway_client_answers_a_hostile_server_cleanly(cases, servers, monkeypatch):
    run_group(cases, servers, monkeypatch)


@pytest.mark.parametrize("cases", groups("odin"))
def test_odin_client_answers_a_hostile_server_cleanly(cases, servers, monkeypatch):
    run_group(cases, servers, monkeypatch)
