"""Simulator of the Hostway API, email family (hosted Exchange), with HTTP Basic authentication.

Behaviour follows /work/shared/reference/hostway.md and the provider's own pages (the
``usernames`` list and username detail); every choice made where those are silent is
listed in docs/sandbox.md (Hostway section).  Hypermedia links use the sandbox's own base
URL where the provider's pages show ``{{APIBaseURL}}``.
"""

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlencode

from .common import Provider, Response, match_route, reject_unknown_keys

DEFAULT_ACCOUNT = "test-account123"
DEFAULT_DOMAIN = "example.com"
DEFAULT_QUOTA_MB = 2048
UNPAGED_LIMIT = 100  # a longer list without page/pageSize answers 303 to pageSize=100
MAX_PAGE_SIZE = 400  # a larger pageSize answers 303 to pageSize=400
MAX_TEXT_LENGTH = 256
REALM = "Hostway API"

NAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ADDRESS_PATTERN = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
POSITIVE_INTEGER = re.compile(r"^[1-9][0-9]{0,8}$")

# Text fields the exchange PUT sets and the exchange GET returns.
TEXT_FIELDS = (
    "displayName", "firstName", "lastName", "title", "company", "department", "homePhone",
    "mobilePhone", "fax", "street", "city", "state", "postalCode", "country",
)
PUT_FIELDS = frozenset(TEXT_FIELDS + ("password", "resetPassword", "type", "resourceType"))
SWITCHES = ("activeSyncEnabled", "imapEnabled", "mapiEnabled", "owaEnabled", "popEnabled")
# Fields of the exchange GET that its PUT cannot set.
READ_ONLY_FIELDS = frozenset(SWITCHES + (
    "quota", "primarySmtpAddress", "maxSendSize", "maxReceiveSize", "recipientLimits", "totalItemSize",
    "whenCreated", "whenChanged", "username", "domain", "emailAddress", "alias",
))
LIST_PARAMETERS = ("filterUsername", "page", "pageSize", "sortField", "sortOrder", "details")
SORT_FIELDS = ("username", "quota")
WEBMAIL_TYPES = ("standard", "activesync", "premium")
PLATFORMS = ("exchange", "mfg2")
FIXTURE_USERNAME_KEYS = frozenset(
    ("username", "platform", "password", "quota", "master", "webmailAccess", "trialType", "trialExpiration",
     "forwards", "primarySmtpAddress", "totalItemSize", "type", "resourceType") + TEXT_FIELDS + SWITCHES
)
SWITCH_DEFAULTS = {"activeSyncEnabled": False, "imapEnabled": True, "mapiEnabled": True, "owaEnabled": True,
                   "popEnabled": True}


class ApiError(Exception):
    """An error answer: ``body`` is sent as it is (a wrapper like itemNotFound, or field-keyed)."""

    def __init__(self, status, body, headers=()):
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body
        self.headers = list(headers)


def not_found(details):
    return ApiError(404, {"itemNotFound": {"message": "Resource not found", "code": 404, "details": details}})


def conflict(message):
    return ApiError(409, {"conflict": {"message": message, "code": 409}})


def invalid(**problems):
    """A 400 keyed by field, as Hostway answers validation errors: {"password": "Required"}."""
    return ApiError(400, problems)


