"""``POST /v1/relay/reload``: re-read the config file now (what ``cc-relay reload`` calls).

Answers 200 with the outcome either way: ``ok``, the generation, the changes, or the
error that kept the running config in place. 409 when the relay has no config file.
"""

from __future__ import annotations

from aiohttp import web

from cc_relay.api.keys import RELOADER_KEY
from cc_relay.errors import ApiError

RELOAD_PATH = "/v1/relay/reload"


async def reload(request: web.Request) -> web.Response:
    reloader = request.app[RELOADER_KEY]
    if reloader.path is None:
        raise ApiError(
            409,
            "This relay runs on built-in defaults, with no config file to reload. "
            "Start it with --config FILE.",
        )
    result = await reloader.reload("request")
    return web.json_response(
        {
            "ok": result.ok,
            "generation": result.generation,
            "changes": list(result.changes),
            "error": result.error,
        }
    )
