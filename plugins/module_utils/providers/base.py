# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The interface every provider client implements, in the canonical model.

Mailboxes are named by (domain, name); a client that addresses them otherwise (Odin's
numeric ids) resolves that itself. Records are dicts of model.MAILBOX_FIELDS plus the
read-only keys name, domain, address, aliases, activesync, ...; a client never calls
exit_json and never returns a secret.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import (
    InvalidInputError,
    NotSupportedError,
)
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.transport import Transport

FEATURES = ('alias', 'permission', 'activesync')


class ProviderClient(object):
    name = None
    # exchange_mailbox options this provider honours; any other option set in a task fails.
    mailbox_options = frozenset()
    # What a create needs besides the name (checked before any write).
    create_requires = ()
    # Fields the provider can set only when creating; asking to change them fails clearly.
    update_immutable = frozenset()
    # Whether update_password=always can be honoured on an existing mailbox.
    password_updatable = True
    # mailbox_info options this provider honours, and which values of its include option.
    info_options = frozenset()
    info_includes = frozenset()
    # Which of FEATURES (mailbox_alias, mailbox_permission, activesync_service) it serves.
    features = frozenset()

    def __init__(self, params):
        self.params = params
        self.account = params.get('account')
        self.transport = None

    def make_transport(self, **kwargs):
        params = self.params
        self.transport = Transport(self.name, timeout=params['timeout'], validate_certs=params['validate_certs'],
                                   retries=params['retries'], retry_budget=params['retry_budget'], **kwargs)
        return self.transport

    def close(self):
        if self.transport is not None:
            self.transport.close()

    # --- checks made before any request -----------------------------------------------------

    def require_params(self, *names):
        missing = [name for name in names if not self.params.get(name)]
        if missing:
            raise InvalidInputError('%s required for provider %s' % (', '.join(missing) + (' is' if len(missing) == 1 else ' are'),
                                                                     self.name))

    def require_feature(self, feature, module_name):
        if feature not in self.features:
            raise NotSupportedError('%s is not supported by provider %s' % (module_name, self.name))

    def reject_unsupported(self, params, names, supported):
        """Fail on any option among names that the task sets but this provider cannot honour."""
        unsupported = sorted(name for name in names if params.get(name) is not None and name not in supported)
        if unsupported:
            raise NotSupportedError('option%s %s not supported by provider %s' % (
                's' if len(unsupported) > 1 else '', ', '.join(unsupported), self.name))

    # --- mailboxes --------------------------------------------------------------------------

    def get_mailbox(self, domain, name):
        """The full canonical record, or None when the mailbox does not exist."""
        raise NotImplementedError

    def create_mailbox(self, domain, name, fields, password):
        raise NotImplementedError

    def update_mailbox(self, domain, name, changes, password, before):
        """Apply changes (canonical fields); password is None unless it is to be set."""
        raise NotImplementedError

    def delete_mailbox(self, domain, name, before):
        raise NotImplementedError

    def list_mailboxes(self, domain, filters):
        """Summaries of every mailbox of a domain that matches filters (mailbox_info options), all pages."""
        raise NotImplementedError

    # --- aliases, permissions, ActiveSync -----------------------------------------------------

    def add_alias(self, domain, name, address):
        raise NotImplementedError

    def remove_alias(self, domain, name, address):
        raise NotImplementedError

    def get_permissions(self, domain, name):
        """[{'grantee': address, 'permission': full_access|send_as|both}] or raise NotFoundError."""
        raise NotImplementedError

    def grantee_exists(self, domain, grantee_address):
        raise NotImplementedError

    def set_permission(self, domain, name, grantee_address, permission, current):
        """Grant (current None) or change a grant to permission."""
        raise NotImplementedError

    def revoke_permission(self, domain, name, grantee_address, current):
        raise NotImplementedError

    def get_activesync(self, domain, name):
        """Setup info dict when ActiveSync is attached, None when not; NotFoundError for no mailbox."""
        raise NotImplementedError

    def set_activesync(self, domain, name, enabled):
        raise NotImplementedError
