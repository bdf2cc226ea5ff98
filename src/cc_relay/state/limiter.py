"""Key buckets and cooldowns shared through Redis, with a local fallback.

A reservation is one round trip: an ``EVALSHA`` of the reserve script, pipelined after
the settlements waiting to be sent. Settlements (real usage, refunds, cooldowns) never
wait: they queue, and ride with the next reservation, or go on their own after
:data:`FLUSH_DELAY` when no reservation comes. Under load that makes one round trip per
request for both; the shared buckets learn a settlement at most that late.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cc_relay.state._fallback import Levels

if TYPE_CHECKING:
    from cc_relay.keypool.lease import Lease
    from cc_relay.state.redis_state import RedisState

__all__ = ["FLUSH_DELAY", "RedisKeyLimiter", "RedisLease"]

FLUSH_DELAY = 0.005
"""Seconds a settlement waits for a reservation to ride with."""


@dataclass(frozen=True, slots=True)
class _Charge:
    fp: str
    caps: Levels
    amounts: Levels
    cool: float


class RedisLease:
    """A lease's reservation in the shared buckets (see ``SharedLease``)."""

    __slots__ = ("_caps", "_fp", "_limiter")

    def __init__(self, limiter: RedisKeyLimiter, fp: str, caps: Levels) -> None:
        self._limiter = limiter
        self._fp = fp
        self._caps = caps

    def charge(
        self, requests: float, input: float, output: float, total: float, *, cool: float = 0.0
    ) -> None:
        self._limiter.charge(_Charge(self._fp, self._caps, (requests, input, output, total), cool))


class RedisKeyLimiter:
    """See ``KeyLimiter`` and the module docstring."""

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._last: dict[str, Levels] = {}
        """Per key, the levels Redis last reported: where a fallback share starts."""
        self._pending: list[_Charge] = []
        self._flush: asyncio.TimerHandle | None = None

    async def admit(self, lease: Lease) -> float | None:
        state = self._state
        fp = lease.fingerprint
        caps = lease.capacities()
        estimate = lease.estimate
        if state.up:
            pending = self._take()
            calls = [self._call(c) for c in pending]
            calls.append(state.reserve_call(fp, caps, estimate))
            replies = await state.run(calls)
            self._sent(pending, ok=replies is not None)
            if replies is not None:
                admitted, wait, *levels = (float(v) for v in replies[-1])
                self._last[fp] = (levels[0], levels[1], levels[2], levels[3])
                if not admitted:
                    return wait
                state.taken.add(fp, caps, (1.0, estimate, 0.0, estimate))
                lease.shared = RedisLease(self, fp, caps)
                return None
        refused = state.fallback.admit(
            fp, caps, estimate, replicas=state.replicas, last=self._last.get(fp)
        )
        if refused is None:
            lease.shared = RedisLease(self, fp, caps)
        return refused

    def charge(self, charge: _Charge) -> None:
        if not self._state.up:
            self._state.fallback.charge(charge.fp, charge.amounts, cool=charge.cool)
            return
        self._pending.append(charge)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(FLUSH_DELAY, self._flush_due)

    async def drain(self) -> None:
        """Send what is queued now (at close)."""
        await self._send(self._take())

    def _take(self) -> list[_Charge]:
        pending, self._pending = self._pending, []
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        return pending

    def _flush_due(self) -> None:
        self._flush = None
        pending = self._take()
        if pending:
            self._state.spawn(self._send(pending))

    async def _send(self, pending: list[_Charge]) -> None:
        if pending:
            replies = await self._state.run([self._call(c) for c in pending])
            self._sent(pending, ok=replies is not None)

    def _call(self, charge: _Charge) -> tuple[str, str, list[Any]]:
        return self._state.charge_call(charge.fp, charge.caps, charge.amounts, charge.cool)

    def _sent(self, pending: list[_Charge], *, ok: bool) -> None:
        state = self._state
        for c in pending:
            if ok:
                state.taken.add(c.fp, c.caps, c.amounts)
            else:
                state.fallback.charge(c.fp, c.amounts, cool=c.cool)
