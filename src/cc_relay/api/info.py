"""Liveness and inventory from the read model: ``/``, ``/health``, ``/v1/providers`` and
``/v1/relay/status`` (version, uptime, config generation and hash, last reload, totals).
"""

from __future__ import annotations

import dataclasses
import json

from aiohttp import web

from cc_relay import __version__
from cc_relay.api.keys import HOLDER_KEY, RUNTIME_KEY

#: ``/``: Claude Code probes ``HEAD /`` at start-up, and it must be a 200. The front
#: server answers it too (front/connection.py), with these same bytes.
ROOT_BODY = json.dumps({"name": "cc-relay", "version": __version__}).encode()
ROOT_HEADERS = {"content-type": "application/json; charset=utf-8"}


async def root(request: web.Request) -> web.Response:
    return web.Response(body=ROOT_BODY, headers=ROOT_HEADERS)


async def health(request: web.Request) -> web.Response:
    runtime = request[RUNTIME_KEY]
    return web.json_response(
        {"status": "ok", "version": __version__, "providers": len(runtime.enabled)}
    )


async def list_providers(request: web.Request) -> web.Response:
    """Every provider of the read model: health, circuit, counters, latency, keys by
    fingerprint with each bucket's remaining budget."""
    await request[RUNTIME_KEY].refresh_models()
    snapshot = request.app[HOLDER_KEY].snapshot()
    return web.json_response({"data": [dataclasses.asdict(p) for p in snapshot.providers]})


STATUS_PATH = "/v1/relay/status"


async def status(request: web.Request) -> web.Response:
    snapshot = request.app[HOLDER_KEY].snapshot()
    return web.json_response(dataclasses.asdict(snapshot.status))
