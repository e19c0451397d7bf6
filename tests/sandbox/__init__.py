"""Simulators of the hosted-Exchange provider APIs, for tests and offline rehearsals.

See docs/sandbox.md.  Typical use::

    from tests.sandbox import start_sandbox
    sandbox = start_sandbox("rackspace", api_user="key", api_secret="secret")
    ...  # point the modules' api_url at sandbox.url
    sandbox.stop()
"""

from .common import Provider, Request, Response, Sandbox, register_provider, start_sandbox

__all__ = ["Provider", "Request", "Response", "Sandbox", "register_provider", "start_sandbox"]
