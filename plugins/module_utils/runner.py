# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one module runner: argument spec, client, reconcile, exit/fail.

A resource is a function ``run(client, params, check_mode) -> Outcome``. It reads the
current state, plans the difference and applies it only outside check mode, so the
``changed`` it reports in check mode is the one a real run reports.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.clients import argument_spec, make_client
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.connection import missing_options, secrets_of
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import HostedExchangeError
from ansible_collections.mailops.hosted_exchange.plugins.module_utils.plan import digest
from ansible_collections.mailops.hosted_exchange.plugins.module_utils import transport

# The oldest Python the modules run on (the requirements in doc_fragments/connection.py say it): the oldest
# that urllib3 2.7 installs on.
PYTHON_MINIMUM = (3, 10)


class Outcome(object):
    """What a resource decided: changed, the values to return, and the diff (before/after).

    ``failure``: a message when the task as a whole failed after doing what it could (the
    roster's failed entries); the result is still returned with it.
    """

    def __init__(self, changed, result, before=None, after=None, header=None, warnings=None, failure=None, steps=None):
        self.changed = changed
        self.result = result
        self.warnings = warnings or []
        self.failure = failure
        self.steps = steps  # the planned writes (plan.Step): their digest is returned as plan_digest
        self.diff = None
        if before is not None or after is not None:
            self.diff = {'before': before or {}, 'after': after or {}}
            if header:
                self.diff['before_header'] = header
                self.diff['after_header'] = header


def assume_created_in_check_mode(check_mode, error, warnings):
    """In check mode a missing mailbox is most likely created by an earlier task of the same run,
    which check mode did not really do: predict against an empty one (and say so) instead of failing.
    A real run re-raises, so a mailbox that really does not exist is still a clear error."""
    if not check_mode:
        raise error
    warnings.append('%s; check mode assumes an earlier task of this run creates it' % error)


def scrub(text, secrets):
    for secret in secrets:
        text = text.replace(secret, '********')
    return text


def scrub_all(value, secrets):
    """A result with every secret replaced, however deep it sits."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return dict((key, scrub_all(item, secrets)) for key, item in value.items())
    if isinstance(value, list):
        return [scrub_all(item, secrets) for item in value]
    return value


# A list option longer than this is echoed as a count: a roster of thousands must not double its result.
ECHO_LIST_LIMIT = 20


def echoed(value):
    """The module arguments as the result echoes them: without the unset (null) options every list row would
    otherwise carry, and long lists as a count."""
    if isinstance(value, dict):
        return dict((key, echoed(item)) for key, item in value.items() if item is not None)
    if isinstance(value, list):
        if len(value) > ECHO_LIST_LIMIT:
            return '%d items (not echoed)' % len(value)
        return [echoed(item) for item in value]
    return value


def urllib3_problem():
    """Why the installed urllib3 cannot carry the collection's safety guarantees, or None."""
    if not transport.urllib3_too_old():
        return None
    python = '%d.%d' % sys.version_info[:2]
    text = ('%s is required on the host that runs this module (found urllib3 %s, Python %s at %s): older '
            'versions inflate a compressed answer all at once, so the cap on the size of an answer cannot hold. '
            'Install it there (pip install "urllib3>=%s", as the collection\'s requirements.txt asks) or set '
            'ansible_python_interpreter to a Python that has it'
            % ('urllib3 >= %s' % transport.URLLIB3_MINIMUM, transport.URLLIB3_VERSION, python, sys.executable,
               transport.URLLIB3_MINIMUM))
    if sys.version_info[:2] < PYTHON_MINIMUM:
        text += '; urllib3 %s needs Python %d.%d or later, which this host\'s Python %s is not' % (
            (transport.URLLIB3_MINIMUM,) + PYTHON_MINIMUM + (python,))
    return text


def run_module(resource, module_argument_spec, **module_kwargs):
    spec = argument_spec()
    spec.update(module_argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
    invocation = {'module_args': echoed(module.params)}
    # What the host and the task must provide, checked before any request.
    if not transport.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=transport.REQUESTS_IMPORT_ERROR,
                         invocation=invocation)
    problem = urllib3_problem()
    if problem:
        module.fail_json(msg=problem, invocation=invocation)
    if not module.params.get('provider'):
        module.fail_json(msg=str(missing_options(['provider'])), invocation=invocation)
    client = None
    secrets = secrets_of(module.params)
    try:
        client = make_client(module.params)
        outcome = resource(client, module.params, module.check_mode)
    except HostedExchangeError as exc:
        module.fail_json(msg=scrub(str(exc), secrets), invocation=invocation, **exc.details())
    except Exception as exc:  # pylint: disable=broad-except
        # A defect, or an answer no check foresaw: still a failure that says what happened, never a crash.
        text = ('%s: unexpected %s (%s); this is a defect of the collection: please report it with the output of -vvv'
                % (module.params.get('provider'), type(exc).__name__, str(exc)[:200]))
        module.fail_json(msg=scrub(text, secrets), exception=scrub(traceback.format_exc(), secrets), invocation=invocation)
    finally:
        if client is not None:
            client.close()
    for warning in outcome.warnings:
        module.warn(scrub(warning, secrets))
    result = dict(scrub_all(outcome.result, secrets), changed=outcome.changed, invocation=invocation)
    if outcome.steps is not None:
        result['plan_digest'] = digest([client.name, str(client.account or ''), module.params.get('domain')],
                                       outcome.steps, [])
    if module._diff and outcome.diff is not None:
        result['diff'] = scrub_all(outcome.diff, secrets)
    if outcome.failure:
        module.fail_json(msg=scrub(outcome.failure, secrets), **result)
    module.exit_json(**result)
