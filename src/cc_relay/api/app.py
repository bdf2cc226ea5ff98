"""Building the aiohttp application around a RuntimeHolder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from cc_relay.api import explain, info, messages, models, reload
from cc_relay.api.connection import MAX_FIELD_SIZE
from cc_relay.api.drain import DRAIN_KEY, Drain, drain_middleware
from cc_relay.api.guard import GUARD_KEY, Guards, guard_middleware
from cc_relay.api.keys import HOLDER_KEY, OWN_AUTH_KEY, RELOADER_KEY
from cc_relay.api.limits import limits_middleware
from cc_relay.api.middleware import relay_middleware
from cc_relay.api.parse import COUNT_TOKENS_PATH, MESSAGES_PATH
from cc_relay.holder import RuntimeHolder
from cc_relay.reload import Reloader

if TYPE_CHECKING:
    from cc_relay.admin import Admin


def create_app(
    holder: RuntimeHolder, reloader: Reloader, *, admin: Admin | None = None
) -> web.Application:
    """The relay's routes, and the admin service's when ``admin`` is given (its JSON
    twin, ``/metrics`` and the web dashboard at ``/ui/``, which authenticate with
    admin keys)."""
    config = holder.current.config
    # Outermost first: ids and errors; then refuse what a web page sent; then refuse
    # new work while draining; then the connection's limits and the body read.
    app = web.Application(
        middlewares=[relay_middleware, guard_middleware, drain_middleware, limits_middleware],
        client_max_size=config.server.max_body_bytes,
        handler_args={"max_field_size": MAX_FIELD_SIZE},
    )
    app[HOLDER_KEY] = holder
    app[RELOADER_KEY] = reloader
    app[GUARD_KEY] = Guards()
    app[DRAIN_KEY] = Drain()
    app[OWN_AUTH_KEY] = ()
    app.cleanup_ctx.append(_holder_ctx)
    app.router.add_get("/", info.root)
    app.router.add_get("/health", info.health)
    app.router.add_post(MESSAGES_PATH, messages.handle(messages.messages, MESSAGES_PATH))
    app.router.add_post(
        COUNT_TOKENS_PATH, messages.handle(messages.count_tokens, COUNT_TOKENS_PATH)
    )
    app.router.add_get("/v1/models", models.list_models)
    app.router.add_get("/v1/models/{model_id:.+}", models.get_model)
    app.router.add_get("/v1/providers", info.list_providers)
    app.router.add_get(info.STATUS_PATH, info.status)
    app.router.add_post(explain.EXPLAIN_PATH, explain.explain)
    app.router.add_post(reload.RELOAD_PATH, reload.reload)
    if admin is not None:
        from cc_relay.admin import ADMIN_PATHS
        from cc_relay.web import UI_PREFIX, Dashboard

        admin.http.add_routes(app)
        Dashboard(admin).add_routes(app)
        app[OWN_AUTH_KEY] = (*ADMIN_PATHS, UI_PREFIX)
    return app


async def _holder_ctx(app: web.Application) -> AsyncIterator[None]:
    holder = app[HOLDER_KEY]
    await holder.start()
    try:
        yield
    finally:
        await holder.close()