def now_stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def password_problem(password, username, domain):
    """The first Hostway password rule the password breaks, as the API words it; None when it passes."""
    lowered = password.lower()
    labels = domain.lower().split(".")
    second_level = labels[-2] if len(labels) >= 2 else ""
    checks = (
        (len(password) >= 8, "Minimum length 8"),
        (len(password) <= 128, "Maximum length 128"),
        (password[:1].isalpha(), "Should start with a letter"),
        (any(c.isdigit() for c in password), "Should have at least one digit"),
        (any(c.isupper() for c in password), "Should have at least one capital letter"),
        (any(c.islower() for c in password), "Should have at least one lower case letter"),
        (any(not c.isalnum() and c != "_" for c in password), "Should contain at least one special character"),
        (not lowered.startswith("pass"), "Should not start with the phrase 'pass'"),
        (not lowered.startswith("abc"), "Should not start with 'abc'"),
        (not lowered.startswith("123"), "Should not start with 123"),
        (username.lower() not in lowered, "Must not contain the username"),
        (not (len(username) >= 3 and lowered.startswith(username[:3].lower())),
         "Must not start with the first 3 letters from the username"),
        (not second_level or second_level not in lowered, "Must not contain second-level domain"),
    )
    for passed, message in checks:
        if not passed:
            return message
    return None


@dataclass
class Username:
    """One username of a domain: a hosted Exchange mailbox, or a mailbox of the older MFG2 platform."""

    username: str  # lower case: Hostway usernames are case-insensitive
    platform: str = "exchange"
    quota: int = DEFAULT_QUOTA_MB
    master: int = 0
    webmail_access: str = "standard"
    trial_type: str = None
    trial_expiration: str = None
    fields: dict = field(default_factory=dict)  # TEXT_FIELDS + type/resourceType/resetPassword
    switches: dict = field(default_factory=lambda: dict(SWITCH_DEFAULTS))
    primary_smtp_address: str = None
    total_item_size: str = "0 B"
    forwards: list = field(default_factory=list)
    password_history: list = field(default_factory=list)  # sha256 digests; a password is used once
    when_created: str = field(default_factory=now_stamp)
    when_changed: str = None

    @property
    def is_exchange(self):
        return self.platform == "exchange"

    def used_password(self, password):
        return hashlib.sha256(password.encode("utf-8")).hexdigest() in self.password_history

    def set_password(self, password):
        self.password_history.append(hashlib.sha256(password.encode("utf-8")).hexdigest())


@dataclass
class Domain:
    name: str
    disabled: bool = False
    aliases: list = field(default_factory=list)  # domain aliases (GET .../aliases)
    usernames: dict = field(default_factory=dict)  # lower-case name -> Username
    email_aliases: dict = field(default_factory=dict)  # older family: alias address -> username


class HostwayState:
    """Everything the simulated account holds.  Tests may read and seed it (under sb.lock)."""

    def __init__(self, account=DEFAULT_ACCOUNT):
        self.account = str(account)
        self.domains = {}  # lower-case name -> Domain

    def domain(self, name):
        return self.domains.get(name.lower())

    def username(self, domain, name):
        found = self.domain(domain)
        return found.usernames.get(name.lower()) if found else None

    def load_fixture(self, fixture):
        for domain_name, spec in (fixture.get("domains") or {}).items():
            spec = spec or {}
            reject_unknown_keys(spec, ("disabled", "aliases", "usernames", "generate"), "fixture domain %s" % domain_name)
            domain = self.domains.setdefault(domain_name.lower(), Domain(domain_name.lower()))
            domain.disabled = bool(spec.get("disabled", False))
            domain.aliases = [str(alias).lower() for alias in spec.get("aliases") or []]
            entries = list(spec.get("usernames") or [])
            if spec.get("generate"):
                entries += generated_usernames(**spec["generate"])
            for entry in entries:
                self.add_username(domain, entry)

    def add_username(self, domain, entry):
        """Create a username from a fixture entry (see docs/sandbox.md) and return it."""
        entry = dict(entry)
        reject_unknown_keys(entry, FIXTURE_USERNAME_KEYS, "fixture username %r" % entry.get("username"))
        name = str(entry.pop("username", ""))
        where = "fixture username %s@%s" % (name, domain.name)
        if not NAME_PATTERN.match(name):
            raise ValueError("%s: invalid name" % where)
        if name.lower() in domain.usernames:
            raise ValueError("%s: defined twice" % where)
        platform = entry.pop("platform", "exchange")
        if platform not in PLATFORMS:
            raise ValueError("%s: platform must be one of %s" % (where, ", ".join(PLATFORMS)))
        webmail = entry.pop("webmailAccess", "standard")
        if webmail not in WEBMAIL_TYPES:
            raise ValueError("%s: webmailAccess must be one of %s" % (where, ", ".join(WEBMAIL_TYPES)))
        user = Username(
            username=name.lower(), platform=platform, quota=int(entry.pop("quota", DEFAULT_QUOTA_MB)),
            master=int(entry.pop("master", 0)), webmail_access=webmail,
            trial_type=entry.pop("trialType", None), trial_expiration=entry.pop("trialExpiration", None),
            primary_smtp_address=entry.pop("primarySmtpAddress", None),
            total_item_size=str(entry.pop("totalItemSize", "0 B")),
        )
        for target in entry.pop("forwards", None) or []:
            if not ADDRESS_PATTERN.match(str(target)):
                raise ValueError("%s: invalid forward %r" % (where, target))
            user.forwards.append(str(target).lower())
        password = entry.pop("password", None)
        if password is not None:
            user.set_password(str(password))
        for key in SWITCHES:
            if key in entry:
                value = entry.pop(key)
                if not isinstance(value, bool):
                    raise ValueError("%s: %s must be true or false" % (where, key))
                user.switches[key] = value
        user.fields.update((key, str(value)) for key, value in entry.items())
        user.fields.setdefault("displayName", name)
        domain.usernames[user.username] = user
        return user


