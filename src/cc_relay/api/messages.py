"""``POST /v1/messages`` and ``/v1/messages/count_tokens``: the HTTP side only.

A request is read and parsed once, handed to ``cc_relay.dispatch`` for an answer, kept
alive with pings while it waits (streams), and written out; then its attempt is settled.
"""

from __future__ import annotations

import orjson
from aiohttp import web

from cc_relay import dispatch
from cc_relay.api import relay
from cc_relay.api.keys import CREDENTIAL_KEY, EXCHANGE_KEY, RUNTIME_KEY
from cc_relay.api.parse import COUNT_TOKENS_PATH, MESSAGES_PATH, parse_request
from cc_relay.api.waiting import with_pings
from cc_relay.dispatch import AttemptScope, Exchange, Outcome
from cc_relay.errors import ApiError, NothingToTry, error_body
from cc_relay.estimate import estimate_input_tokens
from cc_relay.headers import REQUEST_ID
from cc_relay.routing.affinity import SESSION_HEADER
from cc_relay.runtime import Runtime
from cc_relay.sse import error_event
from cc_relay.types import RelayRequest, UpstreamAnswer


async def read_request(request: web.Request, path: str) -> RelayRequest:
    raw = await request.read()
    exchange = request[EXCHANGE_KEY]
    exchange.log_bodies = request[RUNTIME_KEY].config.logging.debug_bodies
    exchange.body("request", raw)
    relay_request = parse_request(
        raw,
        request_id=exchange.request_id,
        path=path,
        query=request.query_string,
        headers=request.headers,
        credential=request[CREDENTIAL_KEY],
    )
    exchange.model = relay_request.model
    exchange.stream = relay_request.stream
    exchange.session = request.headers.get(SESSION_HEADER) or relay_request.user_id
    return relay_request


async def messages(request: web.Request) -> web.StreamResponse:
    runtime = request[RUNTIME_KEY]
    relay_request = await read_request(request, MESSAGES_PATH)
    exchange = request[EXCHANGE_KEY]
    routing = runtime.config.routing
    work = dispatch.answer(
        runtime.router,
        relay_request,
        exchange,
        retry=routing.retry,
        queue_timeout=routing.queue_timeout,
    )
    early: web.StreamResponse | None = None
    outcome: Outcome
    if relay_request.stream:
        done, early = await with_pings(
            request, work, request_id=exchange.request_id, interval=routing.ping_interval
        )
        try:
            outcome = done.result()
        except ApiError as exc:
            if early is None:
                raise
            return await _end_early(early, error_body(exc.error_type, exc.message), exchange)
    else:
        outcome = await work
    if isinstance(outcome, UpstreamAnswer):
        if early is not None:
            return await _end_early(early, outcome.body, exchange)
        return forward(outcome, exchange)
    return await _relay(request, runtime, outcome, early=early)


async def _relay(
    request: web.Request,
    runtime: Runtime,
    scope: AttemptScope,
    *,
    early: web.StreamResponse | None,
) -> web.StreamResponse:
    exchange, opened = scope.exchange, scope.opened
    assert opened is not None
    try:
        extra = _debug_headers(runtime, exchange)
        if opened.decoder is not None:
            return await relay.stream(
                request,
                opened,
                exchange,
                response=early,
                idle=opened.attempt.provider.config.timeouts.idle,
                extra_headers=extra,
            )
        exchange.mark_first_byte()
        return relay.whole(opened, exchange, client_model=exchange.model, extra_headers=extra)
    finally:
        scope.settle(exchange.usage)


def forward(answer: UpstreamAnswer, exchange: Exchange) -> web.Response:
    """The last upstream error, as the upstream gave it, with the relay's request id."""
    headers = {REQUEST_ID: exchange.request_id, **answer.headers}
    return web.Response(status=answer.status, headers=headers, body=answer.body)


async def _end_early(
    response: web.StreamResponse, error: bytes, exchange: Exchange
) -> web.StreamResponse:
    """The stream started (pings) but no upstream answered: say so in-band."""
    try:
        payload = orjson.loads(error)
        inner = payload["error"]
        await response.write(error_event(inner["type"], inner["message"]))
        await response.write_eof()
    except (ValueError, KeyError, TypeError):
        await response.write(error_event("api_error", "No provider could answer."))
    exchange.error = exchange.error or "no provider answered"
    return response


def _debug_headers(runtime: Runtime, exchange: Exchange) -> dict[str, str]:
    if not runtime.config.routing.debug:
        return {}
    return {
        "x-cc-relay-provider": exchange.provider or "",
        "x-cc-relay-key": exchange.key or "none",
        "x-cc-relay-strategy": runtime.router.strategy.name,
        "x-cc-relay-attempts": str(exchange.attempts),
    }


async def count_tokens(request: web.Request) -> web.StreamResponse:
    runtime = request[RUNTIME_KEY]
    relay_request = await read_request(request, COUNT_TOKENS_PATH)
    exchange = request[EXCHANGE_KEY]
    plan = dispatch.make_plan(runtime.router, relay_request)
    plan.order = [slot for slot in plan.order if slot.provider.counts_tokens]
    if not plan.order:
        exchange.provider = "estimate"
        tokens = estimate_input_tokens(relay_request.body)
        exchange.usage.input_tokens = tokens
        return web.Response(
            body=orjson.dumps({"input_tokens": tokens}),
            content_type="application/json",
            headers={REQUEST_ID: exchange.request_id},
        )
    try:
        outcome = await dispatch.first_success(
            plan, relay_request, exchange, runtime.config.routing.retry
        )
    except NothingToTry as exc:
        raise dispatch.nothing_to_try(exc, relay_request.model) from None
    if isinstance(outcome, UpstreamAnswer):
        return forward(outcome, exchange)
    assert outcome.opened is not None
    exchange.mark_first_byte()
    try:
        return relay.whole(outcome.opened, exchange, client_model=None)
    finally:
        exchange.usage.output_tokens = 0
        outcome.settle(exchange.usage)
