"""Walking a plan: one attempt after another until one answers, within a budget.

Failover lives here and only before the first byte reached the client. A rate-limited
or refused key moves on to the provider's next key; an overloaded, broken or unreachable
provider to the next provider; a client error ends the walk. When all fail the client
gets the last upstream answer unchanged; when nothing could even be tried (every key
rate limited, every circuit open) it gets a 429 or 529 saying when to come back.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from aiohttp import web

from cc_relay.api.errors import ApiError
from cc_relay.api.forward import Opened, open_attempt
from cc_relay.config.schema import RetryConfig
from cc_relay.headers import REQUEST_ID, RETRY_AFTER
from cc_relay.keypool import is_spend_cap, retry_after_seconds
from cc_relay.observability import Exchange
from cc_relay.routing.plan import Plan
from cc_relay.types import (
    Attempt,
    InvalidRequest,
    RelayRequest,
    UpstreamFailure,
    UpstreamStatusError,
    UpstreamTimeout,
)

log = logging.getLogger("cc_relay.api")


class NothingToTry(Exception):
    """Every candidate was skipped: keys rate limited or circuits open."""

    def __init__(self, plan: Plan) -> None:
        super().__init__("no candidate could take the request")
        self.plan = plan


async def first_success(
    plan: Plan, request: RelayRequest, exchange: Exchange, retry: RetryConfig
) -> Opened | web.Response:
    """The first attempt that answers, or the answer to give when none does.

    Raises:
        NothingToTry: no attempt could be made at all.
    """
    deadline = time.monotonic() + retry.budget
    last: Exception | None = None
    while (attempt := plan.next()) is not None:
        if plan.attempts > retry.max_attempts or time.monotonic() > deadline:
            plan.abandoned(attempt)
            break
        note(exchange, attempt, plan)
        try:
            opened = await _open(plan, attempt, request, exchange)
        except UpstreamStatusError as exc:
            last = exc
            if not exc.retryable and not plan.last_failure_was_key:
                break
            continue
        except (UpstreamFailure, InvalidRequest) as exc:
            last = exc
            continue
        return opened
    if last is None:
        raise NothingToTry(plan)
    return final_answer(last, exchange)


def note(exchange: Exchange, attempt: Attempt, plan: Plan) -> None:
    exchange.attempts = plan.attempts
    exchange.provider = attempt.provider.name
    exchange.upstream_model = attempt.upstream_model
    exchange.key = attempt.lease.fingerprint if attempt.lease is not None else None


async def _open(plan: Plan, attempt: Attempt, request: RelayRequest, exchange: Exchange) -> Opened:
    # Always the client's name: Bedrock and Vertex answer with ids of their own even
    # when the relay did not rename the model.
    client_model = request.model
    started = time.monotonic()
    stats = plan.router.stats[attempt.provider.name]
    stats.in_flight += 1
    try:
        opened = await open_attempt(attempt, request, client_model=client_model)
    except asyncio.CancelledError:
        plan.abandoned(attempt)
        stats.in_flight -= 1
        raise
    except InvalidRequest:
        plan.failed(attempt, status=400)
        stats.in_flight -= 1
        raise
    except UpstreamStatusError as exc:
        stats.in_flight -= 1
        answer = exc.answer
        if attempt.lease is not None:
            attempt.lease.learn(answer.headers)
        plan.failed(
            attempt,
            status=answer.status,
            retry_after=retry_after_seconds(answer.headers),
            spend_cap=answer.status == 429 and is_spend_cap(answer.body.decode("utf-8", "replace")),
        )
        _warn(exchange, attempt, f"status {answer.status}")
        raise
    except UpstreamFailure as exc:
        stats.in_flight -= 1
        stats.failures += 1
        plan.failed(
            attempt,
            timeout=isinstance(exc, UpstreamTimeout),
            connect_error=not isinstance(exc, UpstreamTimeout),
        )
        _warn(exchange, attempt, str(exc))
        raise
    stats.observe_ttft(time.monotonic() - started)
    if attempt.lease is not None:
        attempt.lease.learn(opened.response.headers)
    plan.succeeded(attempt)
    return opened


def _warn(exchange: Exchange, attempt: Attempt, why: str) -> None:
    exchange.error = why
    log.warning(
        "attempt on provider %r failed: %s",
        attempt.provider.name,
        why,
        extra={"request_id": exchange.request_id, "key": exchange.key},
    )


def final_answer(last: Exception, exchange: Exchange) -> web.Response:
    """The last upstream error unchanged, or the relay's own error for other failures."""
    if isinstance(last, UpstreamStatusError):
        answer = last.answer
        headers = {REQUEST_ID: exchange.request_id, **answer.headers}
        return web.Response(status=answer.status, headers=headers, body=answer.body)
    if isinstance(last, InvalidRequest):
        raise ApiError(400, str(last))
    assert isinstance(last, UpstreamFailure)
    raise ApiError(
        last.status, f"No provider could answer; last error: {last}", error_type=last.error_type
    )


def nothing_to_try(exc: NothingToTry, model: str) -> ApiError:
    """429 when keys are rate limited (with the earliest moment one frees up); 529 when
    every circuit is open."""
    plan = exc.plan
    wait = plan.seconds_until_retry()
    after = {RETRY_AFTER: str(max(1, math.ceil(wait)))} if math.isfinite(wait) else {}
    reasons = "; ".join(f"{s.provider}: {s.reason}" for s in plan.skipped)
    if any("key" in s.reason for s in plan.skipped):
        return ApiError(
            429,
            f"Every key for {model!r} is at its rate limit ({reasons}). "
            "Retry after the time in the retry-after header.",
            headers=after,
        )
    return ApiError(
        529,
        f"Every provider for {model!r} is unavailable ({reasons}).",
        error_type="overloaded_error",
        headers=after,
    )
