"""Liveness and inventory: ``/``, ``/health`` and ``/v1/providers``."""

from __future__ import annotations

from aiohttp import web

from cc_relay import __version__
from cc_relay.api.auth import authenticate
from cc_relay.api.keys import RUNTIME_KEY
from cc_relay.keypool import KeySnapshot


async def root(request: web.Request) -> web.Response:
    # Claude Code probes ``HEAD /`` at start-up: it must be a 200.
    return web.json_response({"name": "cc-relay", "version": __version__})


async def health(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    return web.json_response(
        {"status": "ok", "version": __version__, "providers": len(runtime.enabled)}
    )


async def list_providers(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME_KEY]
    authenticate(request.headers, runtime.auth_keys, request.remote)
    await runtime.refresh_models()
    router = runtime.router
    data = []
    for p in runtime.providers:
        entry: dict[str, object] = {
            "name": p.name,
            "type": p.config.type,
            "base_url": p.base_url,
            "enabled": p.config.enabled,
            "models": [
                *p.config.listed_models,
                *(m.id for m in p.discovered if m.id not in p.config.listed_models),
            ],
            "model_patterns": list(p.config.model_patterns),
            "keys": len(p.config.keys),
        }
        if p.name in router.breakers:
            circuit = router.breakers[p.name].snapshot()
            entry["health"] = "healthy" if circuit["state"] == "closed" else circuit["state"]
            entry["circuit"] = circuit
            entry["stats"] = router.stats[p.name].as_dict()
            entry["key_status"] = [_key(k) for k in router.pools[p.name].snapshot()]
        else:
            entry["health"] = "disabled"
        data.append(entry)
    return web.json_response({"data": data})


def _key(key: KeySnapshot) -> dict[str, object]:
    """A key as the admin surfaces show it: fingerprint and budgets, never the key."""
    return {
        "fingerprint": key.fingerprint,
        "in_flight": key.in_flight,
        "cooldown_left": round(key.cooldown_left, 1),
        "remaining": {name: round(b.remaining) for name, b in key.buckets.items()},
    }
