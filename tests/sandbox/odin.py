"""Simulator of the Odin / CloudBlue Operations Automation public API (XML-RPC).

Behaviour follows /work/shared/reference/odin.md and the vendor's page for
pem.exchange.addMailbox; every choice made where those are silent or say "inferred" is
listed in docs/sandbox.md (section "Odin simulator").

One POST to /RPC2 (or /) carries one XML-RPC call whose only parameter is a struct; every
answer is a normal XML-RPC response holding the status envelope, except a body that is not
an XML-RPC call at all, which gets an XML-RPC fault like any XML-RPC server would give.
"""

import base64
import binascii
import copy
import hmac
import json
import re
import secrets
import time
import xmlrpc.client
from dataclasses import dataclass, field

from .common import Provider, Response, reject_unknown_keys

DEFAULT_SUBSCRIPTION = 1000
DEFAULT_DOMAIN = "example.com"
FIRST_MAILBOX_ID = 100
FIRST_USER_ID = 500
FIRST_TXN_ID = 9000
DEFAULT_SIZE_LIMIT_KB = 1024 * 1024
MIN_PASSWORD_LENGTH = 8
RPC_PATHS = ("/RPC2", "/RPC2/", "/")
XML_TYPES = ("text/xml", "application/xml")
REALM = "Operations Automation"

# extype_id of the failure envelope: the vendor's codes are not public, these are the sandbox's own.
EXTYPE_INVALID = 1
EXTYPE_NOT_FOUND = 2
EXTYPE_CONFLICT = 3
EXTYPE_UNKNOWN_METHOD = 4

FULL_ACCESS = 1
SEND_AS = 1
SEND_ON_BEHALF = 2
DELIVERY_NAMES = {SEND_AS: "send_as", SEND_ON_BEHALF: "send_on_behalf"}

PROTOCOL_FLAGS = ("owa", "mapi", "active_sync", "imap4", "pop3")
LIMIT_FIELDS = (
    "warning_limit", "prohibit_send_limit", "size_limit", "incoming_item_max_size",
    "outgoing_item_max_size", "recipient_list_max_size", "message_retention",
)
MODIFIABLE = ("alias", "show_in_address_book") + PROTOCOL_FLAGS + LIMIT_FIELDS
# Arguments any call may carry besides its own: the transaction it belongs to.
CALL_CONTEXT = ("txn_id", "request_id")

ALIAS_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ADDRESS_PATTERN = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


class OdinError(Exception):
    """Becomes the failure envelope {status: -1, error_message, extype_id, module_id, properties}."""

    def __init__(self, message, extype_id=EXTYPE_INVALID, module_id="Exchange", properties=None):
        super().__init__(message)
        self.message = message
        self.extype_id = extype_id
        self.module_id = module_id
        self.properties = properties or {}

    def envelope(self):
        return {"status": -1, "error_message": self.message, "extype_id": self.extype_id,
                "module_id": self.module_id, "properties": self.properties}


def not_found(message, module_id="Exchange"):
    return OdinError(message, EXTYPE_NOT_FOUND, module_id)


# ----- argument checking ------------------------------------------------------------------


def check_args(args, method, required=(), optional=()):
    allowed = set(required) | set(optional) | set(CALL_CONTEXT)
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise OdinError("%s: unknown parameter%s %s" % (method, "s" if len(unknown) > 1 else "", ", ".join(unknown)))
    missing = [name for name in required if name not in args]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise OdinError("%s: missing required parameter%s %s" % (method, plural, ", ".join(missing)))


def int_arg(args, name, minimum=None):
    value = args[name]
    # XML-RPC booleans arrive as bool, a subclass of int: not a number here.
    if isinstance(value, bool) or not isinstance(value, int):
        raise OdinError("Parameter %s must be an integer" % name)
    if minimum is not None and value < minimum:
        raise OdinError("Parameter %s must be at least %d (got %d)" % (name, minimum, value))
    return value


def bool_arg(args, name):
    value = args[name]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise OdinError("Parameter %s must be a boolean" % name)


def str_arg(args, name):
    value = args[name]
    if not isinstance(value, str) or not value.strip():
        raise OdinError("Parameter %s must be a non-empty string" % name)
    return value


def list_arg(args, name, kind=None):
    value = args[name]
    if not isinstance(value, list):
        raise OdinError("Parameter %s must be an array" % name)
    if kind is not None and not all(isinstance(item, kind) for item in value):
        raise OdinError("Parameter %s has an element of the wrong type" % name)
    return value


def struct_arg(args, name):
    value = args[name]
    if not isinstance(value, dict):
        raise OdinError("Parameter %s must be a struct" % name)
    return value