def generated_usernames(prefix="user", count=0, start=1, width=None, **fields):
    """Fixture entries for ``count`` usernames named prefix + zero-padded number."""
    width = width or len(str(start + count - 1))
    return [dict(fields, username="%s%0*d" % (prefix, width, number)) for number in range(start, start + count)]


def wildcard_pattern(value):
    """filterUsername as a regular expression: ``*`` matches any run of characters, the rest literally."""
    return re.compile("^%s$" % ".*".join(re.escape(part) for part in value.split("*")), re.IGNORECASE)


class HostwayProvider(Provider):
    name = "hostway"
    url_path = ""

    def __init__(self, *, api_user, api_secret, fixture, time_scale):
        super().__init__(api_user=api_user, api_secret=api_secret, fixture=fixture, time_scale=time_scale)
        if not api_user or not api_secret:
            raise ValueError("the hostway sandbox needs api_user and api_secret (HTTP Basic credentials)")
        reject_unknown_keys(fixture, ("account", "domains"), "fixture")
        self.state = HostwayState(fixture.get("account", DEFAULT_ACCOUNT))
        self.state.load_fixture(fixture if "domains" in fixture else dict(fixture, domains={DEFAULT_DOMAIN: {}}))
        # (pattern after /accounts/{account}/, {method: handler}); None matches one path segment.
        self.routes = (
            (("email", None, "usernames"), {"GET": self.list_usernames}),
            (("email", None, "usernames", None), {"GET": self.show_username}),
            (("email", None, "usernames", None, "exchange"), {
                "GET": self.show_exchange, "PUT": self.put_exchange, "DELETE": self.delete_exchange,
            }),
            (("email", None, "usernames", None, "mailbox"), {"GET": self.show_mfg2_mailbox}),
            (("email", None, "usernames", None, "secrets"), {"GET": self.show_secrets}),
            (("email", None, "usernames", None, "forwards"), {"GET": self.show_forwards, "POST": self.set_forwards}),
            (("email", None, "usernames", None, "forwards", None), {"DELETE": self.delete_forward}),
            (("email", None, "aliases"), {"GET": self.list_domain_aliases}),
            (("exchange", None, "emailAliases"), {"POST": self.add_email_alias}),
        )

    # ----- request pipeline -------------------------------------------------------------

    def handle(self, request):
        try:
            self._authenticate(request)
            return self._route(request)
        except ApiError as error:
            return Response.json(error.status, error.body, error.headers)

    def _authenticate(self, request):
        scheme, _sep, encoded = request.headers.get("authorization", "").partition(" ")
        user = secret = None
        if scheme.lower() == "basic":
            try:
                user, _sep, secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = None
        if user is None or not (hmac.compare_digest(user.encode("utf-8"), self.api_user.encode("utf-8"))
                                and hmac.compare_digest(secret.encode("utf-8"), self.api_secret.encode("utf-8"))):
            raise ApiError(401, {"unauthorized": {
                "message": "The supplied credentials are invalid or do not provide permissions for this operation.",
                "code": 401}}, headers=[("WWW-Authenticate", 'Basic realm="%s"' % REALM)])

    def _route(self, request):
        accepted = [part.split(";")[0].strip().lower() for part in request.headers.get("accept", "*/*").split(",")]
        if not {"application/json", "application/*", "*/*"} & set(accepted):
            raise ApiError(406, {"notAcceptable": {"message": "Only application/json is offered", "code": 406}})
        segments = [unquote(part) for part in request.path.rstrip("/").split("/")[1:]]
        if len(segments) < 3 or segments[0] != "accounts":
            raise not_found("No resource at %s" % request.path)
        if segments[1] != self.state.account:
            raise not_found("Account %s does not exist" % segments[1])
        handlers, arguments = match_route(self.routes, segments[2:])
        if handlers is None:
            raise not_found("No resource at %s" % request.path)
        handler = handlers.get(request.method)
        if handler is None:
            allowed = ", ".join(sorted(handlers))
            raise ApiError(405, {"badMethod": {"message": "Method %s is not allowed here" % request.method,
                                               "code": 405}}, headers=[("Allow", allowed)])
        domain = self.state.domain(arguments[0])
        if domain is None:
            raise not_found("Domain %s does not exist" % arguments[0])
        return handler(request, domain, *arguments[1:])

    # ----- helpers ----------------------------------------------------------------------

    @staticmethod
    def _base(request):
        """The sandbox's own base URL, as the client reached it (the seed's {{APIBaseURL}})."""
        return "http://%s" % request.headers.get("host", "127.0.0.1")

    def _href(self, request, *parts, trailing_slash=True):
        path = "/".join(quote(part, safe="@") for part in ("accounts", self.state.account) + parts)
        return "%s/%s%s" % (self._base(request), path, "/" if trailing_slash else "")

    def _read_json(self, request):
        if request.content_type != "application/json":
            raise invalid(body="Content-Type must be application/json; charset=UTF-8")
        if not request.body.strip():
            return {}
        try:
            body = json.loads(request.text)
        except ValueError:
            raise invalid(body="Malformed JSON") from None
        if not isinstance(body, dict):
            raise invalid(body="Must be a JSON object")
        return body

    @staticmethod
    def _writable(domain):
        if domain.disabled:
            raise conflict("The domain is disabled.")

    @staticmethod
    def _username(domain, name, exchange=None):
        user = domain.usernames.get(name.lower())
        if user is None or (exchange is True and not user.is_exchange) or (exchange is False and user.is_exchange):
            raise not_found("Username %s does not exist in domain %s" % (name, domain.name)
                            if user is None else "Username %s has no such resource" % name)
        return user

    @staticmethod
    def _json(status, payload, headers=(), request=None):
        response = Response.json(status, payload, headers)
        if request is not None and status == 200:
            # Conditional GET: the API lists 304 among its answers.
            etag = '"%s"' % hashlib.sha256(response.body).hexdigest()[:32]
            response.headers.append(("ETag", etag))
            if request.headers.get("if-none-match") == etag:
                return Response(304, b"", [("ETag", etag)])
        return response

    # ----- usernames ----------------------------------------------------------------------

    def list_usernames(self, request, domain):
        query = request.query
        names = [name for name, _value in request.query_pairs]
        for name in names:
            if name not in LIST_PARAMETERS:
                raise invalid(**{name: "Unknown parameter"})
            if names.count(name) > 1:
                raise invalid(**{name: "Given more than once"})
        if ("page" in query) != ("pageSize" in query):
            missing = "pageSize" if "page" in query else "page"
            raise invalid(**{missing: "Required together with %s" % ("page" if missing == "pageSize" else "pageSize")})
        for name in ("page", "pageSize"):
            if name in query and not POSITIVE_INTEGER.match(query[name]):
                raise invalid(**{name: "Must be a positive integer"})
        sort_field = query.get("sortField", "username")
        if sort_field not in SORT_FIELDS:
            raise invalid(sortField="Allowed values are username and quota")
        sort_order = query.get("sortOrder", "asc")
        if sort_order not in ("asc", "desc"):
            raise invalid(sortOrder="Allowed values are asc and desc")
        details = query.get("details", "0")
        if details not in ("0", "1"):
            raise invalid(details="Allowed values are 0 and 1")

        users = list(domain.usernames.values())
        if "filterUsername" in query:
            pattern = wildcard_pattern(query["filterUsername"])
            users = [user for user in users if pattern.match(user.username)]
        # Ties in quota keep username order, so a stable client-side sort agrees with this one.
        if sort_field == "quota":
            users.sort(key=lambda user: user.username)
            users.sort(key=lambda user: user.quota, reverse=sort_order == "desc")
        else:
            users.sort(key=lambda user: user.username, reverse=sort_order == "desc")
        rows = [self._list_row(user, details == "1") for user in users]

        others = [(name, value) for name, value in request.query_pairs if name not in ("page", "pageSize")]
        if "page" not in query:
            if len(rows) > UNPAGED_LIMIT:
                return self._redirect(request, domain, 1, UNPAGED_LIMIT, others)
            links = [{"href": self._href(request, "email", domain.name, "usernames"), "rel": "self"}]
            return self._json(200, {"list": rows, "links": links}, request=request)
        page, size = int(query["page"]), int(query["pageSize"])
        if size > MAX_PAGE_SIZE:
            # To the page of the largest size that holds the first entry asked for.
            return self._redirect(request, domain, (page - 1) * size // MAX_PAGE_SIZE + 1, MAX_PAGE_SIZE, others)
        last = max(1, -(-len(rows) // size))
        links = [{"href": self._page_href(request, domain, page, size, others), "rel": "self"}]
        if page > 1:
            links.append({"href": self._page_href(request, domain, 1, size, others), "rel": "first"})
            links.append({"href": self._page_href(request, domain, min(page - 1, last), size, others),
                          "rel": "previous"})
        if page < last:
            links.append({"href": self._page_href(request, domain, page + 1, size, others), "rel": "next"})
            links.append({"href": self._page_href(request, domain, last, size, others), "rel": "last"})
        payload = {"list": rows[(page - 1) * size:page * size], "links": links, "totalCount": len(rows)}
        return self._json(200, payload, request=request)

    @staticmethod
    def _list_row(user, details):
        row = {"username": user.username, "master": user.master, "quota": user.quota}
        if details:
            row["webmailAccess"] = user.webmail_access
        if user.trial_type:
            row["trialType"] = user.trial_type
            row["trialExpiration"] = user.trial_expiration
        return row

    def _page_href(self, request, domain, page, size, others):
        query = urlencode([("page", page), ("pageSize", size)] + others)
        return "%s?%s" % (self._href(request, "email", domain.name, "usernames", trailing_slash=False), query)

    def _redirect(self, request, domain, page, size, others):
        location = self._page_href(request, domain, page, size, others)
        return Response(303, b"", [("Location", location)])

    def show_username(self, request, domain, name):
        user = self._username(domain, name)
        parts = ("email", domain.name, "usernames", user.username)
        payload = {}
        if user.is_exchange:
            payload["exchange"] = [{"href": self._href(request, *parts, "exchange"), "rel": "related"}]
        else:
            payload["mailbox"] = [{"href": self._href(request, *parts, "mailbox"), "rel": "related"}]
        payload["secrets"] = [{"href": self._href(request, *parts, "secrets"), "rel": "related"}]
        payload["links"] = [{"href": self._href(request, *parts), "rel": "self"}]
        return self._json(200, payload, request=request)

    def show_mfg2_mailbox(self, request, domain, name):
        user = self._username(domain, name, exchange=False)
        payload = {"username": user.username, "master": user.master, "quota": user.quota,
                   "links": [{"href": self._href(request, "email", domain.name, "usernames", user.username,
                                                 "mailbox"), "rel": "self"}]}
        return self._json(200, payload, request=request)

    def show_secrets(self, request, domain, name):
        user = self._username(domain, name)
        payload = {"list": [], "links": [{"href": self._href(request, "email", domain.name, "usernames",
                                                             user.username, "secrets"), "rel": "self"}]}
        return self._json(200, payload, request=request)

    # ----- exchange -----------------------------------------------------------------------

    def _exchange_body(self, request, domain, user):
        address = "%s@%s" % (user.username, domain.name)
        body = {
            "username": user.username,
            "domain": domain.name,
            "emailAddress": address,
            "primarySmtpAddress": user.primary_smtp_address or address,
            "quota": str(user.quota),
            "maxSendSize": "10 MB",
            "maxReceiveSize": "10 MB",
            "recipientLimits": "100",
            "totalItemSize": user.total_item_size,
            "whenCreated": user.when_created,
            "whenChanged": user.when_changed or user.when_created,
            "type": user.fields.get("type", "UserMailbox"),
            "resourceType": user.fields.get("resourceType", ""),
        }
        body.update(user.switches)
        body.update((key, user.fields.get(key, "")) for key in TEXT_FIELDS)
        body["links"] = [{"href": self._href(request, "email", domain.name, "usernames", user.username, "exchange"),
                          "rel": "self"}]
        return body

    def show_exchange(self, request, domain, name):
        user = self._username(domain, name, exchange=True)
        return self._json(200, self._exchange_body(request, domain, user), request=request)

    def put_exchange(self, request, domain, name):
        body = self._read_json(request)
        if not NAME_PATTERN.match(name):
            raise invalid(mailboxName="Should meet the regexp [a-zA-Z0-9._-]+, max 64 characters")
        problems = {}
        for key, value in body.items():
            if key in READ_ONLY_FIELDS:
                problems[key] = "Read-only"
            elif key not in PUT_FIELDS:
                problems[key] = "Unknown field"
            elif key == "resetPassword":
                if not isinstance(value, (bool, int)):
                    problems[key] = "Must be a boolean"
            elif not isinstance(value, str):
                problems[key] = "Must be a string"
            elif len(value) > MAX_TEXT_LENGTH:
                problems[key] = "Longer than maximum length %d" % MAX_TEXT_LENGTH
        if problems:
            raise invalid(**problems)
        self._writable(domain)
        user = domain.usernames.get(name.lower())
        if user is not None and not user.is_exchange:
            raise conflict("Username %s is in use by a mailbox that is not hosted Exchange" % user.username)
        creating = user is None
        if creating and "password" not in body:
            raise invalid(password="Required")
        password = body.get("password")
        if password is not None:
            problem = password_problem(password, name, domain.name)
            if problem is None and not creating and user.used_password(password):
                problem = "Password must not be used more than once"
            if problem:
                raise invalid(password=problem)
        if creating:
            user = Username(username=name.lower())
            domain.usernames[user.username] = user
            user.fields["displayName"] = name.lower()
        if password is not None:
            user.set_password(password)
        user.fields.update((key, value) for key, value in body.items() if key != "password")
        if not creating:
            user.when_changed = now_stamp()
        payload = self._exchange_body(request, domain, user)
        if creating:
            location = self._href(request, "email", domain.name, "usernames", user.username, "exchange")
            return Response.json(201, payload, [("Location", location)])
        return Response.json(200, payload)

    def delete_exchange(self, request, domain, name):
        user = self._username(domain, name, exchange=True)
        self._writable(domain)
        del domain.usernames[user.username]
        for alias, owner in list(domain.email_aliases.items()):
            if owner == user.username:
                del domain.email_aliases[alias]
        return Response(204)

    # ----- forwards -----------------------------------------------------------------------

    def show_forwards(self, request, domain, name):
        user = self._username(domain, name)
        payload = {"targets": [{"target": target} for target in user.forwards],
                   "links": [{"location": self._href(request, "email", domain.name, "usernames", user.username,
                                                     "forwards"), "rel": "self"}]}
        return self._json(200, payload, request=request)

    def set_forwards(self, request, domain, name):
        user = self._username(domain, name)
        body = self._read_json(request)
        unknown = sorted(set(body) - {"targets"})
        if unknown:
            raise invalid(**{key: "Unknown field" for key in unknown})
        targets = body.get("targets")
        if targets is None:
            raise invalid(targets="Required")
        if not isinstance(targets, list):
            raise invalid(targets="Must be a list")
        if not targets:
            raise invalid(targets="Shorter than minimum length 1")
        addresses = []
        for entry in targets:
            target = entry.get("target") if isinstance(entry, dict) else None
            if not isinstance(target, str) or not ADDRESS_PATTERN.match(target):
                raise invalid(targets="Invalid target %s" % json.dumps(entry))
            if target.lower() not in addresses:
                addresses.append(target.lower())
        self._writable(domain)
        for target in addresses:
            if self._delivery_loop(domain, user, target):
                raise conflict("Create of the forwarder would produce a delivery loop (%s)" % target)
        user.forwards = addresses
        return Response(204)

    def _delivery_loop(self, domain, user, target):
        """Same username on the same domain, or on a domain that is an alias of the other."""
        local, _sep, target_domain = target.rpartition("@")
        if local.lower() != user.username:
            return False
        if target_domain == domain.name or target_domain in domain.aliases:
            return True
        other = self.state.domain(target_domain)
        return other is not None and domain.name in other.aliases

    def delete_forward(self, request, domain, name, target):
        user = self._username(domain, name)
        if target.lower() not in user.forwards:
            raise not_found("Username %s does not forward to %s" % (user.username, target))
        self._writable(domain)
        user.forwards.remove(target.lower())
        return Response(204)

    # ----- domain aliases, older family's e-mail aliases ----------------------------------

    def list_domain_aliases(self, request, domain):
        payload = {"list": list(domain.aliases),
                   "links": [{"href": self._href(request, "email", domain.name, "aliases"), "rel": "self"}]}
        return self._json(200, payload, request=request)

    def add_email_alias(self, request, domain):
        body = self._read_json(request)
        alias = body.get("emailalias")
        if not isinstance(alias, dict):
            raise invalid(emailalias="Required")
        username, address = alias.get("username"), alias.get("emailForward")
        problems = {}
        if not isinstance(username, str) or not username:
            problems["username"] = "Required"
        if not isinstance(address, str) or not ADDRESS_PATTERN.match(address):
            problems["emailForward"] = "Must be an e-mail address"
        if problems:
            raise invalid(**problems)
        user = self._username(domain, username, exchange=True)
        self._writable(domain)
        address = address.lower()
        if address in domain.email_aliases or address == "%s@%s" % (user.username, domain.name):
            raise conflict("The e-mail address %s is already in use" % address)
        domain.email_aliases[address] = user.username
        location = self._href(request, "exchange", domain.name, "emailAliases", address, trailing_slash=False)
        return Response.json(201, {"emailalias": {"username": user.username, "emailForward": address}},
                             [("Location", location)])


PROVIDER = HostwayProvider
