# -*- coding: utf-8 -*-
# Copyright (c) 2026, Mailops Engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading provider answers defensively.

A wrong URL, a captive proxy or a provider bug can answer with anything: HTML, a list where
an object belongs, a number where a name belongs. Clients read every answer through these
helpers, so a surprise becomes a ProviderError that says what was expected and what to
check, never a crash.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import math

from ansible_collections.mailops.hosted_exchange.plugins.module_utils.errors import ProviderError


class UnexpectedAnswer(ProviderError):
    """The provider answered, but not in the shape its API documents."""


def _kind(value):
    return {dict: 'an object', list: 'a list', str: 'a text', bool: 'a boolean', type(None): 'nothing'}.get(
        type(value), 'a number' if isinstance(value, (int, float)) else type(value).__name__)


def unexpected(what, expected, value, provider=None, obj=None):
    return UnexpectedAnswer('the answer gave %s where %s should be %s (is api_url the provider\'s API?)'
                            % (_kind(value), what, expected), provider=provider, obj=obj)


def decode_json(response, provider=None, obj=None, required=False):
    """The JSON body of a response; UnexpectedAnswer when it is not JSON (an HTML page, a cut-off body).

    ``required``: an empty body (or JSON null) is unexpected too, never read as "nothing there".
    """
    content_type = (response.headers.get('Content-Type') or 'none').split(';')[0]
    try:
        data = json.loads(response.content.decode('utf-8')) if response.content else None
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested beyond reason
        raise UnexpectedAnswer('answered HTTP %s with something that is not JSON (Content-Type %s): check that '
                               'api_url is the provider\'s API and that no proxy answers in its place'
                               % (response.status_code, content_type), provider=provider, obj=obj,
                               status=response.status_code)
    if data is None and required:
        raise UnexpectedAnswer('answered HTTP %s without a JSON document (Content-Type %s): check that api_url is '
                               'the provider\'s API and that no proxy answers in its place'
                               % (response.status_code, content_type), provider=provider, obj=obj,
                               status=response.status_code)
    return data


def is_json_answer(response):
    """Whether an answer's body is JSON at all: an error page of a proxy or a wrong URL is not the API speaking."""
    try:
        json.loads(response.content.decode('utf-8'))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return True


def foreign_text(response):
    """What a non-JSON answer says, for a message: its text, cut short; never a whole HTML page."""
    content_type = (response.headers.get('Content-Type') or 'no Content-Type').split(';')[0].strip()
    if 'html' in content_type.lower() or (response.text or '').lstrip()[:1] == '<':
        return 'an HTML page (%s)' % content_type
    text = ' '.join((response.text or '').split())
    return text[:300] if text else 'an empty answer'


def wrong_api(response, api_url, provider=None, obj=None, hide=None):
    """The error for a 404 that is not the API's own answer: the URL, not the object, is wrong.
    ``hide`` masks the client's secrets in what the answer echoed."""
    said = foreign_text(response)
    if hide is not None:
        said = hide(said)
    return UnexpectedAnswer('HTTP %s with a body that is not the API\'s (%s): check api_url (%s)'
                            % (response.status_code, said[:100], api_url), provider=provider, obj=obj,
                            status=response.status_code)


def as_dict(value, what, provider=None, obj=None, optional=False):
    if value is None and optional:
        return {}
    if not isinstance(value, dict):
        raise unexpected(what, 'an object', value, provider, obj)
    return value


def as_list(value, what, provider=None, obj=None, optional=True):
    if value is None and optional:
        return []
    if not isinstance(value, list):
        raise unexpected(what, 'a list', value, provider, obj)
    return value


def as_text(value, what, provider=None, obj=None):
    """Text as is, a number as its digits, absent as ''; anything else is unexpected."""
    if value is None:
        return ''
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise unexpected(what, 'a text', value, provider, obj)
    return value if isinstance(value, str) else str(value)


def as_name(value, what, provider=None, obj=None):
    """A non-empty text (a name or an address the answer must carry)."""
    text = as_text(value, what, provider, obj).strip()
    if not text:
        raise unexpected(what, 'a non-empty text', value, provider, obj)
    return text


def as_flag(value, what, provider=None, obj=None, default=False, required=False):
    """true/false, 1/0, "true"/"false" (any case); absent gives default, or an error when ``required``
    (a field the API always answers: its absence is a broken answer, never "false")."""
    if value is None or value == '':
        if required:
            raise unexpected(what, 'true or false', value, provider, obj)
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ('true', 'false', '1', '0'):
        return value.strip().lower() in ('true', '1')
    raise unexpected(what, 'true or false', value, provider, obj)


def as_number(value, what, provider=None, obj=None, required=False):
    """An int (or a float that is not whole) from a number or a numeric text; absent gives None, or an error
    when ``required`` (a field the API always answers)."""
    if value is None or value == '':
        if required:
            raise unexpected(what, 'a number', value, provider, obj)
        return None
    if isinstance(value, bool):
        raise unexpected(what, 'a number', value, provider, obj)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise unexpected(what, 'a finite number', value, provider, obj)
    if isinstance(value, (int, float)):
        return int(value) if value == int(value) else value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise unexpected(what, 'a number', value, provider, obj)
        if math.isnan(number) or math.isinf(number):
            raise unexpected(what, 'a number', value, provider, obj)
        return int(number) if number == int(number) else number
    raise unexpected(what, 'a number', value, provider, obj)
