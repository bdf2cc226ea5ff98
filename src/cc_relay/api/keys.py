"""Typed keys for state kept on the aiohttp app and request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from cc_relay.observability import Exchange
    from cc_relay.runtime import Runtime

RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("runtime")
#: Set by the middleware: every response and access-log line carries it.
EXCHANGE_KEY: web.RequestKey[Exchange] = web.RequestKey("exchange")
