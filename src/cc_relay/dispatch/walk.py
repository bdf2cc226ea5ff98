"""Walking a plan: one attempt after another until one answers, within a budget.

Failover lives here and only before the first byte reached the client. A rate-limited
or refused key moves on to the provider's next key; an overloaded, broken or unreachable
provider to the next provider; a client error ends the walk. When all fail the client
gets the last upstream answer unchanged; when nothing could even be tried (every key
rate limited, every circuit open) it gets a 429 or 529 saying when to come back; when
every key is busy and ``routing.queue_timeout`` allows, the request waits for one.

Nothing here knows HTTP: the answer is an :class:`AttemptScope` holding the opened
upstream response, or an :class:`UpstreamAnswer` to forward as it is.
"""

from __future__ import annotations

import asyncio
import math
import time

from cc_relay.config.schema import RetryConfig
from cc_relay.dispatch.attempt import AttemptScope
from cc_relay.dispatch.record import Exchange
from cc_relay.dispatch.upstream import open_attempt
from cc_relay.errors import (
    ApiError,
    InvalidRequest,
    NothingToTry,
    UnknownModel,
    UpstreamFailure,
    UpstreamStatusError,
)
from cc_relay.headers import RETRY_AFTER
from cc_relay.health import CircuitState
from cc_relay.routing import Router
from cc_relay.routing.affinity import SESSION_HEADER
from cc_relay.routing.context import RouteContext
from cc_relay.routing.plan import Plan
from cc_relay.types import RelayRequest, UpstreamAnswer

#: Bytes of request JSON per token, for the reservation made before sending: O(1) on
#: the hot path, and corrected from the real usage afterwards.
BYTES_PER_TOKEN = 4

Outcome = AttemptScope | UpstreamAnswer


def route_context(request: RelayRequest) -> RouteContext:
    return RouteContext(
        model=request.model,
        input_tokens=len(request.raw) // BYTES_PER_TOKEN,
        max_tokens=request.max_tokens or 0,
        session=request.headers.get(SESSION_HEADER) or request.user_id,
    )


def unknown_model(exc: UnknownModel) -> ApiError:
    shown = ", ".join(exc.available[:40]) or "none"
    return ApiError(
        404,
        f"model: {exc.model!r} is not served by any enabled provider. "
        f"Available: {shown}. See GET /v1/models.",
    )


def make_plan(router: Router, request: RelayRequest) -> Plan:
    try:
        return router.plan(request.model, route_context(request))
    except UnknownModel as exc:
        raise unknown_model(exc) from None


async def answer(
    router: Router,
    request: RelayRequest,
    exchange: Exchange,
    *,
    retry: RetryConfig,
    queue_timeout: float,
) -> Outcome:
    """Walk a plan; when every key is busy, wait for one within ``queue_timeout``.

    Raises:
        ApiError: nothing could answer (429 with retry-after, 529, or the last failure).
    """
    give_up = time.monotonic() + queue_timeout
    if router.shared_affinity is not None:
        await router.recall(request.headers.get(SESSION_HEADER) or request.user_id)
    while True:
        plan = make_plan(router, request)
        try:
            outcome = await first_success(plan, request, exchange, retry)
        except NothingToTry as exc:
            if not _may_wait(plan, give_up):
                raise nothing_to_try(exc, request.model) from None
        else:
            rate_limited = isinstance(outcome, UpstreamAnswer) and outcome.status == 429
            if not (rate_limited and _may_wait(plan, give_up)):
                return outcome
        await asyncio.sleep(max(plan.seconds_until_retry(), 0.01))


def _may_wait(plan: Plan, give_up: float) -> bool:
    """A key frees up before ``queue_timeout`` runs out."""
    wait = plan.seconds_until_retry()
    return math.isfinite(wait) and time.monotonic() + wait <= give_up


async def first_success(
    plan: Plan, request: RelayRequest, exchange: Exchange, retry: RetryConfig
) -> Outcome:
    """The first attempt that answers, or the answer to give when none does.

    Raises:
        NothingToTry: no attempt could be made at all.
        ApiError: the last failure was the relay's own (timeouts, connections, a body no
            candidate accepts).
    """
    deadline = time.monotonic() + retry.budget
    # Always the client's name: Bedrock and Vertex answer with ids of their own even
    # when the relay did not rename the model.
    client_model = request.model
    last: UpstreamFailure | InvalidRequest | None = None
    while (attempt := plan.next()) is not None:
        if plan.attempts > retry.max_attempts or time.monotonic() > deadline:
            plan.abandoned(attempt)
            break
        circuits = plan.router.shared_circuits
        if (
            circuits is not None
            and plan.router.breakers[attempt.provider.name].state is CircuitState.HALF_OPEN
            and not await circuits.claim_trial(attempt.provider.name)
        ):
            plan.trial_elsewhere(attempt)
            continue
        shared = plan.router.shared_keys
        if shared is not None and attempt.lease is not None:
            wait = await shared.admit(attempt.lease)
            if wait is not None:
                plan.refused(attempt, wait)
                continue
        scope = AttemptScope(plan, attempt, exchange)
        async with scope:
            scope.opened = await open_attempt(attempt, request, client_model=client_model)
        if scope.opened is not None:
            return scope
        last = scope.failure
        if (
            isinstance(last, UpstreamStatusError)
            and not last.retryable
            and not plan.last_failure_was_key
        ):
            break
    if last is None:
        raise NothingToTry(plan)
    return final_answer(last)


def final_answer(last: UpstreamFailure | InvalidRequest) -> UpstreamAnswer:
    """The last upstream error unchanged; the relay's own error for other failures."""
    if isinstance(last, UpstreamStatusError):
        return last.answer
    if isinstance(last, InvalidRequest):
        raise ApiError(400, str(last))
    raise ApiError(
        last.status,
        f"No provider could answer; last error: {last}",
        error_type=last.error_type,
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
