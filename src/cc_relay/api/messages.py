"""``POST /v1/messages`` and ``/v1/messages/count_tokens``: plan, attempt, relay, settle.

A request is parsed once, planned by the router, walked through its attempts (see
attempts.py), held in a queue when every key is rate limited and ``queue_timeout``
allows, kept alive with pings while it waits (streams), relayed, and finally settled:
the key's token buckets learn the real usage and the provider's counters move.
"""

from __future__ import annotations

import asyncio
import math
import time

import orjson
from aiohttp import web

from cc_relay.api import relay
from cc_relay.api.attempts import NothingToTry, first_success, nothing_to_try
from cc_relay.api.auth import authenticate
from cc_relay.api.errors import ApiError, error_body
from cc_relay.api.forward import Opened
from cc_relay.api.keys import EXCHANGE_KEY, RUNTIME_KEY
from cc_relay.api.parse import COUNT_TOKENS_PATH, MESSAGES_PATH, parse_request
from cc_relay.api.waiting import with_pings
from cc_relay.estimate import estimate_input_tokens
from cc_relay.headers import REQUEST_ID
from cc_relay.observability import Exchange
from cc_relay.routing import UnknownModel
from cc_relay.routing.affinity import SESSION_HEADER
from cc_relay.routing.context import RouteContext
from cc_relay.routing.plan import Plan
from cc_relay.runtime import Runtime
from cc_relay.sse import error_event
from cc_relay.types import RelayRequest

#: Bytes of request JSON per token, for the reservation made before sending: O(1) on
#: the hot path, and corrected from the real usage afterwards.
BYTES_PER_TOKEN = 4


async def read_request(request: web.Request, path: str) -> RelayRequest:
    runtime = request.app[RUNTIME_KEY]
    credential = authenticate(request.headers, runtime.auth_keys, request.remote)
    raw = await request.read()
    exchange = request[EXCHANGE_KEY]
    exchange.log_bodies = runtime.config.logging.debug_bodies
    exchange.body("request", raw)
    relay_request = parse_request(
        raw,
        request_id=exchange.request_id,
        path=path,
        query=request.query_string,
        headers=request.headers,
        credential=credential,
    )
    exchange.model = relay_request.model
    exchange.stream = relay_request.stream
    return relay_request


def route_context(relay_request: RelayRequest) -> RouteContext:
    return RouteContext(
        model=relay_request.model,
        input_tokens=len(relay_request.raw) // BYTES_PER_TOKEN,
        max_tokens=relay_request.max_tokens or 0,
        session=relay_request.headers.get(SESSION_HEADER) or relay_request.user_id,
    )


def make_plan(runtime: Runtime, relay_request: RelayRequest) -> Plan:
    try:
        return runtime.router.plan(relay_request.model, route_context(relay_request))
    except UnknownModel as exc:
        shown = ", ".join(exc.available[:40]) or "none"
        raise ApiError(
            404,
            f"model: {exc.model!r} is not served by any enabled provider. "
            f"Available: {shown}. See GET /v1/models.",
        ) from None


async def messages(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME_KEY]
    relay_request = await read_request(request, MESSAGES_PATH)
    exchange = request[EXCHANGE_KEY]
    work = _answer(runtime, relay_request, exchange)
    early: web.StreamResponse | None = None
    if relay_request.stream:
        done, early = await with_pings(
            request,
            work,
            request_id=exchange.request_id,
            interval=runtime.config.routing.ping_interval,
        )
        try:
            outcome = done.result()
        except ApiError as exc:
            if early is None:
                raise
            return await _end_early(early, error_body(exc.error_type, exc.message), exchange)
    else:
        outcome = await work
    if isinstance(outcome, web.Response):
        if early is not None:
            return await _end_early(early, outcome.body, exchange)  # type: ignore[arg-type]
        return outcome
    try:
        extra = _debug_headers(runtime, exchange)
        if outcome.decoder is not None:
            return await relay.stream(
                request,
                outcome,
                exchange,
                response=early,
                idle=outcome.attempt.provider.config.timeouts.idle,
                extra_headers=extra,
            )
        exchange.mark_first_byte()
        return relay.whole(outcome, exchange, client_model=relay_request.model, extra_headers=extra)
    finally:
        _settle(runtime, outcome, exchange)


async def _answer(
    runtime: Runtime, relay_request: RelayRequest, exchange: Exchange
) -> Opened | web.Response:
    """Walk a plan; when every key is busy, wait for one within ``queue_timeout``."""
    routing = runtime.config.routing
    give_up = time.monotonic() + routing.queue_timeout
    while True:
        plan = make_plan(runtime, relay_request)
        try:
            outcome = await first_success(plan, relay_request, exchange, routing.retry)
        except NothingToTry as exc:
            if not _may_wait(plan, give_up):
                raise nothing_to_try(exc, relay_request.model) from None
        else:
            rate_limited = isinstance(outcome, web.Response) and outcome.status == 429
            if not (rate_limited and _may_wait(plan, give_up)):
                return outcome
        await asyncio.sleep(max(plan.seconds_until_retry(), 0.01))


def _may_wait(plan: Plan, give_up: float) -> bool:
    """A key frees up before ``queue_timeout`` runs out."""
    wait = plan.seconds_until_retry()
    return math.isfinite(wait) and time.monotonic() + wait <= give_up


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


def _settle(runtime: Runtime, opened: Opened, exchange: Exchange) -> None:
    """After the answer: real usage into the key's buckets and the provider's counters."""
    attempt, usage = opened.attempt, exchange.usage
    if attempt.lease is not None:
        spent = (usage.input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
        attempt.lease.settle(spent if usage.input_tokens is not None else None, usage.output_tokens)
    stats = runtime.router.stats.get(attempt.provider.name)
    if stats is not None:
        stats.in_flight -= 1
        stats.requests += 1
        stats.input_tokens += usage.input_tokens or 0
        stats.output_tokens += usage.output_tokens or 0
        stats.cache_read_tokens += usage.cache_read_input_tokens or 0


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
    runtime = request.app[RUNTIME_KEY]
    relay_request = await read_request(request, COUNT_TOKENS_PATH)
    exchange = request[EXCHANGE_KEY]
    plan = make_plan(runtime, relay_request)
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
        outcome = await first_success(plan, relay_request, exchange, runtime.config.routing.retry)
    except NothingToTry as exc:
        raise nothing_to_try(exc, relay_request.model) from None
    if isinstance(outcome, web.Response):
        return outcome
    exchange.mark_first_byte()
    try:
        return relay.whole(outcome, exchange, client_model=None)
    finally:
        exchange.usage.output_tokens = 0
        _settle(runtime, outcome, exchange)
