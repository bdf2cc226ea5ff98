"""One request's attempts, handed out one at a time as the request path asks.

Keys and circuit slots are taken only when an attempt is about to be made, so a plan
never holds capacity it does not use. After each attempt the request path reports what
happened, and the plan decides what comes next: a rate-limited or refused key moves on
to the provider's next key; an overloaded or unreachable provider moves on to the next
provider; everything the plan passed over is kept, with the reason, for explain and for
the final answer (the earliest moment a key or circuit frees up).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cc_relay.health import counts_as_failure
from cc_relay.providers import Provider
from cc_relay.routing.affinity import Placement
from cc_relay.routing.context import RouteContext
from cc_relay.types import Attempt

if TYPE_CHECKING:
    from cc_relay.routing.router import Router

#: Statuses that blame the key rather than the provider: another key may succeed.
KEY_STATUSES = frozenset({401, 403, 429})


@dataclass(slots=True)
class Skip:
    provider: str
    reason: str
    retry_at: float | None = None
    """Clock time this provider could take the request, when known."""


@dataclass(slots=True)
class _Slot:
    provider: Provider
    upstream_model: str
    breaker_generation: int | None = None
    keys_tried: list[str] = field(default_factory=list)
    """Fingerprints of the keys this request already used here."""


@dataclass(slots=True)
class Plan:
    router: Router
    ctx: RouteContext
    order: list[_Slot]
    skipped: list[Skip] = field(default_factory=list)
    attempts: int = 0
    last_failure_was_key: bool = False
    """The last failure blamed the key, so the same provider is tried with another."""
    _index: int = 0
    _placement: Placement | None = None

    @classmethod
    def build(
        cls,
        router: Router,
        ctx: RouteContext,
        providers: Sequence[Provider],
        placement: Placement | None,
    ) -> Plan:
        slots = [_Slot(p, p.upstream_model(ctx.model)) for p in providers]
        return cls(router, ctx, slots, _placement=placement)

    def next(self) -> Attempt | None:
        """The next attempt to make, or None when nothing is left to try."""
        while self._index < len(self.order):
            slot = self.order[self._index]
            attempt = self._try(slot)
            if attempt is not None:
                self.attempts += 1
                return attempt
            self._index += 1
        return None

    def _try(self, slot: _Slot) -> Attempt | None:
        name = slot.provider.name
        breaker = self.router.breakers[name]
        if slot.breaker_generation is None:
            if not breaker.acquire():
                self.skipped.append(
                    Skip(name, f"circuit {breaker.state.value}", breaker.retry_at())
                )
                return None
            slot.breaker_generation = breaker.generation
        pool = self.router.pools[name]
        if not len(pool):
            if slot.keys_tried:
                self._release_breaker(slot)
                return None
            slot.keys_tried.append("")
            return Attempt(slot.provider, None, slot.upstream_model)
        prefer = (
            self._placement.key
            if self._placement is not None and self._placement.provider == name
            else None
        )
        lease = pool.acquire(self.ctx.input_tokens, prefer=prefer, exclude=slot.keys_tried)
        if lease is None:
            self._release_breaker(slot)
            why = (
                "every key was tried"
                if len(slot.keys_tried) >= len(pool)
                else "no key can take the request now"
            )
            self.skipped.append(Skip(name, why, pool.available_at()))
            return None
        slot.keys_tried.append(lease.fingerprint)
        return Attempt(slot.provider, lease.key, slot.upstream_model, lease)

    def refused(self, attempt: Attempt, wait: float) -> None:
        """The fleet's shared buckets refused the attempt's key for ``wait`` seconds: the
        key rests locally that long, the next key (or provider) is tried, nobody is
        blamed, and the attempt does not count against the retry budget."""
        slot = self._current()
        lease = attempt.lease
        until = time.monotonic() + wait
        if lease is not None:
            lease.release()
            lease.hold(until)
        self._release_breaker(slot)
        self.attempts -= 1
        self.last_failure_was_key = True
        self.skipped.append(Skip(slot.provider.name, "key at its shared rate limit", until))

    def trial_elsewhere(self, attempt: Attempt) -> None:
        """Another replica sends this provider's half-open trial: give the slot and the
        key back and move on to the next provider; nobody is blamed."""
        slot = self._current()
        if attempt.lease is not None:
            attempt.lease.release()
        self._release_breaker(slot)
        self.attempts -= 1
        self.last_failure_was_key = False
        self.skipped.append(
            Skip(slot.provider.name, "circuit half_open (trial on another replica)",
                 time.monotonic() + 1.0)
        )  # fmt: skip
        self._index += 1

    def _release_breaker(self, slot: _Slot) -> None:
        if slot.breaker_generation is not None:
            self.router.breakers[slot.provider.name].cancelled(generation=slot.breaker_generation)
            slot.breaker_generation = None

    def _current(self) -> _Slot:
        # Outcomes are reported right after ``next`` handed the attempt out.
        return self.order[self._index]

    # -- outcomes ---------------------------------------------------------------------

    def succeeded(self, attempt: Attempt) -> None:
        """The upstream answered (the first byte is in): the provider is healthy."""
        slot = self._current()
        self.router.breakers[slot.provider.name].success(generation=slot.breaker_generation)
        slot.breaker_generation = None
        if self.ctx.session is not None:
            self.router.place(self.ctx.session, attempt)

    def failed(
        self,
        attempt: Attempt,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        spend_cap: bool = False,
        timeout: bool = False,
        connect_error: bool = False,
        credential: bool = False,
        cause: str | None = None,
    ) -> float | None:
        """Record a failed attempt and choose what the next one is.

        Returns the seconds the key now rests, when a 429 rested it.
        """
        slot = self._current()
        lease = attempt.lease
        key_problem = status in KEY_STATUSES and lease is not None
        rested = None
        if lease is not None:
            if status == 429:
                rested = lease.rate_limited(retry_after, spend_cap=spend_cap)
            else:
                lease.release()
        breaker = self.router.breakers[slot.provider.name]
        if (status == 429 and lease is not None) or credential:
            # One key's limit, or the relay's own missing credential, says nothing about
            # the provider: the key rests, or the next provider is tried, instead.
            breaker.cancelled(generation=slot.breaker_generation)
        elif counts_as_failure(status, timeout=timeout, connect_error=connect_error):
            breaker.failure(generation=slot.breaker_generation, cause=cause)
        else:
            breaker.success(generation=slot.breaker_generation)
        slot.breaker_generation = None
        self.last_failure_was_key = key_problem
        if not key_problem:
            self._index += 1  # the provider is the problem: on to the next one
        return rested

    def abandoned(self, attempt: Attempt) -> None:
        """The client went away: refund, and blame nobody."""
        if attempt.lease is not None:
            attempt.lease.release()
        self._release_breaker(self._current())

    def retry_at(self) -> float:
        """The earliest clock time a skipped provider could take the request."""
        times = [s.retry_at for s in self.skipped if s.retry_at is not None]
        return min(times, default=math.inf)

    def seconds_until_retry(self, now: float | None = None) -> float:
        at = self.retry_at()
        return max(0.0, at - (time.monotonic() if now is None else now))
