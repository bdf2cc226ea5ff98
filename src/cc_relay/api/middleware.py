"""The one middleware: runtime, request id, authentication, and Anthropic errors.

It takes the current Runtime from the holder once per request, authenticates every
route but the public ones (a relay key whose budget is spent may not use
``/v1/messages``), and turns failures raised before the response started into
Anthropic error bodies through one table. A request whose client went away is recorded
as 499 and not answered, unless it was an open-ended stream (the admin service's),
which ends that way. Every request ends as a ``RequestSettled`` event.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web
from multidict import CIMultiDictProxy

from cc_relay.api.auth import authenticate
from cc_relay.api.errors import error_response
from cc_relay.api.keys import CREDENTIAL_KEY, EXCHANGE_KEY, HOLDER_KEY, OWN_AUTH_KEY, RUNTIME_KEY
from cc_relay.api.parse import MESSAGES_PATH
from cc_relay.dispatch import Exchange
from cc_relay.errors import ApiError, InvalidRequest
from cc_relay.ledger.service import Ledger
from cc_relay.runtime import Runtime
from cc_relay.types import Credential

log = logging.getLogger("cc_relay.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Seconds a connection closed after an answer still reads (and drops) what the client
#: sends, so the answer is not lost to a reset.
CLOSE_LINGER = 1.0
#: Status recorded for requests whose client disconnected (nginx's convention).
CLIENT_CLOSED = 499
#: Routes anyone who may reach the relay can call: liveness probes.
PUBLIC_ROUTES = frozenset({"/", "/health"})

_HTTP_MESSAGES: dict[int, str] = {
    404: "Not found: {method} {path}. The relay serves /v1/messages, "
    "/v1/messages/count_tokens, /v1/models, /v1/providers and /health.",
    405: "Method {method} is not allowed on {path}.",
    413: "Request body is larger than the relay's limit of {limit} bytes (server.max_body_bytes).",
}


def new_request_id() -> str:
    """A unique id, not a secret: 96 bits from the process's generator, which Python
    seeds from the OS at start and again in a forked child. ``secrets`` would make a
    system call per request for a value the client is shown anyway."""
    return f"req_relay_{random.getrandbits(96):024x}"


@web.middleware
async def relay_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    holder = request.app[HOLDER_KEY]
    with holder.using() as runtime:
        exchange = Exchange(new_request_id(), request.method, request.path, holder.events)
        request[RUNTIME_KEY] = runtime
        request[EXCHANGE_KEY] = exchange
        try:
            response = await _answer(request, handler, exchange)
        except (asyncio.CancelledError, ConnectionResetError):
            if exchange.open_ended:
                exchange.finish(HTTPStatus.OK.value)
            else:
                exchange.error = exchange.error or "client disconnected"
                exchange.finish(CLIENT_CLOSED)
            raise
        exchange.finish(response.status)
        return response


async def _answer(request: web.Request, handler: Handler, exchange: Exchange) -> web.StreamResponse:
    request_id = exchange.request_id
    try:
        path = request.path
        if path not in PUBLIC_ROUTES and not path.startswith(request.app[OWN_AUTH_KEY]):
            request[CREDENTIAL_KEY] = identify(
                exchange,
                request.headers,
                request.remote,
                request[RUNTIME_KEY],
                request.app[HOLDER_KEY].ledger,
            )
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        limit = request[RUNTIME_KEY].config.server.max_body_bytes
        message = _HTTP_MESSAGES.get(exc.status, exc.reason).format(
            method=request.method, path=request.path, limit=limit
        )
        allow = {"allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        exchange.error = message
        return error_response(exc.status, message, request_id, headers=allow)
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception as exc:
        error = failure(exc, exchange)
        response = error_response(
            error.status,
            error.message,
            request_id,
            error_type=error.error_type,
            headers=error.headers,
        )
        if error.headers.get("connection") == "close":
            return await _answer_and_close(request, response)
        return response


def identify(
    exchange: Exchange,
    headers: CIMultiDictProxy[str],
    remote: str | None,
    runtime: Runtime,
    ledger: Ledger,
) -> Credential | None:
    """Authenticate the client (see api/auth.py) and note its relay key on the Exchange;
    a key whose budget is spent may not use ``/v1/messages``, the route that costs money.
    Returns the client's own credential to pass through."""
    credential, index = authenticate(headers, runtime.auth_keys, remote)
    if index is not None:
        exchange.client_key, client = runtime.clients[index]
        if exchange.path == MESSAGES_PATH:
            ledger.check_client(exchange.client_key, client)
    return credential


def failure(exc: Exception, exchange: Exchange) -> ApiError:
    """What to answer for ``exc``, raised before the answer started; noted on the
    Exchange. Anything but the relay's own errors is a bug: logged, answered 500."""
    if isinstance(exc, ApiError):
        exchange.error = exc.message
        return exc
    if isinstance(exc, InvalidRequest):
        # Raised where the full body is first parsed (too deep, say), in any handler.
        exchange.error = str(exc)
        return ApiError(400, str(exc))
    # A bug of ours: the traceback goes to the log, never to the client.
    log.exception(
        "unhandled error in %s %s",
        exchange.method,
        exchange.path,
        extra={"request_id": exchange.request_id},
    )
    exchange.error = "internal error"
    return ApiError(500, "Internal relay error; see the relay log for details.")


async def _answer_and_close(request: web.Request, response: web.Response) -> web.Response:
    """Send ``response``, end our side of the connection, and close it a moment later.

    For a request whose rest cannot be trusted (a body too slow or undecodable): aiohttp
    would otherwise keep reading what is left of the body for up to ten seconds. Closing
    at once while the client still sends would reset the connection and could destroy
    the answer before the client read it, so the close waits ``CLOSE_LINGER`` seconds.
    """
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    transport = request.transport
    if transport is not None and transport.can_write_eof():
        transport.write_eof()
    asyncio.get_running_loop().call_later(CLOSE_LINGER, request.protocol.force_close)
    return response