# ----- state --------------------------------------------------------------------------------


@dataclass
class Subscription:
    subscription_id: int
    domains: list  # lower-case domain names


@dataclass
class User:
    user_id: int
    login: str
    password: str
    display_name: str
    subscription_id: int = None  # None: not bound to any subscription


@dataclass
class Mailbox:
    mailbox_id: int
    subscription_id: int
    user_id: int
    alias: str
    display_name: str
    addresses: list  # lower-case; the first one is the primary address
    owa: bool = True
    mapi: bool = True
    active_sync: bool = False
    imap4: bool = True
    pop3: bool = True
    size: int = 0  # KB occupied
    size_limit: int = DEFAULT_SIZE_LIMIT_KB
    warning_limit: int = None
    prohibit_send_limit: int = None
    incoming_item_max_size: int = 10240
    outgoing_item_max_size: int = 10240
    recipient_list_max_size: int = 5000
    message_retention: int = 14
    show_in_address_book: bool = True
    status: int = 0
    full_access: set = field(default_factory=set)  # trustee mailbox ids
    delivery: dict = field(default_factory=dict)  # trustee mailbox id -> set of codes (1 Send As, 2 On Behalf)

    def __post_init__(self):
        if self.warning_limit is None:
            self.warning_limit = self.size_limit * 9 // 10
        if self.prohibit_send_limit is None:
            self.prohibit_send_limit = self.size_limit * 19 // 20

    @property
    def primary(self):
        return self.addresses[0]


