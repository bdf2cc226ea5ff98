"""Liveness and inventory: ``/``, ``/health`` and ``/v1/providers``."""

from __future__ import annotations

from aiohttp import web

from cc_relay import __version__
from cc_relay.api.auth import authenticate
from cc_relay.api.keys import RUNTIME_KEY


async def root(request: web.Request) -> web.Response:
    # Claude Code probes ``HEAD /`` at start-up: it must be a 200.
    return web.json_response({"name": "cc-relay", "version": __version__})


async def health(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    return web.json_response({"status": "ok", "version": __version__,
                              "providers": len(runtime.enabled)})


async def list_providers(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    authenticate(request.headers, runtime.auth_keys, request.remote)
    await runtime.refresh_models()
    data = [{
        "name": p.name,
        "type": p.config.type,
        "base_url": p.base_url,
        "enabled": p.config.enabled,
        "models": [*p.config.listed_models,
                   *(m.id for m in p.discovered if m.id not in p.config.listed_models)],
        "model_patterns": list(p.config.model_patterns),
        "keys": len(p.config.keys),
        "health": p.health,
    } for p in runtime.providers]
    return web.json_response({"data": data})
