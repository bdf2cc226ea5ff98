"""One attempt's bookkeeping, written once: the lease, the breaker outcome, in-flight.

Every attempt runs inside an :class:`AttemptScope`::

    async with AttemptScope(plan, attempt, exchange) as scope:
        scope.opened = await open_attempt(attempt, request, client_model=...)
    if scope.opened is None:
        ...  # it failed; scope.failure says how, and the plan already chose what's next
    ...      # relay the answer, then:
    scope.settle(exchange.usage)

Leaving the block reports the outcome to the plan (which frees or rests the key and
tells the circuit) and publishes an ``AttemptFinished`` event. An upstream failure is
swallowed there, because trying the next candidate is the normal answer to it; a
cancellation or a bug is reported as abandoned (nobody is blamed) and propagates. A
success stays in flight until :meth:`AttemptScope.settle`, when the real usage is charged
to the key.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import TYPE_CHECKING

from cc_relay.errors import (
    InvalidRequest,
    UpstreamCredentialError,
    UpstreamFailure,
    UpstreamStatusError,
    UpstreamTimeout,
)
from cc_relay.events import AttemptFinished, KeyCooledDown
from cc_relay.keypool import is_spend_cap, retry_after_seconds
from cc_relay.types import Attempt, Usage

if TYPE_CHECKING:
    from cc_relay.dispatch.record import Exchange
    from cc_relay.dispatch.upstream import Opened
    from cc_relay.routing.plan import Plan


class AttemptScope:
    """See the module docstring. One scope per attempt; not reusable."""

    __slots__ = (
        "_done",
        "_started",
        "_stats",
        "_ttfb",
        "attempt",
        "exchange",
        "failure",
        "opened",
        "plan",
    )

    def __init__(self, plan: Plan, attempt: Attempt, exchange: Exchange) -> None:
        self.plan = plan
        self.attempt = attempt
        self.exchange = exchange
        self.opened: Opened | None = None
        """Set inside the block when the upstream answered; the caller relays it."""
        self.failure: UpstreamFailure | InvalidRequest | None = None
        """How the attempt failed, when it did."""
        self._stats = plan.router.stats[attempt.provider.name]
        self._started = 0.0
        self._ttfb: float | None = None
        self._done = False

    @property
    def provider(self) -> str:
        return self.attempt.provider.name

    @property
    def key(self) -> str | None:
        return self.attempt.lease.fingerprint if self.attempt.lease is not None else None

    async def __aenter__(self) -> AttemptScope:
        exchange = self.exchange
        exchange.attempts = self.plan.attempts
        exchange.provider = self.provider
        exchange.upstream_model = self.attempt.upstream_model
        exchange.key = self.key
        self._stats.in_flight += 1
        self._started = time.monotonic()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None and self.opened is not None:
            self._succeeded(self.opened)
            return False
        if isinstance(exc, UpstreamFailure | InvalidRequest):
            self.failure = exc
            self._failed(exc)
            return True
        # Cancelled (the client left), or a bug of ours: refund, and blame nobody.
        self.plan.abandoned(self.attempt)
        self._finish(error="cancelled" if isinstance(exc, asyncio.CancelledError) else "bug")
        return False

    def _succeeded(self, opened: Opened) -> None:
        lease = self.attempt.lease
        if lease is not None:
            lease.learn(opened.response.headers)
        self.plan.succeeded(self.attempt)
        self.exchange.error = None
        self._ttfb = time.monotonic() - self._started
        # Routing state, like in-flight: latency-based routing must see it at once.
        self._stats.observe_ttft(self._ttfb)

    def _failed(self, exc: UpstreamFailure | InvalidRequest) -> None:
        attempt, plan, lease = self.attempt, self.plan, self.attempt.lease
        status: int | None = None
        if isinstance(exc, InvalidRequest):
            plan.failed(attempt, status=400)
            phase, why = "invalid", str(exc)
        elif isinstance(exc, UpstreamStatusError):
            answer = exc.answer
            status = answer.status
            if lease is not None:
                lease.learn(answer.headers)
            spend_cap = status == 429 and is_spend_cap(answer.body.decode("utf-8", "replace"))
            rested = plan.failed(
                attempt,
                status=status,
                retry_after=retry_after_seconds(answer.headers),
                spend_cap=spend_cap,
                cause=f"status {status}",
            )
            if rested is not None and lease is not None:
                reason = "spend cap" if spend_cap else f"status {status}"
                self.exchange.events.publish(
                    KeyCooledDown(self.provider, lease.fingerprint, rested, reason)
                )
            phase, why = exc.phase, f"status {status}"
        else:
            plan.failed(
                attempt,
                timeout=isinstance(exc, UpstreamTimeout),
                connect_error=not isinstance(exc, UpstreamTimeout | UpstreamCredentialError),
                credential=isinstance(exc, UpstreamCredentialError),
                cause=str(exc),
            )
            phase, why = exc.phase, str(exc)
        self.exchange.error = why
        self.exchange.retried.append(f"{self.provider}: {why}")
        self._finish(error=phase, status=status, detail=why)

    def settle(self, usage: Usage, *, status: int = 200) -> None:
        """The answer was relayed (or the client left mid-way): charge the real usage to
        the key, and let the attempt out of flight. Idempotent."""
        if self._done:
            return
        lease = self.attempt.lease
        if lease is not None:
            spent = (usage.input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
            lease.settle(spent if usage.input_tokens is not None else None, usage.output_tokens)
        self._finish(status=status, ttfb=self._ttfb)

    def _finish(
        self,
        *,
        error: str | None = None,
        status: int | None = None,
        detail: str | None = None,
        ttfb: float | None = None,
    ) -> None:
        self._done = True
        self._stats.in_flight -= 1
        self.exchange.events.publish(
            AttemptFinished(
                request_id=self.exchange.request_id,
                provider=self.provider,
                key=self.key,
                status=status,
                duration=time.monotonic() - self._started,
                error=error,
                detail=detail,
                ttfb=ttfb,
            )
        )