class OdinState:
    """Everything the simulated installation holds.  Tests may read and seed it (under sb.lock)."""

    def __init__(self):
        self.subscriptions = {}  # id -> Subscription
        self.users = {}  # id -> User
        self.mailboxes = {}  # id -> Mailbox
        self.next_mailbox_id = FIRST_MAILBOX_ID
        self.next_user_id = FIRST_USER_ID
        self.version = 0  # bumped by every committed write; transactions compare it

    # lookups that answer status -1 when nothing is found

    def subscription(self, subscription_id):
        found = self.subscriptions.get(subscription_id)
        if found is None:
            raise not_found("Subscription %s not found" % subscription_id, "PEM")
        return found

    def mailbox(self, mailbox_id):
        found = self.mailboxes.get(mailbox_id)
        if found is None:
            raise not_found("Mailbox %s not found" % mailbox_id)
        return found

    def user(self, user_id):
        found = self.users.get(user_id)
        if found is None:
            raise not_found("Service user %s not found" % user_id, "PEM")
        return found

    def holder(self, address):
        address = address.lower()
        return next((mailbox for mailbox in self.mailboxes.values() if address in mailbox.addresses), None)

    def user_by_login(self, login):
        return next((user for user in self.users.values() if user.login.lower() == login.lower()), None)

    def mailbox_of_user(self, user_id):
        return next((mailbox for mailbox in self.mailboxes.values() if mailbox.user_id == user_id), None)

    # changes shared by the API and fixtures

    def add_user(self, login, password=None, display_name=None, subscription_id=None, user_id=None):
        if self.user_by_login(login) is not None:
            raise OdinError("Service user with login %s already exists" % login, EXTYPE_CONFLICT, "PEM")
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise OdinError("Password does not meet the password policy (at least %d characters)"
                            % MIN_PASSWORD_LENGTH, module_id="PEM")
        if subscription_id is not None:
            self.subscription(subscription_id)
        if user_id is None:
            user_id = self.next_user_id
        elif user_id in self.users:
            raise OdinError("Service user %s already exists" % user_id, EXTYPE_CONFLICT, "PEM")
        self.next_user_id = max(self.next_user_id, user_id + 1)
        user = User(user_id, login, password or secrets.token_urlsafe(12), display_name or login, subscription_id)
        self.users[user_id] = user
        return user

    def check_new_address(self, subscription, address, allow_holder=None):
        """A valid address in one of the subscription's domains that no other mailbox holds."""
        if not isinstance(address, str) or not ADDRESS_PATTERN.match(address):
            raise OdinError("Invalid e-mail address %r" % (address,))
        address = address.lower()
        domain = address.rsplit("@", 1)[1]
        if domain not in subscription.domains:
            raise OdinError("Domain %s does not belong to subscription %s" % (domain, subscription.subscription_id))
        holder = self.holder(address)
        if holder is not None and holder is not allow_holder:
            raise OdinError("E-mail address %s is already in use" % address, EXTYPE_CONFLICT)
        return address

    def add_mailbox(self, subscription_id, user, alias, primary, extra_addresses=(), mailbox_id=None, **settings):
        subscription = self.subscription(subscription_id)
        if not ALIAS_PATTERN.match(alias):
            raise OdinError("Invalid mailbox alias %r" % alias)
        if any(m.alias.lower() == alias.lower() and m.subscription_id == subscription_id
               for m in self.mailboxes.values()):
            raise OdinError("Mailbox alias %s is already in use" % alias, EXTYPE_CONFLICT)
        if self.mailbox_of_user(user.user_id) is not None:
            raise OdinError("Service user %s already has a mailbox" % user.login, EXTYPE_CONFLICT)
        addresses = []
        for address in [primary] + list(extra_addresses):
            address = self.check_new_address(subscription, address)
            if address in addresses:
                raise OdinError("E-mail address %s is given twice" % address)
            addresses.append(address)
        if mailbox_id is None:
            mailbox_id = self.next_mailbox_id
        elif mailbox_id in self.mailboxes:
            raise OdinError("Mailbox %s already exists" % mailbox_id, EXTYPE_CONFLICT)
        self.next_mailbox_id = max(self.next_mailbox_id, mailbox_id + 1)
        mailbox = Mailbox(mailbox_id=mailbox_id, subscription_id=subscription_id, user_id=user.user_id, alias=alias,
                          display_name=user.display_name, addresses=addresses, **settings)
        self.mailboxes[mailbox_id] = mailbox
        return mailbox

    def remove_mailbox(self, mailbox):
        del self.mailboxes[mailbox.mailbox_id]
        for other in self.mailboxes.values():
            other.full_access.discard(mailbox.mailbox_id)
            other.delivery.pop(mailbox.mailbox_id, None)

    def trustee(self, owner, entry, where):
        """The mailbox a {mailbox_id} trustee struct names, in the owner's subscription."""
        if not isinstance(entry, dict) or "mailbox_id" not in entry:
            if isinstance(entry, dict) and "distribution_list_id" in entry:
                raise OdinError("%s: distribution lists are not simulated" % where)
            raise OdinError("%s: a trustee must be a struct with mailbox_id" % where)
        trustee = self.mailbox(int_arg(entry, "mailbox_id"))
        if trustee is owner:
            raise OdinError("A mailbox cannot be its own trustee")
        if trustee.subscription_id != owner.subscription_id:
            raise OdinError("Trustee mailbox %s is not in the subscription of mailbox %s"
                            % (trustee.mailbox_id, owner.mailbox_id))
        return trustee

    # fixtures

    def load_fixture(self, fixture):
        reject_unknown_keys(fixture, ("subscriptions", "users"), "fixture")
        subscriptions = fixture.get("subscriptions")
        if subscriptions is None:
            subscriptions = {DEFAULT_SUBSCRIPTION: {}}
        created = []
        for key, spec in subscriptions.items():
            spec = spec or {}
            reject_unknown_keys(spec, ("domains", "mailboxes"), "fixture subscription %s" % key)
            subscription_id = int(key)
            domains = [str(domain).lower() for domain in spec.get("domains", [DEFAULT_DOMAIN])]
            self.subscriptions[subscription_id] = Subscription(subscription_id, domains)
        for spec in fixture.get("users") or []:
            reject_unknown_keys(spec, ("user_id", "login", "password", "display_name", "subscription_id"),
                                "fixture user")
            self.add_user(str(spec["login"]), spec.get("password"), spec.get("display_name"),
                          spec.get("subscription_id"), spec.get("user_id"))
        for key, spec in subscriptions.items():
            for mailbox_spec in (spec or {}).get("mailboxes") or []:
                created.append((self._fixture_mailbox(int(key), mailbox_spec), mailbox_spec))
        # Permissions last, so a trustee may be listed after its owner.
        for mailbox, spec in created:
            self._fixture_permissions(mailbox, spec)

    def _fixture_mailbox(self, subscription_id, spec):
        reject_unknown_keys(spec, FIXTURE_MAILBOX_KEYS, "fixture mailbox %r" % spec.get("email_address"))
        where = "fixture mailbox %s" % spec.get("email_address")
        try:
            primary = str(spec["email_address"])
            login = spec.get("login") or primary
            user = self.user_by_login(login)
            if user is None:
                user = self.add_user(login, spec.get("password"), spec.get("display_name") or login, subscription_id)
            settings = dict((key, spec[key]) for key in PROTOCOL_FLAGS + LIMIT_FIELDS
                            + ("size", "show_in_address_book") if key in spec)
            mailbox = self.add_mailbox(subscription_id, user, str(spec.get("alias") or primary.split("@", 1)[0]),
                                       primary, spec.get("email_addresses") or (), spec.get("mailbox_id"), **settings)
        except (OdinError, KeyError, TypeError) as exc:
            raise ValueError("%s: %s" % (where, exc)) from exc
        if spec.get("display_name"):
            mailbox.display_name = spec["display_name"]
        return mailbox

    def _fixture_permissions(self, mailbox, spec):
        domain = mailbox.primary.rsplit("@", 1)[1]
        for key, codes in (("full_access", None), ("send_as", SEND_AS), ("send_on_behalf", SEND_ON_BEHALF)):
            for reference in spec.get(key) or []:
                reference = str(reference).lower()
                trustee = self.holder(reference if "@" in reference else "%s@%s" % (reference, domain))
                if trustee is None or trustee is mailbox or trustee.subscription_id != mailbox.subscription_id:
                    raise ValueError("fixture mailbox %s: bad %s trustee %r" % (mailbox.primary, key, reference))
                if codes is None:
                    mailbox.full_access.add(trustee.mailbox_id)
                else:
                    mailbox.delivery.setdefault(trustee.mailbox_id, set()).add(codes)


