"""An in-memory provider for planner tests: one domain, refusing what real providers refuse.

Like the real APIs it keeps addresses unique (an alias or a new mailbox whose address another mailbox
holds is refused "already in use"), refuses a second grant of an existing grantee (Rackspace wants the
edit) and records every write, so a test can assert exactly what a plan sent and in which order.
"""

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    AuthError,
    NotFoundError,
    ProviderError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.model import mailbox_address, split_address
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.providers.base import ProviderClient

DOMAIN = "example.com"


class FakeProvider(ProviderClient):
    name = "fake"
    mailbox_options = frozenset(["display_name", "size", "enabled", "first_name", "department"])
    create_requires = ("display_name",)
    features = frozenset(["alias", "permission", "activesync"])
    listing_fields = frozenset(["display_name", "size", "activesync"])
    disable_changes = {"enabled": False}

    def __init__(self, mailboxes=(), create_sets=(), fail=None, params=None):
        super(FakeProvider, self).__init__(params or {"account": "me"})
        self.create_sets = frozenset(create_sets)
        self.boxes = {}
        for box in mailboxes:
            self.add(**box)
        self.writes = []
        self.reads = []
        # fail: {(kind, mailbox or address): exception} raised by the matching write
        self.fail = dict(fail or {})

    def add(self, name, display_name=None, size=1024, enabled=True, aliases=(), activesync=False, grants=None, **rest):
        self.boxes[name] = dict(rest, name=name, display_name=display_name or name.title(), size=size,
                                enabled=enabled, aliases=list(aliases), activesync=activesync,
                                grants=dict(grants or {}))

    # helpers for tests

    def holder(self, address):
        for name, box in self.boxes.items():
            if address == mailbox_address(name, DOMAIN) or address in box["aliases"]:
                return name
        return None

    def _write(self, kind, target, *detail):
        self.writes.append((kind, target) + detail)
        error = self.fail.get((kind, target))
        if error is not None:
            raise error

    def _box(self, name):
        if name not in self.boxes:
            raise NotFoundError("mailbox does not exist", provider=self.name, obj=mailbox_address(name, DOMAIN))
        return self.boxes[name]

    def _record(self, box):
        record = dict((key, value) for key, value in box.items() if key != "grants")
        record.update(domain=DOMAIN, address=mailbox_address(box["name"], DOMAIN),
                      primary_address=mailbox_address(box["name"], DOMAIN), aliases=sorted(box["aliases"]))
        return record

    # the client interface

    def check_password(self, password, name, domain, display_name=None):
        pass

    def list_mailboxes(self, domain, filters):
        return self.domain_listing(domain)

    def domain_listing(self, domain):
        self.reads.append(("listing", domain))
        keys = ("name", "domain", "address", "display_name", "size", "activesync")
        return [dict((key, self._record(box)[key]) for key in keys) for _name, box in sorted(self.boxes.items())]

    def get_mailbox(self, domain, name, need=None):
        self.reads.append(("get", name))
        box = self.boxes.get(name)
        return self._record(box) if box else None

    def create_mailbox(self, domain, name, fields, password):
        self._write("create", name, dict(fields))
        address = mailbox_address(name, domain)
        if name in self.boxes or self.holder(address):
            raise ProviderError("POST refused", provider=self.name, obj=address, status=400,
                                provider_message="already in use")
        for alias in fields.get("aliases") or []:
            if self.holder(alias):
                raise ProviderError("POST refused", provider=self.name, obj=alias, status=400,
                                    provider_message="already in use")
        self.add(name, **dict((key, value) for key, value in fields.items() if key != "aliases"))
        self.boxes[name]["aliases"] = list(fields.get("aliases") or [])

    def update_mailbox(self, domain, name, changes, password, before):
        self._write("update", name, dict(changes))
        self._box(name).update(changes)

    def delete_mailbox(self, domain, name, before):
        self._write("remove", name)
        del self.boxes[name]
        for box in self.boxes.values():
            box["grants"].pop(mailbox_address(name, domain), None)

    def add_alias(self, domain, name, address):
        self._write("alias_add", name, address)
        if self.holder(address):
            raise ProviderError("POST refused", provider=self.name, obj=address, status=400,
                                provider_message="already in use")
        self._box(name)["aliases"].append(address)

    def remove_alias(self, domain, name, address):
        self._write("alias_remove", name, address)
        self._box(name)["aliases"].remove(address)

    def set_activesync(self, domain, name, enabled):
        self._write("activesync", name, enabled)
        self._box(name)["activesync"] = enabled

    def get_permissions(self, domain, name):
        self.reads.append(("permissions", name))
        return [{"grantee": grantee, "permission": permission, "key": grantee}
                for grantee, permission in sorted(self._box(name)["grants"].items())]

    def resolve_grantee(self, domain, grantee_address):
        grantee_name, _domain = split_address(grantee_address)
        if grantee_name not in self.boxes:
            return None
        address = mailbox_address(grantee_name, domain)
        return {"key": address, "address": address}

    def set_permission(self, domain, name, grantee, permission, current):
        self._write("grant" if current is None else "change", name, grantee["address"], permission)
        grants = self._box(name)["grants"]
        if current is None and grantee["address"] in grants:
            raise ProviderError("POST refused", provider=self.name, obj=grantee["address"], status=400,
                                provider_message="permission exists: use PUT")
        grants[grantee["address"]] = permission

    def revoke_permission(self, domain, name, grantee, current):
        self._write("revoke", name, grantee["address"])
        del self._box(name)["grants"][grantee["address"]]


def refused_auth():
    return AuthError("authentication or permission refused", provider="fake", status=401)
