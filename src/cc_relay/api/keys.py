"""Typed keys for state kept on the aiohttp app and request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from cc_relay.dispatch import Exchange
    from cc_relay.holder import RuntimeHolder
    from cc_relay.reload import Reloader
    from cc_relay.runtime import Runtime
    from cc_relay.types import Credential

HOLDER_KEY: web.AppKey[RuntimeHolder] = web.AppKey("holder")
RELOADER_KEY: web.AppKey[Reloader] = web.AppKey("reloader")
#: Path prefixes whose handlers authenticate callers themselves (the admin service, with
#: admin keys), so the middleware does not ask them for a client key.
OWN_AUTH_KEY: web.AppKey[tuple[str, ...]] = web.AppKey("own_auth")
#: The Runtime this request runs on, taken from the holder once, by the middleware.
RUNTIME_KEY: web.RequestKey[Runtime] = web.RequestKey("runtime")
#: Set by the middleware: every response and access-log line carries it.
EXCHANGE_KEY: web.RequestKey[Exchange] = web.RequestKey("exchange")
#: The client's own credential to pass through, set by the middleware's authentication.
CREDENTIAL_KEY: web.RequestKey[Credential | None] = web.RequestKey("credential")