FIXTURE_MAILBOX_KEYS = (
    ("mailbox_id", "email_address", "alias", "display_name", "login", "password", "size", "show_in_address_book",
     "email_addresses", "full_access", "send_as", "send_on_behalf") + PROTOCOL_FLAGS + LIMIT_FIELDS
)


# ----- the API methods: handler(state, args) -> result (None: no output) ---------------------


def _mailbox_info(state, mailbox):
    user = state.users.get(mailbox.user_id)
    info = {"mailbox_id": mailbox.mailbox_id, "user_id": mailbox.user_id, "login": user.login if user else "",
            "display_name": mailbox.display_name, "alias": mailbox.alias, "size": mailbox.size,
            "show_in_address_book": mailbox.show_in_address_book, "status": mailbox.status}
    for name in PROTOCOL_FLAGS + LIMIT_FIELDS:
        info[name] = getattr(mailbox, name)
    return info


def _address_list(mailbox):
    return [{"email_address": address, "is_primary": index == 0} for index, address in enumerate(mailbox.addresses)]


def add_mailbox(state, args):
    method = "pem.exchange.addMailbox"
    check_args(args, method, required=("alias", "primary_email_address", "size_limit") + PROTOCOL_FLAGS,
               optional=("user_id", "new_user", "alt_email_addresses", "skip_initialization", "mark_migrated"))
    if ("user_id" in args) == ("new_user" in args):
        raise OdinError("Exactly one of user_id and new_user must be given: they are mutually exclusive")
    settings = dict((name, bool_arg(args, name)) for name in PROTOCOL_FLAGS)
    settings["size_limit"] = int_arg(args, "size_limit", minimum=1)
    for name in ("skip_initialization", "mark_migrated"):
        if name in args:
            bool_arg(args, name)
    alias, primary = str_arg(args, "alias"), str_arg(args, "primary_email_address")
    extra = list_arg(args, "alt_email_addresses", str) if "alt_email_addresses" in args else []
    if "user_id" in args:
        user = state.user(int_arg(args, "user_id"))
        if user.subscription_id is None:
            raise OdinError("Service user %s is not bound to a subscription with Hosted Exchange and its account has "
                            "no account-wide Hosted Exchange service; use pem.bindUserToSubscription" % user.user_id)
        subscription_id = user.subscription_id
    else:
        new_user = struct_arg(args, "new_user")
        check_args(new_user, "new_user", required=("subscription_id", "login"), optional=("password", "display_name"))
        subscription_id = int_arg(new_user, "subscription_id")
        state.subscription(subscription_id)
        login = str_arg(new_user, "login")
        user = state.user_by_login(login)
        if user is None:
            user = state.add_user(login, new_user.get("password"), new_user.get("display_name"), subscription_id)
        elif user.subscription_id not in (None, subscription_id):
            raise OdinError("Service user %s belongs to another subscription" % login, EXTYPE_CONFLICT)
        else:
            # An existing login is reused as it is (the seed page): its password and name stay.
            user.subscription_id = subscription_id
    mailbox = state.add_mailbox(subscription_id, user, alias, primary, extra, **settings)
    return {"mailbox_id": mailbox.mailbox_id}


def get_mailbox_info(state, args):
    check_args(args, "pem.exchange.getMailboxInfo", required=("mailbox_id",))
    return _mailbox_info(state, state.mailbox(int_arg(args, "mailbox_id")))


def get_mailboxes(state, args):
    check_args(args, "pem.exchange.getMailboxes", required=("subscription_id",))
    subscription = state.subscription(int_arg(args, "subscription_id"))
    entries = []
    for mailbox in sorted(state.mailboxes.values(), key=lambda m: m.mailbox_id):
        if mailbox.subscription_id == subscription.subscription_id:
            info = _mailbox_info(state, mailbox)
            entries.append({"mailbox_id": mailbox.mailbox_id, "email_address": mailbox.primary, "size": mailbox.size,
                            "user_id": mailbox.user_id, "display_name": mailbox.display_name,
                            "login": info["login"], "alias": mailbox.alias})
    return entries


