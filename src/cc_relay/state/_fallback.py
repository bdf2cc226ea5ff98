"""Local buckets for while Redis is down: the key's limit divided by the replicas.

Each replica admits at most its share, so the fleet stays under the key's limit without
talking. A share starts from the level Redis last reported for the key (also divided),
so an outage does not hand out a fresh minute. What was taken locally is remembered for
a minute, to be charged to Redis when it returns.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator

from cc_relay.keypool.bucket import SECONDS_PER_WINDOW, TokenBucket

__all__ = ["Fallback", "Levels", "Taken"]

Levels = tuple[float, float, float, float]
"""Per dimension: requests, input, output, total tokens."""


class _Share:
    __slots__ = ("buckets", "caps", "cool")

    def __init__(self, caps: Levels, replicas: int, last: Levels | None, now: float) -> None:
        self.caps = caps
        self.cool = float("-inf")
        self.buckets: list[TokenBucket | None] = []
        for d, cap in enumerate(caps):
            if cap <= 0:
                self.buckets.append(None)
                continue
            bucket = TokenBucket(max(1, int(cap // replicas)), now=now)
            if last is not None:
                bucket.tighten(last[d] / replicas, now)
            self.buckets.append(bucket)


class Taken:
    """What one replica took from some buckets over the last minute, per key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._log: deque[tuple[float, str, Levels, Levels]] = deque()

    def clear(self) -> None:
        self._log.clear()

    def add(self, fp: str, caps: Levels, amounts: Levels) -> None:
        now = self._clock()
        log = self._log
        log.append((now, fp, caps, amounts))
        while log[0][0] < now - SECONDS_PER_WINDOW:
            log.popleft()

    def recent(self) -> Iterator[tuple[str, Levels, Levels]]:
        """Per key: its capacities and the sums taken in the last minute."""
        since = self._clock() - SECONDS_PER_WINDOW
        sums: dict[str, tuple[Levels, list[float]]] = {}
        for at, fp, caps, amounts in self._log:
            if at >= since:
                acc = sums.setdefault(fp, (caps, [0.0, 0.0, 0.0, 0.0]))[1]
                for d in range(4):
                    acc[d] += amounts[d]
        for fp, (caps, acc) in sums.items():
            yield fp, caps, (acc[0], acc[1], acc[2], acc[3])


class Fallback:
    """Per key fingerprint, this replica's share of the key's limits."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._shares: dict[str, _Share] = {}
        self.taken = Taken(clock)

    def reset(self) -> None:
        self._shares.clear()
        self.taken.clear()

    def admit(
        self, fp: str, caps: Levels, estimate: float, *, replicas: int, last: Levels | None
    ) -> float | None:
        """None when admitted, else the seconds until this share could take it."""
        now = self._clock()
        share = self._shares.get(fp)
        if share is None:
            share = self._shares[fp] = _Share(caps, max(1, replicas), last, now)
        wait = share.cool - now
        for bucket, need in zip(share.buckets, (1.0, estimate, 1.0, estimate), strict=True):
            if bucket is not None:
                wait = max(wait, bucket.ready_at(need) - now)
        if wait > 0:
            return wait
        self.charge(fp, (1.0, estimate, 0.0, estimate))
        return None

    def charge(self, fp: str, amounts: Levels, *, cool: float = 0.0) -> None:
        now = self._clock()
        share = self._shares.get(fp)
        if share is None:
            return
        for bucket, amount in zip(share.buckets, amounts, strict=True):
            if bucket is not None and amount:
                bucket.take(amount, now)
        if cool > 0:
            share.cool = max(share.cool, now + cool)
        self.taken.add(fp, share.caps, amounts)

    def recent(self) -> Iterator[tuple[str, Levels, Levels]]:
        """Per key: its capacities and what this replica took locally in the last minute."""
        return self.taken.recent()
