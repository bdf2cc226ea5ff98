"""Key buckets and cooldowns shared through Redis, with a local fallback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cc_relay.state._fallback import Levels

if TYPE_CHECKING:
    from cc_relay.keypool.lease import Lease
    from cc_relay.state.redis_state import RedisState

__all__ = ["RedisKeyLimiter", "RedisLease"]


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
        self._limiter.charge(self._fp, self._caps, (requests, input, output, total), cool)


class RedisKeyLimiter:
    """See ``KeyLimiter``: one ``EVALSHA`` per reservation and per settlement."""

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._last: dict[str, Levels] = {}
        """Per key, the levels Redis last reported: where a fallback share starts."""

    async def admit(self, lease: Lease) -> float | None:
        state = self._state
        fp = lease.fingerprint
        caps = lease.capacities()
        estimate = lease.estimate
        if state.up:
            reply = await state.reserve(fp, caps, estimate)
            if reply is not None:
                admitted, wait, *levels = (float(v) for v in reply)
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

    def charge(self, fp: str, caps: Levels, amounts: Levels, cool: float) -> None:
        state = self._state
        if state.up:
            state.spawn(self._charge(fp, caps, amounts, cool))
        else:
            state.fallback.charge(fp, amounts, cool=cool)

    async def _charge(self, fp: str, caps: Levels, amounts: Levels, cool: float) -> None:
        state = self._state
        if await state.charge(fp, caps, amounts, cool):
            state.taken.add(fp, caps, amounts)
        else:
            state.fallback.charge(fp, amounts, cool=cool)