def get_domain_list(state, args):
    """pem.getDomainList (inferred from public clients that call it with subscription_id): the subscription's
    domains as [{domain_id, domain_name}]."""
    check_args(args, "pem.getDomainList", required=("subscription_id",))
    subscription = state.subscription(int_arg(args, "subscription_id"))
    return [{"domain_id": index + 1, "domain_name": domain} for index, domain in enumerate(subscription.domains)]


def get_mailbox_by_email_address(state, args):
    check_args(args, "pem.exchange.getMailboxByEmailAddress", required=("email_address",))
    address = str_arg(args, "email_address")
    mailbox = state.holder(address)
    if mailbox is None:
        raise not_found("Mailbox with e-mail address %s not found" % address)
    return {"mailbox_id": mailbox.mailbox_id, "email_addresses": _address_list(mailbox)}


def modify_mailbox(state, args):
    check_args(args, "pem.exchange.modifyMailbox", required=("mailbox_id",), optional=MODIFIABLE)
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    changes = {}
    for name in MODIFIABLE:
        if name not in args:
            continue
        if name in PROTOCOL_FLAGS or name == "show_in_address_book":
            changes[name] = bool_arg(args, name)
        elif name == "alias":
            alias = str_arg(args, name)
            if not ALIAS_PATTERN.match(alias):
                raise OdinError("Invalid mailbox alias %r" % alias)
            changes[name] = alias
        else:
            changes[name] = int_arg(args, name, minimum=0 if name == "message_retention" else 1)
    for name, value in changes.items():
        setattr(mailbox, name, value)


def change_primary_email_address(state, args):
    method = "pem.exchange.changePrimaryEmailAddress"
    check_args(args, method, required=("email_address",),
               optional=("mailbox_id", "distribution_list_id", "public_folder_id", "mail_contact_id"))
    if "mailbox_id" not in args:
        raise OdinError("%s: only mailbox_id is simulated (distribution lists, public folders and contacts are not)"
                        % method)
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    address = state.check_new_address(state.subscription(mailbox.subscription_id), str_arg(args, "email_address"),
                                      allow_holder=mailbox)
    # The former primary address stays on the mailbox as a secondary one.
    if address in mailbox.addresses:
        mailbox.addresses.remove(address)
    mailbox.addresses.insert(0, address)


def remove_mailbox(state, args):
    check_args(args, "pem.exchange.removeMailbox", required=("mailbox_id",))
    # The service user stays: it may get a new mailbox later.
    state.remove_mailbox(state.mailbox(int_arg(args, "mailbox_id")))


def get_email_addresses(state, args):
    check_args(args, "pem.exchange.getEmailAddresses", required=("mailbox_id",))
    return _address_list(state.mailbox(int_arg(args, "mailbox_id")))


def add_email_addresses(state, args):
    check_args(args, "pem.exchange.addEmailAddresses", required=("mailbox_id", "email_addresses"))
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    subscription = state.subscription(mailbox.subscription_id)
    for address in list_arg(args, "email_addresses", str):
        if address.lower() in mailbox.addresses:
            raise OdinError("E-mail address %s is already assigned to mailbox %s" % (address, mailbox.mailbox_id),
                            EXTYPE_CONFLICT)
        mailbox.addresses.append(state.check_new_address(subscription, address))


def remove_email_addresses(state, args):
    check_args(args, "pem.exchange.removeEmailAddresses", required=("mailbox_id", "email_addresses"))
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    for address in list_arg(args, "email_addresses", str):
        address = address.lower()
        if address not in mailbox.addresses:
            raise not_found("E-mail address %s not found on mailbox %s" % (address, mailbox.mailbox_id))
        if address == mailbox.primary:
            raise OdinError("The primary e-mail address %s cannot be removed; change the primary address first"
                            % address)
        mailbox.addresses.remove(address)


def _permission_entries(state, mailbox, args, method):
    """Each {trustee {mailbox_id}, permission} of a grant call, checked: [(trustee, code)]."""
    entries = []
    for entry in list_arg(args, "permissions", dict):
        check_args(entry, method + " permissions", required=("trustee", "permission"))
        entries.append((state.trustee(mailbox, entry["trustee"], method), int_arg(entry, "permission")))
    return entries


