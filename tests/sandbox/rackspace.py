"""Simulator of the Rackspace Email & Apps API v1, hosted Exchange routes.

Behaviour follows /work/shared/reference/rackspace.md and the provider's own page; every
choice made where those are silent is listed in docs/sandbox.md.
"""

import base64
import calendar
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.etree import ElementTree

from .common import FixedWindowLimiter, Provider, Response, header_safe, match_route, reject_unknown_keys

DEFAULT_CUSTOMER = "123456"
DEFAULT_DOMAIN = "example.com"
DEFAULT_LIMITS = {"GET": 60, "WRITE": 30}
THROTTLE_WINDOW_SECONDS = 60
THROTTLE_MESSAGE = "Exceeded request limits"
SIGNATURE_MAX_SKEW_SECONDS = 300  # real time: never scaled by time_scale
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 250
DEFAULT_FIXTURE_SIZE_MB = 2048
MAX_DISPLAY_NAME_LENGTH = 256
MIN_PASSWORD_LENGTH = 8
ACTIVESYNC_SERVER = "mex09.emailsrvr.com"
ACTIVESYNC_DOMAIN = "mex09.mlsrvr.com"

CONTACT_FIELDS = (
    "firstName", "lastName", "jobTitle", "company", "department", "businessNumber",
    "homeNumber", "mobileNumber", "faxNumber", "pagerNumber", "addressLine1", "city",
    "state", "zip", "country", "notes", "customID",
)
BOOLEAN_FIELDS = (
    "isHidden", "isPublicFolderAdmin", "enabled", "saveForwardedEmail",
    "visibleInRackspaceEmailCompanyDirectory",
)
SETTING_DEFAULTS = {
    "displayName": "",
    "size": DEFAULT_FIXTURE_SIZE_MB,
    "currentUsage": 0,
    "isHidden": False,
    "isPublicFolderAdmin": False,
    "enabled": True,
    "lastLogin": None,
    "emailForwardingAddress": "",
    "saveForwardedEmail": False,
    "hasBlackBerryMobileService": False,
    "visibleInRackspaceEmailCompanyDirectory": True,
}
WRITABLE_FIELDS = frozenset(
    ("displayName", "password", "size", "emailForwardingAddress") + BOOLEAN_FIELDS + CONTACT_FIELDS
)
READ_ONLY_FIELDS = frozenset((
    "name", "currentUsage", "lastLogin", "samAccountName", "hasBlackBerryMobileService",
    "hasActiveSyncMobileService", "emailAddressList", "contactInfo",
))
REQUIRED_ADD_FIELDS = ("displayName", "password", "size")
FIXTURE_MAILBOX_KEYS = (
    ("name", "password", "contactInfo", "samAccountName", "aliases", "activeSync", "permissions", "spam")
    + tuple(SETTING_DEFAULTS) + CONTACT_FIELDS
)
INDEX_EXTRA_FIELDS = ("size", "currentUsage", "hasBlackBerryMobileService", "hasActiveSyncMobileService")
PERMISSION_TYPES = {"sendas": "sendAs", "fullaccess": "fullAccess", "both": "both"}
SPAM_FILTER_LEVELS = ("on", "off", "exclusive")

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ADDRESS_PATTERN = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
DISPLAY_NAME_FORBIDDEN = re.compile(r'[<>"\x00-\x1f\x7f]')
TIMESTAMP_PATTERN = re.compile(r"^[0-9]{14}$")
SIZE_PATTERN = re.compile(r"^[0-9]{1,9}$")

FAULT_BY_STATUS = {400: "badRequestFault", 403: "unauthorizedFault", 404: "itemNotFoundFault"}
# Element name of list items in XML answers, by the name of the list.
XML_ITEM_TAGS = {"mailboxes": "mailbox", "emailAddressList": "emailAddress", "permissions": "permission"}


def compute_signature(user_key, user_agent, timestamp, secret_key):
    """Base64 of the binary SHA-1 of userKey + userAgent + timestamp + secretKey."""
    digest = hashlib.sha1((user_key + user_agent + timestamp + secret_key).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_header(user_key, secret_key, user_agent, when=None):
    """The X-Api-Signature value a client sends at ``when`` (epoch seconds, default now)."""
    timestamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() if when is None else when))
    return "%s:%s:%s" % (user_key, timestamp, compute_signature(user_key, user_agent, timestamp, secret_key))


