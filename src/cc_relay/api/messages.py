"""``POST /v1/messages`` and ``/v1/messages/count_tokens``: plan, attempt, relay.

Failover lives here and only before the first byte reached the client: each planned
attempt is tried in turn while failures are retryable (connect errors, timeouts, 408,
429, 5xx, 529). When all fail, the client gets the last upstream answer unchanged.
"""

from __future__ import annotations

import logging

import orjson
from aiohttp import web

from cc_relay.api import relay
from cc_relay.api.auth import authenticate
from cc_relay.api.errors import ApiError
from cc_relay.api.forward import Opened, open_attempt
from cc_relay.api.keys import EXCHANGE_KEY, RUNTIME_KEY
from cc_relay.api.parse import COUNT_TOKENS_PATH, MESSAGES_PATH, parse_request
from cc_relay.estimate import estimate_input_tokens
from cc_relay.headers import REQUEST_ID
from cc_relay.observability import Exchange
from cc_relay.routing import UnknownModel
from cc_relay.types import (
    Attempt,
    InvalidRequest,
    RelayRequest,
    UpstreamFailure,
    UpstreamStatusError,
)

log = logging.getLogger("cc_relay.api")


async def read_request(request: web.Request, path: str) -> RelayRequest:
    runtime = request.app[RUNTIME_KEY]
    credential = authenticate(request.headers, runtime.auth_keys, request.remote)
    raw = await request.read()
    exchange = request[EXCHANGE_KEY]
    exchange.log_bodies = runtime.config.logging.debug_bodies
    exchange.body("request", raw)
    relay_request = parse_request(raw, request_id=exchange.request_id, path=path,
                                  query=request.query_string, headers=request.headers,
                                  credential=credential)
    exchange.model = relay_request.model
    exchange.stream = relay_request.stream
    return relay_request


def plan(request: web.Request, relay_request: RelayRequest) -> list[Attempt]:
    try:
        return request.app[RUNTIME_KEY].router.plan(relay_request.model)
    except UnknownModel as exc:
        shown = ", ".join(exc.available[:40]) or "none"
        raise ApiError(404, f"model: {exc.model!r} is not served by any enabled provider. "
                            f"Available: {shown}. See GET /v1/models.") from None


async def messages(request: web.Request) -> web.StreamResponse:
    relay_request = await read_request(request, MESSAGES_PATH)
    attempts = plan(request, relay_request)
    exchange = request[EXCHANGE_KEY]
    outcome = await _first_success(attempts, relay_request, exchange)
    if isinstance(outcome, web.Response):
        return outcome
    opened = outcome
    if opened.decoder is not None:
        return await relay.stream(request, opened, exchange)
    exchange.mark_first_byte()
    return relay.whole(opened, exchange, client_model=_renamed(opened.attempt, relay_request))


async def count_tokens(request: web.Request) -> web.StreamResponse:
    relay_request = await read_request(request, COUNT_TOKENS_PATH)
    exchange = request[EXCHANGE_KEY]
    native = [a for a in plan(request, relay_request) if a.provider.counts_tokens]
    if not native:
        exchange.provider = "estimate"
        tokens = estimate_input_tokens(relay_request.body)
        exchange.usage.input_tokens = tokens
        return web.Response(body=orjson.dumps({"input_tokens": tokens}),
                            content_type="application/json",
                            headers={REQUEST_ID: exchange.request_id})
    outcome = await _first_success(native, relay_request, exchange)
    if isinstance(outcome, web.Response):
        return outcome
    exchange.mark_first_byte()
    return relay.whole(outcome, exchange, client_model=None)


def _renamed(attempt: Attempt, relay_request: RelayRequest) -> str | None:
    return relay_request.model if attempt.upstream_model != relay_request.model else None


async def _first_success(attempts: list[Attempt], relay_request: RelayRequest,
                         exchange: Exchange) -> Opened | web.Response:
    """Try each attempt in order; when none succeeds, the answer to give instead."""
    last: Exception | None = None
    for attempt in attempts:
        exchange.attempts += 1
        exchange.provider = attempt.provider.name
        exchange.upstream_model = attempt.upstream_model
        try:
            opened = await open_attempt(attempt, relay_request,
                                        client_model=_renamed(attempt, relay_request))
        except InvalidRequest as exc:
            last = exc
            continue
        except UpstreamStatusError as exc:
            last = exc
            if not exc.retryable:
                break
            _note_failure(attempt, exchange, f"status {exc.answer.status}")
            continue
        except UpstreamFailure as exc:
            last = exc
            _note_failure(attempt, exchange, str(exc))
            continue
        attempt.provider.record(None)
        return opened
    return _final_answer(last, exchange)


def _note_failure(attempt: Attempt, exchange: Exchange, why: str) -> None:
    exchange.error = why
    attempt.provider.record(why)
    log.warning("attempt on provider %r failed: %s", attempt.provider.name, why,
                extra={"request_id": exchange.request_id})


def _final_answer(last: Exception | None, exchange: Exchange) -> web.Response:
    if isinstance(last, UpstreamStatusError):
        answer = last.answer
        headers = {REQUEST_ID: exchange.request_id, **answer.headers}
        return web.Response(status=answer.status, headers=headers, body=answer.body)
    if isinstance(last, InvalidRequest):
        raise ApiError(400, str(last))
    if isinstance(last, UpstreamFailure):
        raise ApiError(last.status, f"No provider could answer; last error: {last}",
                       error_type=last.error_type)
    raise ApiError(502, "No provider could answer.")