def grant_mailbox_permissions(state, args):
    method = "pem.exchange.grantMailboxPermissions"
    check_args(args, method, required=("mailbox_id", "permissions"))
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    entries = _permission_entries(state, mailbox, args, method)
    for _trustee, code in entries:
        if code != FULL_ACCESS:
            raise OdinError("Unknown mailbox permission %d (1 = Full Access)" % code)
    for trustee, _code in entries:
        mailbox.full_access.add(trustee.mailbox_id)


def grant_delivery_permissions(state, args):
    method = "pem.exchange.grantDeliveryPermissions"
    check_args(args, method, required=("mailbox_id", "permissions"))
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    entries = _permission_entries(state, mailbox, args, method)
    for _trustee, code in entries:
        if code not in DELIVERY_NAMES:
            raise OdinError("Unknown delivery permission %d (1 = Send As, 2 = Send On Behalf)" % code)
    for trustee, code in entries:
        mailbox.delivery.setdefault(trustee.mailbox_id, set()).add(code)


def _trustees(state, mailbox, args, method, holds):
    trustees = [state.trustee(mailbox, entry, method) for entry in list_arg(args, "trustees")]
    for trustee in trustees:
        if not holds(trustee.mailbox_id):
            raise OdinError("Mailbox %s has no such permission granted to mailbox %s"
                            % (mailbox.mailbox_id, trustee.mailbox_id))
    return trustees


def revoke_mailbox_permissions(state, args):
    method = "pem.exchange.revokeMailboxPermissions"
    check_args(args, method, required=("mailbox_id", "trustees"))
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    for trustee in _trustees(state, mailbox, args, method, lambda tid: tid in mailbox.full_access):
        mailbox.full_access.discard(trustee.mailbox_id)


def revoke_delivery_permissions(state, args):
    method = "pem.exchange.revokeDeliveryPermissions"
    check_args(args, method, required=("mailbox_id", "trustees"))
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    # A trustee is named without a permission code, so everything it was given goes.
    for trustee in _trustees(state, mailbox, args, method, lambda tid: bool(mailbox.delivery.get(tid))):
        mailbox.delivery.pop(trustee.mailbox_id, None)


def _trustee_struct(state, trustee_id):
    trustee = state.mailboxes.get(trustee_id)
    return {"mailbox_id": trustee_id, "display_name": trustee.display_name if trustee else ""}


def get_mailbox_permissions(state, args):
    check_args(args, "pem.exchange.getMailboxPermissions", required=("mailbox_id",))
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    return [{"trustee": _trustee_struct(state, trustee_id), "permission": FULL_ACCESS}
            for trustee_id in sorted(mailbox.full_access)]


def get_delivery_permissions(state, args):
    check_args(args, "pem.exchange.getDeliveryPermissions", required=("mailbox_id",))
    mailbox = state.mailbox(int_arg(args, "mailbox_id"))
    return [{"trustee": _trustee_struct(state, trustee_id), "permission": code}
            for trustee_id in sorted(mailbox.delivery) for code in sorted(mailbox.delivery[trustee_id])]


def add_user(state, args):
    check_args(args, "pem.addUser", required=("login",),
               optional=("password", "display_name", "subscription_id", "owner_account_id"))
    subscription_id = int_arg(args, "subscription_id") if "subscription_id" in args else None
    if "owner_account_id" in args:
        int_arg(args, "owner_account_id")
    user = state.add_user(str_arg(args, "login"), args.get("password"), args.get("display_name"), subscription_id)
    return {"user_id": user.user_id}


def get_user_by_login(state, args):
    check_args(args, "pem.getUserByLogin", required=("login",))
    user = state.user_by_login(str_arg(args, "login"))
    if user is None:
        raise not_found("Service user with login %s not found" % args["login"], "PEM")
    return {"user_id": user.user_id}


def remove_user(state, args):
    check_args(args, "pem.removeUser", required=("user_id",))
    user = state.user(int_arg(args, "user_id"))
    if state.mailbox_of_user(user.user_id) is not None:
        raise OdinError("Service user %s still has a mailbox; remove the mailbox first" % user.user_id,
                        EXTYPE_CONFLICT, "PEM")
    del state.users[user.user_id]


def bind_user_to_subscription(state, args):
    check_args(args, "pem.bindUserToSubscription", required=("user_id", "subscription_id"))
    user = state.user(int_arg(args, "user_id"))
    subscription = state.subscription(int_arg(args, "subscription_id"))
    if user.subscription_id not in (None, subscription.subscription_id):
        raise OdinError("Service user %s is already bound to subscription %s" % (user.user_id, user.subscription_id),
                        EXTYPE_CONFLICT, "PEM")
    user.subscription_id = subscription.subscription_id


