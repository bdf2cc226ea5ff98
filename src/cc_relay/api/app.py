"""Building the aiohttp application around a Runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from cc_relay.api import explain, info, messages, models
from cc_relay.api.connection import MAX_FIELD_SIZE
from cc_relay.api.drain import DRAIN_KEY, Drain, drain_middleware
from cc_relay.api.guard import GUARD_KEY, Guard, guard_middleware
from cc_relay.api.keys import RUNTIME_KEY
from cc_relay.api.limits import TIMEOUTS_KEY, limits_middleware
from cc_relay.api.middleware import relay_middleware
from cc_relay.config import RelayConfig
from cc_relay.runtime import Runtime


def create_app(config: RelayConfig) -> web.Application:
    # Outermost first: ids and errors; then refuse what a web page sent; then refuse
    # new work while draining; then the connection's limits and the body read.
    app = web.Application(
        middlewares=[relay_middleware, guard_middleware, drain_middleware, limits_middleware],
        client_max_size=config.server.max_body_bytes,
        handler_args={"max_field_size": MAX_FIELD_SIZE},
    )
    app[RUNTIME_KEY] = Runtime(config)
    app[GUARD_KEY] = Guard(config.server)
    app[DRAIN_KEY] = Drain()
    app[TIMEOUTS_KEY] = config.server.timeouts
    app.cleanup_ctx.append(_runtime_ctx)
    app.router.add_get("/", info.root)
    app.router.add_get("/health", info.health)
    app.router.add_post("/v1/messages", messages.messages)
    app.router.add_post("/v1/messages/count_tokens", messages.count_tokens)
    app.router.add_get("/v1/models", models.list_models)
    app.router.add_get("/v1/models/{model_id:.+}", models.get_model)
    app.router.add_get("/v1/providers", info.list_providers)
    app.router.add_post(explain.EXPLAIN_PATH, explain.explain)
    return app


async def _runtime_ctx(app: web.Application) -> AsyncIterator[None]:
    async with app[RUNTIME_KEY]:
        yield
