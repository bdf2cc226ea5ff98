"""``POST /v1/messages`` and ``/v1/messages/count_tokens``: the HTTP side only.

A request is parsed once (``take``), handed to ``cc_relay.dispatch`` for an answer, kept
alive with pings while it waits (streams), and written to its ``Reply``; then its attempt
is settled. The front server (``cc_relay.front``) calls ``messages`` and ``count_tokens``
directly; ``handle`` serves the requests it hands to aiohttp.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from aiohttp import web
from multidict import CIMultiDictProxy

from cc_relay import dispatch
from cc_relay.api import relay
from cc_relay.api.keys import CREDENTIAL_KEY, EXCHANGE_KEY, RUNTIME_KEY
from cc_relay.api.parse import parse_request
from cc_relay.api.reply import JSON_TYPE, REPLY_KEY, AiohttpReply, Reply
from cc_relay.api.waiting import with_pings
from cc_relay.dispatch import AttemptScope, Exchange, Outcome
from cc_relay.errors import ApiError, NothingToTry, error_body
from cc_relay.estimate import estimate_input_tokens
from cc_relay.headers import CONTENT_TYPE, REQUEST_ID
from cc_relay.routing.affinity import SESSION_HEADER
from cc_relay.runtime import Runtime
from cc_relay.sse import error_event
from cc_relay.types import Credential, RelayRequest, UpstreamAnswer

#: What answers one of the two routes, whichever server read the request.
Answer = Callable[[Reply, Runtime, RelayRequest, Exchange], Awaitable[None]]


def take(
    raw: bytes,
    exchange: Exchange,
    runtime: Runtime,
    *,
    path: str,
    query: str,
    headers: CIMultiDictProxy[str],
    credential: Credential | None,
) -> RelayRequest:
    """The request parsed once; the Exchange learns its model, stream and session.

    Raises:
        ApiError: the body is not a request the relay can route (400).
    """
    exchange.log_bodies = runtime.config.logging.debug_bodies
    exchange.body("request", raw)
    relay_request = parse_request(
        raw,
        request_id=exchange.request_id,
        path=path,
        query=query,
        headers=headers,
        credential=credential,
    )
    exchange.model = relay_request.model
    exchange.stream = relay_request.stream
    exchange.session = headers.get(SESSION_HEADER) or relay_request.user_id
    return relay_request


async def messages(
    reply: Reply, runtime: Runtime, relay_request: RelayRequest, exchange: Exchange
) -> None:
    routing = runtime.config.routing
    work = dispatch.answer(
        runtime.router,
        relay_request,
        exchange,
        retry=routing.retry,
        queue_timeout=routing.queue_timeout,
    )
    outcome: Outcome
    if relay_request.stream:
        done = await with_pings(
            reply, work, request_id=exchange.request_id, interval=routing.ping_interval
        )
        try:
            outcome = done.result()
        except ApiError as exc:
            if not reply.started:
                raise
            return await _end_early(reply, error_body(exc.error_type, exc.message), exchange)
    else:
        outcome = await work
    if isinstance(outcome, UpstreamAnswer):
        if reply.started:
            return await _end_early(reply, outcome.body, exchange)
        return forward(reply, outcome, exchange)
    await _relay(reply, runtime, outcome)


async def _relay(reply: Reply, runtime: Runtime, scope: AttemptScope) -> None:
    exchange, opened = scope.exchange, scope.opened
    assert opened is not None
    try:
        extra = _debug_headers(runtime, exchange)
        if opened.decoder is not None:
            await relay.stream(
                reply,
                opened,
                exchange,
                idle=opened.attempt.provider.config.timeouts.idle,
                extra_headers=extra,
            )
        else:
            exchange.mark_first_byte()
            relay.whole(reply, opened, exchange, client_model=exchange.model, extra_headers=extra)
    finally:
        scope.settle(exchange.usage)


def forward(reply: Reply, answer: UpstreamAnswer, exchange: Exchange) -> None:
    """The last upstream error, as the upstream gave it, with the relay's request id."""
    reply.send(answer.status, {REQUEST_ID: exchange.request_id, **answer.headers}, answer.body)


async def _end_early(reply: Reply, error: bytes, exchange: Exchange) -> None:
    """The stream started (pings) but no upstream answered: say so in-band."""
    try:
        payload = orjson.loads(error)
        inner = payload["error"]
        await reply.write(error_event(inner["type"], inner["message"]))
        await reply.end()
    except (ValueError, KeyError, TypeError):
        await reply.write(error_event("api_error", "No provider could answer."))
    exchange.error = exchange.error or "no provider answered"


def _debug_headers(runtime: Runtime, exchange: Exchange) -> dict[str, str]:
    if not runtime.config.routing.debug:
        return {}
    return {
        "x-cc-relay-provider": exchange.provider or "",
        "x-cc-relay-key": exchange.key or "none",
        "x-cc-relay-strategy": runtime.router.strategy.name,
        "x-cc-relay-attempts": str(exchange.attempts),
    }


async def count_tokens(
    reply: Reply, runtime: Runtime, relay_request: RelayRequest, exchange: Exchange
) -> None:
    plan = dispatch.make_plan(runtime.router, relay_request)
    plan.order = [slot for slot in plan.order if slot.provider.counts_tokens]
    if not plan.order:
        exchange.provider = "estimate"
        tokens = estimate_input_tokens(relay_request.body)
        exchange.usage.input_tokens = tokens
        headers = {CONTENT_TYPE: JSON_TYPE, REQUEST_ID: exchange.request_id}
        return reply.send(200, headers, orjson.dumps({"input_tokens": tokens}))
    try:
        outcome = await dispatch.first_success(
            plan, relay_request, exchange, runtime.config.routing.retry
        )
    except NothingToTry as exc:
        raise dispatch.nothing_to_try(exc, relay_request.model) from None
    if isinstance(outcome, UpstreamAnswer):
        return forward(reply, outcome, exchange)
    assert outcome.opened is not None
    exchange.mark_first_byte()
    try:
        relay.whole(reply, outcome.opened, exchange, client_model=None)
    finally:
        exchange.usage.output_tokens = 0
        outcome.settle(exchange.usage)


def handle(answer: Answer, path: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of one route, for the requests the front server hands over."""

    async def handler(request: web.Request) -> web.StreamResponse:
        runtime, exchange = request[RUNTIME_KEY], request[EXCHANGE_KEY]
        relay_request = take(
            await request.read(),
            exchange,
            runtime,
            path=path,
            query=request.query_string,
            headers=request.headers,
            credential=request[CREDENTIAL_KEY],
        )
        reply = request[REPLY_KEY] = AiohttpReply(request)
        await answer(reply, runtime, relay_request, exchange)
        assert reply.response is not None
        return reply.response

    return handler