# name -> (handler, writes?)
METHODS = {
    "pem.exchange.addMailbox": (add_mailbox, True),
    "pem.exchange.getMailboxInfo": (get_mailbox_info, False),
    "pem.exchange.getMailboxes": (get_mailboxes, False),
    "pem.exchange.getMailboxByEmailAddress": (get_mailbox_by_email_address, False),
    "pem.getDomainList": (get_domain_list, False),
    "pem.exchange.modifyMailbox": (modify_mailbox, True),
    "pem.exchange.changePrimaryEmailAddress": (change_primary_email_address, True),
    "pem.exchange.removeMailbox": (remove_mailbox, True),
    "pem.exchange.getEmailAddresses": (get_email_addresses, False),
    "pem.exchange.addEmailAddresses": (add_email_addresses, True),
    "pem.exchange.removeEmailAddresses": (remove_email_addresses, True),
    "pem.exchange.grantMailboxPermissions": (grant_mailbox_permissions, True),
    "pem.exchange.revokeMailboxPermissions": (revoke_mailbox_permissions, True),
    "pem.exchange.getMailboxPermissions": (get_mailbox_permissions, False),
    "pem.exchange.grantDeliveryPermissions": (grant_delivery_permissions, True),
    "pem.exchange.revokeDeliveryPermissions": (revoke_delivery_permissions, True),
    "pem.exchange.getDeliveryPermissions": (get_delivery_permissions, False),
    "pem.addUser": (add_user, True),
    "pem.getUserByLogin": (get_user_by_login, False),
    "pem.removeUser": (remove_user, True),
    "pem.bindUserToSubscription": (bind_user_to_subscription, True),
}
TXN_METHODS = ("txn.Begin", "txn.Commit", "txn.Rollback", "pem.getRequestStatus")


def is_write(method):
    """Whether a call may change state, for the log's "write" key (an unknown method counts as one)."""
    if method in METHODS:
        return METHODS[method][1]
    return method not in ("txn.Begin", "txn.Rollback", "pem.getRequestStatus")


@dataclass
class Transaction:
    txn_id: int
    request_id: str
    state: OdinState  # the working copy the transaction's calls see and change
    base_version: int
    deadline: float = None
    outcome: str = None  # None while open, then "committed" / "rolled back"


def json_safe(value):
    """XML-RPC values (DateTime, Binary) as something the JSON log can hold."""
    return json.loads(json.dumps(value, default=str))