class ApiError(Exception):
    def __init__(self, status, message, fault=None, extra=None, headers=()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fault = fault or FAULT_BY_STATUS.get(status, "badRequestFault")
        self.extra = extra or {}
        self.headers = list(headers)


def invalid(message):
    """A 400 about the value of a field."""
    return ApiError(400, message, "validationFault")


def same_address(first, second):
    return first.lower() == second.lower()


@dataclass
class Mailbox:
    name: str
    domain: str
    settings: dict  # top-level show fields, keyed by their API names
    contact: dict  # contactInfo, keyed by API names
    password: str = None
    aliases: list = field(default_factory=list)  # full addresses besides the primary
    active_sync: bool = False
    permissions: dict = field(default_factory=dict)  # grantee key -> permissionType
    spam: dict = field(default_factory=lambda: {
        "filterLevel": "on", "sendToDomainQuarantine": False, "quarantineOwner": "",
    })
    sam_account_name: str = ""

    @property
    def key(self):
        return (self.domain.lower(), self.name.lower())

    @property
    def address(self):
        return "%s@%s" % (self.name, self.domain)

    def show(self):
        settings = self.settings
        return {
            "name": self.name,
            "displayName": settings["displayName"],
            "size": settings["size"],
            "currentUsage": settings["currentUsage"],
            "isHidden": settings["isHidden"],
            "isPublicFolderAdmin": settings["isPublicFolderAdmin"],
            "enabled": settings["enabled"],
            "lastLogin": settings["lastLogin"],
            "contactInfo": {name: self.contact.get(name, "") for name in CONTACT_FIELDS},
            "emailForwardingAddress": settings["emailForwardingAddress"],
            "saveForwardedEmail": settings["saveForwardedEmail"],
            "emailAddressList": [{"address": self.address, "replyTo": True}]
            + [{"address": alias, "replyTo": False} for alias in self.aliases],
            "hasBlackBerryMobileService": settings["hasBlackBerryMobileService"],
            "hasActiveSyncMobileService": self.active_sync,
            "samAccountName": self.sam_account_name,
            "visibleInRackspaceEmailCompanyDirectory": settings["visibleInRackspaceEmailCompanyDirectory"],
        }

    def index_row(self, extra_fields):
        row = {"name": self.name, "displayName": self.settings["displayName"]}
        for name in extra_fields:
            row[name] = self.active_sync if name == "hasActiveSyncMobileService" else self.settings[name]
        return row


def sam_account_name(name, domain):
    """Logon name in the provider's style (``apiexmailbox90_53B5B``): at most 20 characters."""
    suffix = hashlib.sha1(("%s@%s" % (name, domain)).lower().encode("utf-8")).hexdigest()[:5].upper()
    return "%s_%s" % (name[:14], suffix)


@dataclass
class Domain:
    name: str
    mailboxes: dict = field(default_factory=dict)  # lower-case name -> Mailbox
    deleted: dict = field(default_factory=dict)  # lower-case name -> recoverable Mailbox


class RackspaceState:
    """Everything the simulated account holds.  Tests may read and seed it (under sb.lock)."""

    def __init__(self, customer=DEFAULT_CUSTOMER):
        self.customer = str(customer)
        self.domains = {}  # lower-case name -> Domain

    def add_domain(self, name):
        return self.domains.setdefault(name.lower(), Domain(name.lower()))

    def domain(self, name):
        return self.domains.get(name.lower())

    def mailbox(self, domain, name):
        found = self.domain(domain)
        return found.mailboxes.get(name.lower()) if found else None

    def all_mailboxes(self):
        for domain in self.domains.values():
            yield from domain.mailboxes.values()

    def address_holder(self, address):
        """The mailbox that has ``address`` as its primary or alias address, if any."""
        local, domain_name = address.rpartition("@")[::2]
        holder = self.mailbox(domain_name, local) if local else None
        if holder is not None:
            return holder
        for mailbox in self.all_mailboxes():
            if any(same_address(address, alias) for alias in mailbox.aliases):
                return mailbox
        return None

    def add_mailbox(self, domain, spec):
        """Create a mailbox from a fixture entry (see docs/sandbox.md) and return it.

        Aliases, ActiveSync and permissions of the entry are applied too; a permission's
        grantee must exist already.
        """
        mailbox = self._mailbox_from_spec(domain, spec)
        self._apply_relations(mailbox, spec)
        return mailbox

    def delete_mailbox(self, mailbox):
        """Remove a mailbox with its addresses, ActiveSync and permissions both ways."""
        domain = self.domains[mailbox.domain.lower()]
        del domain.mailboxes[mailbox.name.lower()]
        for other in self.all_mailboxes():
            other.permissions.pop(mailbox.key, None)
        mailbox.aliases = []
        mailbox.active_sync = False
        mailbox.permissions = {}
        domain.deleted[mailbox.name.lower()] = mailbox

    def load_fixture(self, fixture):
        created = []
        for domain_name, domain_spec in (fixture.get("domains") or {}).items():
            domain_spec = domain_spec or {}
            reject_unknown_keys(domain_spec, ("mailboxes", "generate"), "fixture domain %s" % domain_name)
            self.add_domain(domain_name)
            specs = list(domain_spec.get("mailboxes") or [])
            if domain_spec.get("generate"):
                specs += generated_mailboxes(**domain_spec["generate"])
            created += [(self._mailbox_from_spec(domain_name, spec), spec) for spec in specs]
        # Relations last, so a permission may name a mailbox listed after its owner.
        for mailbox, spec in created:
            self._apply_relations(mailbox, spec)

    def _mailbox_from_spec(self, domain_name, spec):
        spec = dict(spec)
        reject_unknown_keys(spec, FIXTURE_MAILBOX_KEYS, "fixture mailbox %r" % spec.get("name"))
        name = str(spec.pop("name", ""))
        where = "fixture mailbox %s@%s" % (name, domain_name)
        domain = self.domain(domain_name) or self.add_domain(domain_name)
        if not NAME_PATTERN.match(name) or name.endswith("."):
            raise ValueError("%s: invalid name" % where)
        if name.lower() in domain.mailboxes:
            raise ValueError("%s: defined twice" % where)
        contact = {key: str(value) for key, value in (spec.pop("contactInfo", None) or {}).items()}
        reject_unknown_keys(contact, CONTACT_FIELDS, "%s contactInfo" % where)
        contact.update({key: str(spec.pop(key)) for key in CONTACT_FIELDS if key in spec})
        settings = dict(SETTING_DEFAULTS, displayName=name)
        for key in SETTING_DEFAULTS:
            if key in spec:
                settings[key] = spec.pop(key)
        for key in ("size", "currentUsage"):
            settings[key] = int(settings[key])
        for key in BOOLEAN_FIELDS + ("hasBlackBerryMobileService",):
            value = settings[key]
            if not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
                raise ValueError("%s: %s must be true or false" % (where, key))
            settings[key] = str(value).lower() == "true"
        mailbox = Mailbox(
            name=name, domain=domain.name, settings=settings, contact=contact,
            password=spec.pop("password", None),
            sam_account_name=spec.pop("samAccountName", None) or sam_account_name(name, domain.name),
        )
        if "spam" in spec:
            reject_unknown_keys(spec["spam"], tuple(mailbox.spam), "%s spam" % where)
            mailbox.spam.update(spec["spam"])
        domain.mailboxes[name.lower()] = mailbox
        return mailbox

    def _apply_relations(self, mailbox, spec):
        where = "fixture mailbox %s" % mailbox.address
        for alias in spec.get("aliases") or []:
            if not ADDRESS_PATTERN.match(alias):
                raise ValueError("%s: invalid alias %r" % (where, alias))
            if self.address_holder(alias) is not None:
                raise ValueError("%s: alias %s is already in use" % (where, alias))
            mailbox.aliases.append(alias)
        mailbox.active_sync = bool(spec.get("activeSync", False))
        for entry in spec.get("permissions") or []:
            reject_unknown_keys(entry, ("grantee", "permission"), "%s permission" % where)
            grantee = self.resolve_mailbox(mailbox.domain, str(entry.get("grantee", "")))
            permission = PERMISSION_TYPES.get(str(entry.get("permission", "")).lower())
            if grantee is None or permission is None or grantee is mailbox:
                raise ValueError("%s: bad permission entry %r" % (where, entry))
            mailbox.permissions[grantee.key] = permission

    def resolve_mailbox(self, domain, reference):
        """A mailbox named ``reference`` in ``domain``, or holding address ``reference``."""
        if "@" in reference:
            return self.address_holder(reference)
        return self.mailbox(domain, reference)


def generated_mailboxes(prefix="user", count=0, start=1, width=None, **fields):
    """Fixture entries for ``count`` mailboxes named prefix + zero-padded number.

    Extra keyword arguments are fields every generated mailbox gets (e.g. ``size``).
    """
    width = width or len(str(start + count - 1))
    entries = []
    for number in range(start, start + count):
        name = "%s%0*d" % (prefix, width, number)
        entries.append(dict(fields, name=name, displayName=fields.get("displayName", "Generated %s" % name)))
    return entries


def _parse_boolean(field_name, raw):
    lowered = raw.lower()
    if lowered not in ("true", "false"):
        raise invalid("Invalid value for %s: %r (must be true or false)" % (field_name, raw))
    return lowered == "true"


def _validate_display_name(value):
    if not value.strip() or len(value) > MAX_DISPLAY_NAME_LENGTH or DISPLAY_NAME_FORBIDDEN.search(value):
        raise invalid("Invalid display name")
    return value


def _validate_password(password, name, display_name):
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid("Password must be at least 8 characters long")
    classes = [
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(classes) < 3:
        raise invalid(
            "Password must contain characters from at least 3 of: upper-case letters, "
            "lower-case letters, digits, symbols"
        )
    lowered = password.lower()
    for part in (name, display_name):
        if part and len(part) >= 3 and part.lower() in lowered:
            raise invalid("Password must not contain the user name or display name")


def _split_address(address):
    if not ADDRESS_PATTERN.match(address):
        raise invalid("Invalid email address %s" % address)
    return address.rsplit("@", 1)


class RackspaceProvider(Provider):
    name = "rackspace"
    url_path = "/v1"

    def __init__(self, *, api_user, api_secret, fixture, time_scale, limits=None):
        super().__init__(api_user=api_user, api_secret=api_secret, fixture=fixture, time_scale=time_scale)
        if not api_user or not api_secret:
            raise ValueError("the rackspace sandbox needs api_user (user key) and api_secret (secret key)")
        reject_unknown_keys(fixture, ("customer", "domains", "limits"), "fixture")
        self.limits = dict(DEFAULT_LIMITS)
        self.limits.update(fixture.get("limits") or {})
        self.limits.update(limits or {})
        reject_unknown_keys(self.limits, DEFAULT_LIMITS, "limits")
        self.limiter = FixedWindowLimiter(THROTTLE_WINDOW_SECONDS * time_scale)
        self.state = RackspaceState(fixture.get("customer", DEFAULT_CUSTOMER))
        self.state.load_fixture(fixture if "domains" in fixture else dict(fixture, domains={DEFAULT_DOMAIN: {}}))
        self.routes = (
            (("ex", "mailboxes"), {"GET": self.index_mailboxes}),
            (("ex", "mailboxes", None), {
                "GET": self.show_mailbox, "POST": self.add_mailbox,
                "PUT": self.edit_mailbox, "DELETE": self.delete_mailbox,
            }),
            (("ex", "mailboxes", None, "emailaddresses", None), {
                "POST": self.add_address, "DELETE": self.delete_address,
            }),
            (("ex", "mailboxes", None, "permissions"), {"GET": self.index_permissions}),
            (("ex", "mailboxes", None, "permissions", None), {
                "POST": self.add_permission, "PUT": self.edit_permission, "DELETE": self.delete_permission,
            }),
            (("ex", "mailboxes", None, "activesyncmobileservice"), {
                "GET": self.show_activesync, "POST": self.add_activesync, "DELETE": self.delete_activesync,
            }),
            (("ex", "mailboxes", None, "spam", "settings"), {"GET": self.show_spam, "PUT": self.edit_spam}),
            (("ex", "activesyncmobileservices"), {"GET": self.index_activesync}),
        )

    # ----- request pipeline -------------------------------------------------------------

    def handle(self, request):
        error_format = "xml" if self._wants_xml(request) else "json"
        kind = "GET" if request.method == "GET" else "WRITE"
        if request.method in ("GET", "POST", "PUT", "DELETE"):
            # Counted before authentication: failed calls use up the budget too.
            if not self.limiter.hit((self._claimed_user(request), kind), self.limits[kind]):
                return self._error_response(ApiError(403, THROTTLE_MESSAGE), error_format)
        try:
            self._authenticate(request)
            return self._route(request)
        except ApiError as error:
            return self._error_response(error, error_format)

    @staticmethod
    def _accepted_types(request):
        return [part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(",")]

    def _wants_xml(self, request):
        types = self._accepted_types(request)
        return "application/json" not in types and ("text/xml" in types or "application/xml" in types)

    @staticmethod
    def _claimed_user(request):
        parts = request.headers.get("x-api-signature", "").rsplit(":", 2)
        return parts[0] if len(parts) == 3 else ""

    def _authenticate(self, request):
        user_agent = request.headers.get("user-agent", "")
        if not user_agent.strip():
            raise ApiError(400, "The User-Agent header is required")
        header = request.headers.get("x-api-signature")
        if not header:
            raise ApiError(403, "Authentication required: missing X-Api-Signature header")
        parts = header.rsplit(":", 2)
        if len(parts) != 3:
            raise ApiError(403, "Malformed X-Api-Signature header: expected userKey:timestamp:hash")
        user_key, timestamp, given_hash = parts
        if not hmac.compare_digest(user_key.encode("utf-8"), self.api_user.encode("utf-8")):
            raise ApiError(403, "Authentication failed: unknown user key")
        if not TIMESTAMP_PATTERN.match(timestamp):
            raise ApiError(403, "Authentication failed: signature timestamp must be YYYYMMDDHHmmss (UTC)")
        try:
            signed_at = calendar.timegm(time.strptime(timestamp, "%Y%m%d%H%M%S"))
        except ValueError as exc:
            raise ApiError(403, "Authentication failed: invalid signature timestamp %s" % timestamp) from exc
        if abs(time.time() - signed_at) > SIGNATURE_MAX_SKEW_SECONDS:
            raise ApiError(403, "Authentication failed: signature timestamp %s is more than 5 minutes "
                                "away from the server time (UTC)" % timestamp)
        expected = compute_signature(user_key, user_agent, timestamp, self.api_secret)
        if not hmac.compare_digest(given_hash.encode("utf-8"), expected.encode("utf-8")):
            raise ApiError(403, "Authentication failed: signature mismatch")

    def _route(self, request):
        segments = [unquote(part) for part in request.path.split("/")[1:]]
        if len(segments) < 5 or segments[:2] != ["v1", "customers"] or segments[3] != "domains":
            raise ApiError(404, "Resource not found: %s" % request.path)
        customer, domain_name, rest = segments[2], segments[4], segments[5:]
        if customer not in ("me", self.state.customer):
            raise ApiError(404, "Customer %s not found" % customer)
        domain = self.state.domain(domain_name)
        if domain is None:
            raise ApiError(404, "Domain %s not found" % domain_name)
        handlers, arguments = match_route(self.routes, rest)
        if handlers is None:
            raise ApiError(404, "Resource not found: %s" % request.path)
        handler = handlers.get(request.method)
        if handler is None:
            allowed = ", ".join(sorted(handlers))
            raise ApiError(405, "Method %s is not allowed here (allowed: %s)" % (request.method, allowed),
                           headers=[("Allow", allowed)])
        if request.method == "GET":
            answer_format = self._negotiate(request)
            root, payload = handler(request, domain, *arguments)
            return self._render(200, root, payload, answer_format)
        handler(request, domain, *arguments)
        return Response(200)

    def _negotiate(self, request):
        types = self._accepted_types(request)
        if "application/json" in types:
            return "json"
        if "text/xml" in types or "application/xml" in types:
            return "xml"
        raise ApiError(406, "The Accept header must be application/json or text/xml")

    @staticmethod
    def _render(status, root, payload, answer_format, headers=()):
        if answer_format == "json":
            return Response.json(status, payload, headers)
        element = ElementTree.Element(root, {
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xmlns:xsd": "http://www.w3.org/2001/XMLSchema",
            "xmlns": "urn:xml:%s" % root,
        })
        _fill_xml(element, payload)
        body = '<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(element, encoding="unicode")
        return Response(status, body.encode("utf-8"), [("Content-Type", "text/xml; charset=utf-8"), *headers])

    def _error_response(self, error, answer_format):
        payload = dict(error.extra, message=error.message, code=error.status)
        headers = [("x-error-message", header_safe(error.message))] + error.headers
        if answer_format == "json":
            return Response.json(error.status, {error.fault: payload}, headers)
        return self._render(error.status, error.fault, payload, "xml", headers)

    # ----- shared helpers ---------------------------------------------------------------

    @staticmethod
    def _query(request, allowed):
        names = [pair[0] for pair in request.query_pairs]
        for name in names:
            if name not in allowed:
                raise ApiError(400, "Unknown query parameter %s (allowed: %s)" % (name, ", ".join(sorted(allowed))))
            if names.count(name) > 1:
                raise ApiError(400, "Query parameter %s given more than once" % name)
        return request.query

    @staticmethod
    def _paging(query):
        try:
            size = int(query.get("size", DEFAULT_PAGE_SIZE))
            offset = int(query.get("offset", 0))
        except ValueError as exc:
            raise ApiError(400, "size and offset must be integers") from exc
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ApiError(400, "Invalid size %d: must be from 1 to %d" % (size, MAX_PAGE_SIZE))
        if offset < 0:
            raise ApiError(400, "Invalid offset %d: must not be negative" % offset)
        return offset, size

    @staticmethod
    def _page(items, offset, size):
        return {"offset": offset, "size": size, "total": len(items)}, items[offset:offset + size]

    @staticmethod
    def _form(request, allowed, read_only=()):
        """The form fields of a write; an empty body is an empty form."""
        if not request.body:
            return {}
        if request.form is None:
            raise ApiError(415, "Request body must be Content-Type application/x-www-form-urlencoded "
                                "(got %s)" % (request.content_type or "no Content-Type"))
        names = [pair[0] for pair in request.form_pairs]
        for name in names:
            if names.count(name) > 1:
                raise ApiError(400, "Field %s given more than once" % name)
            if name in read_only:
                raise ApiError(400, "Field %s is read-only" % name)
            if name not in allowed:
                raise ApiError(400, "Unknown field %s" % name)
        return request.form

    def _mailbox(self, domain, name):
        mailbox = domain.mailboxes.get(name.lower())
        if mailbox is None:
            raise ApiError(404, "Mailbox %s not found in domain %s" % (name, domain.name))
        return mailbox

    def _parse_settings(self, form, name, display_name):
        """Validated changes (settings, contact) from an Add/Edit form."""
        settings, contact = {}, {}
        for field_name, raw in form.items():
            if field_name == "displayName":
                settings[field_name] = _validate_display_name(raw)
            elif field_name == "size":
                if not SIZE_PATTERN.match(raw) or int(raw) < 1:
                    raise invalid("Invalid size %r: must be a positive integer (megabytes)" % raw)
                settings[field_name] = int(raw)
            elif field_name in BOOLEAN_FIELDS:
                settings[field_name] = _parse_boolean(field_name, raw)
            elif field_name == "emailForwardingAddress":
                if raw and not ADDRESS_PATTERN.match(raw):
                    raise invalid("Invalid email forwarding address %s" % raw)
                settings[field_name] = raw
            elif field_name in CONTACT_FIELDS:
                contact[field_name] = raw
        if "password" in form:
            _validate_password(form["password"], name, settings.get("displayName", display_name))
        return settings, contact

    # ----- mailboxes --------------------------------------------------------------------

    def index_mailboxes(self, request, domain):
        query = self._query(request, {"size", "offset", "enabled", "startswith", "contains", "fields"})
        offset, size = self._paging(query)
        if "startswith" in query and "contains" in query:
            raise ApiError(400, "Use either startswith or contains, not both")
        extra_fields = [name.strip() for name in query.get("fields", "").split(",") if name.strip()]
        for name in extra_fields:
            if name not in INDEX_EXTRA_FIELDS:
                raise ApiError(400, "Unknown field %s (allowed: %s)" % (name, ", ".join(INDEX_EXTRA_FIELDS)))
        extra_fields = [name for name in INDEX_EXTRA_FIELDS if name in extra_fields]
        mailboxes = sorted(domain.mailboxes.values(), key=lambda mailbox: mailbox.name.lower())
        if "enabled" in query:
            enabled = _parse_boolean("enabled", query["enabled"])
            mailboxes = [m for m in mailboxes if m.settings["enabled"] == enabled]
        if "startswith" in query:
            mailboxes = [m for m in mailboxes if m.name.lower().startswith(query["startswith"].lower())]
        if "contains" in query:
            mailboxes = [m for m in mailboxes if query["contains"].lower() in m.name.lower()]
        header, page = self._page(mailboxes, offset, size)
        return "mailboxList", dict(header, mailboxes=[m.index_row(extra_fields) for m in page])

    def show_mailbox(self, request, domain, name):
        self._query(request, ())
        mailbox = domain.mailboxes.get(name.lower())
        if mailbox is None:
            extra = {"additionalData": {"isRecoverable": True}} if name.lower() in domain.deleted else None
            raise ApiError(404, "Mailbox %s not found in domain %s" % (name, domain.name), extra=extra)
        return "mailbox", mailbox.show()

    def add_mailbox(self, request, domain, name):
        form = self._form(request, WRITABLE_FIELDS | {"recoverDeleted"}, READ_ONLY_FIELDS)
        if _parse_boolean("recoverDeleted", form["recoverDeleted"]) if "recoverDeleted" in form else False:
            self._recover_mailbox(domain, name, form)
            return
        if not NAME_PATTERN.match(name) or name.endswith("."):
            raise invalid("Invalid user name")
        address = "%s@%s" % (name, domain.name)
        if self.state.address_holder(address) is not None:
            raise ApiError(400, "The email address %s is already in use" % address)
        missing = [field_name for field_name in REQUIRED_ADD_FIELDS if field_name not in form]
        if missing:
            raise invalid("Missing required field(s): %s" % ", ".join(missing))
        settings, contact = self._parse_settings(form, name, form["displayName"])
        domain.deleted.pop(name.lower(), None)  # a new mailbox replaces a recoverable one
        domain.mailboxes[name.lower()] = Mailbox(
            name=name, domain=domain.name, settings=dict(SETTING_DEFAULTS, **settings), contact=contact,
            password=form["password"], sam_account_name=sam_account_name(name, domain.name),
        )

    def _recover_mailbox(self, domain, name, form):
        if set(form) != {"recoverDeleted"}:
            raise ApiError(400, "recoverDeleted cannot be combined with other fields")
        mailbox = domain.deleted.get(name.lower())
        if mailbox is None:
            raise ApiError(404, "No recoverable deleted mailbox %s in domain %s" % (name, domain.name))
        if self.state.address_holder(mailbox.address) is not None:
            raise ApiError(400, "The email address %s is already in use" % mailbox.address)
        domain.mailboxes[name.lower()] = domain.deleted.pop(name.lower())

    def edit_mailbox(self, request, domain, name):
        mailbox = self._mailbox(domain, name)
        form = self._form(request, WRITABLE_FIELDS, READ_ONLY_FIELDS)
        if not form:
            raise ApiError(400, "No fields to change")
        settings, contact = self._parse_settings(form, mailbox.name, mailbox.settings["displayName"])
        mailbox.settings.update(settings)
        mailbox.contact.update(contact)
        if "password" in form:
            mailbox.password = form["password"]

    def delete_mailbox(self, request, domain, name):
        self.state.delete_mailbox(self._mailbox(domain, name))

    # ----- alias addresses --------------------------------------------------------------

    def add_address(self, request, domain, name, address):
        mailbox = self._mailbox(domain, name)
        self._form(request, ())
        address_domain = _split_address(address)[1]
        if self.state.domain(address_domain) is None:
            raise ApiError(400, "Domain %s of address %s does not belong to customer %s"
                           % (address_domain, address, self.state.customer))
        if self.state.address_holder(address) is not None:
            raise ApiError(400, "The email address %s is already in use" % address)
        mailbox.aliases.append(address)

    def delete_address(self, request, domain, name, address):
        mailbox = self._mailbox(domain, name)
        if same_address(address, mailbox.address):
            raise ApiError(400, "%s is the primary address of mailbox %s and cannot be deleted"
                           % (mailbox.address, mailbox.name))
        remaining = [alias for alias in mailbox.aliases if not same_address(alias, address)]
        if len(remaining) == len(mailbox.aliases):
            raise ApiError(404, "Email address %s not found on mailbox %s" % (address, mailbox.address))
        mailbox.aliases = remaining

    # ----- permissions ------------------------------------------------------------------

    def index_permissions(self, request, domain, name):
        mailbox = self._mailbox(domain, name)
        offset, size = self._paging(self._query(request, {"size", "offset"}))
        entries = []
        for grantee in self.state.all_mailboxes():
            if grantee.key in mailbox.permissions:
                entries.append({"emailAddress": grantee.address, "permissionType": mailbox.permissions[grantee.key]})
        entries.sort(key=lambda entry: entry["emailAddress"].lower())
        header, page = self._page(entries, offset, size)
        return "permissionList", dict(header, permissions=page)

    def _permission_parties(self, domain, owner_name, grantee_reference):
        owner = self._mailbox(domain, owner_name)
        grantee = self.state.resolve_mailbox(domain.name, grantee_reference)
        if grantee is None:
            raise ApiError(404, "Mailbox %s not found (grantee)" % grantee_reference)
        return owner, grantee

    def _permission_type(self, request):
        form = self._form(request, ("permission",))
        if "permission" not in form:
            raise invalid("Missing required field: permission")
        permission = PERMISSION_TYPES.get(form["permission"].strip().lower())
        if permission is None:
            raise invalid("Invalid permission %r: must be sendAs, fullAccess or both" % form["permission"])
        return permission

    def add_permission(self, request, domain, owner_name, grantee_reference):
        owner, grantee = self._permission_parties(domain, owner_name, grantee_reference)
        permission = self._permission_type(request)
        if grantee is owner:
            raise ApiError(400, "A mailbox cannot be granted permissions on itself")
        if grantee.key in owner.permissions:
            raise ApiError(400, "%s already has a permission on mailbox %s; use PUT to change it"
                           % (grantee.address, owner.address))
        owner.permissions[grantee.key] = permission

    def _existing_permission(self, domain, owner_name, grantee_reference):
        owner, grantee = self._permission_parties(domain, owner_name, grantee_reference)
        if grantee.key not in owner.permissions:
            raise ApiError(404, "%s has no permission on mailbox %s" % (grantee.address, owner.address))
        return owner, grantee

    def edit_permission(self, request, domain, owner_name, grantee_reference):
        owner, grantee = self._existing_permission(domain, owner_name, grantee_reference)
        owner.permissions[grantee.key] = self._permission_type(request)

    def delete_permission(self, request, domain, owner_name, grantee_reference):
        owner, grantee = self._existing_permission(domain, owner_name, grantee_reference)
        del owner.permissions[grantee.key]

    # ----- ActiveSync -------------------------------------------------------------------

    def index_activesync(self, request, domain):
        offset, size = self._paging(self._query(request, {"size", "offset"}))
        names = sorted((m.name for m in domain.mailboxes.values() if m.active_sync), key=str.lower)
        header, page = self._page(names, offset, size)
        return "activeSyncMobileServiceList", dict(header, mailboxes=page)

    def _activesync_mailbox(self, domain, name, expect_service):
        mailbox = self._mailbox(domain, name)
        if expect_service and not mailbox.active_sync:
            raise ApiError(404, "User %s has no active ActiveSync Mobile Service." % mailbox.address)
        if not expect_service and mailbox.active_sync:
            raise ApiError(400, "User %s has ActiveSync Mobile Service already" % mailbox.address)
        return mailbox

    def show_activesync(self, request, domain, name):
        self._query(request, ())
        mailbox = self._activesync_mailbox(domain, name, expect_service=True)
        return "activeSyncMobileService", {
            "emailAddress": mailbox.address,
            "serverAddress": ACTIVESYNC_SERVER,
            "userName": mailbox.sam_account_name,
            "domainAddress": ACTIVESYNC_DOMAIN,
        }

    def add_activesync(self, request, domain, name):
        mailbox = self._activesync_mailbox(domain, name, expect_service=False)
        self._form(request, ())
        mailbox.active_sync = True

    def delete_activesync(self, request, domain, name):
        self._activesync_mailbox(domain, name, expect_service=True).active_sync = False

    # ----- spam settings ----------------------------------------------------------------

    def show_spam(self, request, domain, name):
        self._query(request, ())
        return "spamSettings", dict(self._mailbox(domain, name).spam)

    def edit_spam(self, request, domain, name):
        mailbox = self._mailbox(domain, name)
        form = self._form(request, tuple(mailbox.spam))
        if not form:
            raise ApiError(400, "No fields to change")
        changes = {}
        if "filterLevel" in form:
            level = form["filterLevel"].strip().lower()
            if level not in SPAM_FILTER_LEVELS:
                raise invalid("Invalid filterLevel %r: must be on, off or exclusive" % form["filterLevel"])
            changes["filterLevel"] = level
        if "sendToDomainQuarantine" in form:
            changes["sendToDomainQuarantine"] = _parse_boolean("sendToDomainQuarantine", form["sendToDomainQuarantine"])
        if "quarantineOwner" in form:
            owner = form["quarantineOwner"]
            if owner and not ADDRESS_PATTERN.match(owner):
                raise invalid("Invalid quarantineOwner %s" % owner)
            changes["quarantineOwner"] = owner
        mailbox.spam.update(changes)


def _fill_xml(element, value):
    if isinstance(value, dict):
        for name, item in value.items():
            _fill_xml(ElementTree.SubElement(element, name), item)
    elif isinstance(value, list):
        item_tag = XML_ITEM_TAGS.get(element.tag, "item")
        for item in value:
            _fill_xml(ElementTree.SubElement(element, item_tag), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


PROVIDER = RackspaceProvider
