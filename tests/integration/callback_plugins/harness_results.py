# -*- coding: utf-8 -*-
# Copyright (c) 2026 Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: harness_results
type: notification
short_description: Record every task result as a JSON line (integration-test harness only)
description:
  - Test-only callback used by C(tests/integration/harness.py). For each task result it appends one JSON
    object to a file - the task name, the host, the event, C(changed), C(failed), C(skipped), C(msg),
    C(diff) and every value the module returned (internal C(_ansible_*) keys removed).
  - It prints nothing, so the normal stdout of C(ansible-playbook) is unchanged.
  - Not part of the collection's content; lives under C(tests/).
options:
  results_file:
    description: File that receives one JSON line per task result. Nothing is recorded when unset.
    type: path
    env:
      - name: HARNESS_RESULTS_FILE
requirements:
  - ansible-core 2.16 or later
  - enabled in E(ANSIBLE_CALLBACKS_ENABLED) and found via E(ANSIBLE_CALLBACK_PLUGINS)
'''

import json

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase


class _Encoder(AnsibleJSONEncoder):
    """Anything JSON cannot express is written as its string form instead of failing the run."""

    def default(self, o):
        try:
            return super(_Encoder, self).default(o)
        except TypeError:
            return str(o)


def _public(value):
    """Drop ansible's internal ``_ansible_*`` keys, at any depth (loop results carry them too)."""
    if isinstance(value, dict):
        return dict((k, _public(v)) for k, v in value.items() if not str(k).startswith('_ansible_'))
    if isinstance(value, (list, tuple)):
        return [_public(v) for v in value]
    return value


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'harness_results'
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, event, result, ignore_errors=False):
        path = self.get_option('results_file')
        if not path:
            return
        # ansible-core 2.19+ API (requirements-dev.txt pins 2.19); older cores (make compat runs 2.16)
        # have only the private _result, _host and _task
        if hasattr(result, 'result'):
            data, host, task = result.result, result.host, result.task
        else:
            data, host, task = result._result, result._host, result._task  # pylint: disable=protected-access
        record = _public(dict(data))
        record.update(
            task=result.task_name,
            host=host.get_name(),
            action=task.action,
            event=event,
            changed=bool(data.get('changed', False)),
            failed=event in ('failed', 'unreachable'),
            skipped=event == 'skipped',
            ignore_errors=bool(ignore_errors),
            msg=data.get('msg'),
            diff=data.get('diff'),
        )
        if event.startswith('item_'):
            record['item_label'] = data.get('_ansible_item_label', data.get('item'))
        with open(path, 'a') as handle:
            handle.write(json.dumps(record, cls=_Encoder, sort_keys=True) + '\n')

    def v2_runner_on_ok(self, result):
        self._record('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record('failed', result, ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._record('unreachable', result)

    # Each item of a loop (a roster batch: a line in the job output), before the task's own result.
    def v2_runner_item_on_ok(self, result):
        self._record('item_ok', result)

    def v2_runner_item_on_failed(self, result):
        self._record('item_failed', result)