class OdinProvider(Provider):
    name = "odin"
    url_path = "/RPC2"

    def __init__(self, *, api_user, api_secret, fixture, time_scale):
        super().__init__(api_user=api_user, api_secret=api_secret, fixture=fixture, time_scale=time_scale)
        if api_user and not api_secret:
            raise ValueError("the odin sandbox needs api_secret when api_user is set (HTTP Basic authentication)")
        self.state = OdinState()
        self.state.load_fixture(fixture)
        self.transactions = {}  # txn_id -> Transaction
        self.requests_status = {}  # request_id -> [request_status, status_messages]
        self.next_txn_id = FIRST_TXN_ID

    # ----- HTTP ---------------------------------------------------------------------------

    def handle(self, request):
        if request.path not in RPC_PATHS:
            return self._plain(404, "Not found: %s (the XML-RPC endpoint is /RPC2)" % request.path)
        if request.method != "POST":
            return self._plain(405, "XML-RPC needs POST", [("Allow", "POST")])
        if not self._authenticated(request):
            request.log_extra.update(write=False)
            return self._plain(401, "Authentication required", [("WWW-Authenticate", 'Basic realm="%s"' % REALM)])
        if request.content_type not in XML_TYPES:
            return self._plain(400, "Content-Type must be text/xml")
        try:
            params, method = xmlrpc.client.loads(request.body)
        except Exception:  # any parse failure: the client did not send an XML-RPC call
            params, method = None, None
        if method is None:
            request.log_extra.update(rpc_method=None, rpc_params=None, rpc_status="fault", write=True)
            return self._xml(xmlrpc.client.dumps(xmlrpc.client.Fault(-32700, "parse error: not an XML-RPC call"),
                                                 methodresponse=True))
        args = params[0] if len(params) == 1 and isinstance(params[0], dict) else None
        envelope = self._call(method, args, len(params))
        request.log_extra.update(rpc_method=method, rpc_params=json_safe(args if args is not None else list(params)),
                                 rpc_status=envelope["status"], write=is_write(method))
        return self._xml(xmlrpc.client.dumps((envelope,), methodresponse=True, allow_none=False))

    def _authenticated(self, request):
        if not self.api_user:
            return True
        scheme, _sep, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _sep, password = decoded.partition(":")
        return (hmac.compare_digest(user.encode("utf-8"), self.api_user.encode("utf-8"))
                and hmac.compare_digest(password.encode("utf-8"), self.api_secret.encode("utf-8")))

    @staticmethod
    def _plain(status, text, headers=()):
        return Response(status, text.encode("utf-8"), [("Content-Type", "text/plain; charset=utf-8"), *headers])

    @staticmethod
    def _xml(body):
        return Response(200, body.encode("utf-8"), [("Content-Type", "text/xml; charset=utf-8")])

    # ----- one call -------------------------------------------------------------------------

    def _call(self, method, args, count):
        try:
            if args is None:
                raise OdinError("%s takes exactly one parameter, a struct of named arguments (got %s)"
                                % (method, "%d parameters" % count if count != 1 else "another type"),
                                module_id="XMLRPC")
            if method in TXN_METHODS:
                result = getattr(self, "_" + method.replace(".", "_"))(args)
            elif method in METHODS:
                result = self._run(method, args)
            else:
                raise OdinError("Method %s is not supported" % method, EXTYPE_UNKNOWN_METHOD, "XMLRPC")
        except OdinError as error:
            return error.envelope()
        envelope = {"status": 0}
        if result is not None:
            envelope["result"] = result
        return envelope

    def _run(self, method, args):
        handler, writes = METHODS[method]
        transaction = self._transaction(args["txn_id"]) if "txn_id" in args else None
        target = transaction.state if transaction else self.state
        if not writes:
            return handler(target, args)
        # A write works on a copy that replaces the state only when it succeeds: all or nothing.
        working = copy.deepcopy(target)
        result = handler(working, args)
        working.version += 1
        target.__dict__.update(working.__dict__)
        return result

    # ----- transactions ------------------------------------------------------------------

    def _transaction(self, txn_id, finishing=False):
        if isinstance(txn_id, bool) or not isinstance(txn_id, int):
            raise OdinError("Parameter txn_id must be an integer", module_id="TXN")
        transaction = self.transactions.get(txn_id)
        if transaction is None:
            raise not_found("Transaction %s not found" % txn_id, "TXN")
        if transaction.outcome is None and transaction.deadline is not None and time.monotonic() > transaction.deadline:
            self._finish(transaction, "rolled back", "timed out")
        if transaction.outcome is not None:
            raise OdinError("Transaction %s is already %s" % (txn_id, transaction.outcome), EXTYPE_CONFLICT, "TXN")
        return transaction

    def _finish(self, transaction, outcome, message):
        transaction.outcome = outcome
        if transaction.request_id is not None:
            self.requests_status[transaction.request_id] = [0 if outcome == "committed" else 2, [message]]

    def _txn_Begin(self, args):
        check_args(args, "txn.Begin", optional=("timeout",))
        request_id = str(args["request_id"]) if "request_id" in args else None
        if "txn_id" in args:
            txn_id = int_arg(args, "txn_id")
            if txn_id in self.transactions:
                raise OdinError("Transaction %s already exists" % txn_id, EXTYPE_CONFLICT, "TXN")
        else:
            txn_id = self.next_txn_id
        self.next_txn_id = max(self.next_txn_id, txn_id) + 1
        deadline = None
        if "timeout" in args:
            deadline = time.monotonic() + int_arg(args, "timeout", minimum=1) * self.time_scale
        self.transactions[txn_id] = Transaction(txn_id, request_id, copy.deepcopy(self.state), self.state.version,
                                                deadline)
        if request_id is not None:
            self.requests_status[request_id] = [1, []]
        return {"txn_id": txn_id}

    def _txn_Commit(self, args):
        check_args(args, "txn.Commit", required=("txn_id",))
        transaction = self._transaction(args["txn_id"])
        if self.state.version != transaction.base_version:
            self._finish(transaction, "rolled back", "conflict")
            raise OdinError("Transaction %s conflicts with changes made since it began and was rolled back"
                            % transaction.txn_id, EXTYPE_CONFLICT, "TXN")
        self.state.__dict__.update(transaction.state.__dict__)
        self.state.version = transaction.base_version + 1
        self._finish(transaction, "committed", "done")

    def _txn_Rollback(self, args):
        check_args(args, "txn.Rollback", required=("txn_id",))
        self._finish(self._transaction(args["txn_id"]), "rolled back", "rolled back")

    def _pem_getRequestStatus(self, args):
        check_args(args, "pem.getRequestStatus", required=("request_id",))
        found = self.requests_status.get(str(args["request_id"]))
        if found is None:
            raise not_found("Request %s not found" % args["request_id"], "TXN")
        return {"request_status": found[0], "status_messages": list(found[1])}


PROVIDER = OdinProvider
