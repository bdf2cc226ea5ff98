"""A per-minute token bucket that refills continuously and may run into debt.

The bucket holds at most ``capacity`` (the per-minute limit) and refills at
``capacity / 60`` per second, the model Anthropic documents for its own limits. It keeps
only its level at one instant (``stamp``); every reading projects from there, so a reading
never changes state and ``ready_at`` and ``can_take`` agree exactly: the pool promises "at
time T a key is free" and a caller that waits until T must find it free.

Settling real usage may push the level below zero (the estimate was low); the debt must
be refilled before the bucket admits anything again.
"""

from __future__ import annotations

__all__ = ["SECONDS_PER_WINDOW", "TokenBucket"]

SECONDS_PER_WINDOW = 60.0
"""Limits are per minute."""


class TokenBucket:
    """Capacity for one dimension (requests, input, output or total tokens) of one key.

    Args:
        limit: The per-minute limit; it becomes the capacity.
        now: Clock time the bucket starts at, full.
        configured: Whether the limit came from config. A configured limit only ever
            tightens when the upstream reports a lower one; a learned limit follows the
            upstream both ways.
    """

    __slots__ = ("_capacity", "_level", "_rate", "_stamp", "configured")

    def __init__(self, limit: int, *, now: float, configured: bool = True) -> None:
        if limit <= 0:
            raise ValueError(f"keypool: a bucket's limit must be positive, got {limit}")
        self._capacity = float(limit)
        self._rate = self._capacity / SECONDS_PER_WINDOW
        self._level = self._capacity
        self._stamp = now
        self.configured: int | None = limit if configured else None
        """The limit from config, or None when it was learned from headers."""

    @property
    def capacity(self) -> float:
        return self._capacity

    @property
    def rate(self) -> float:
        """Refill per second."""
        return self._rate

    def level(self, now: float) -> float:
        """What the bucket holds at ``now``: negative while in debt, at most capacity."""
        elapsed = now - self._stamp
        if elapsed <= 0.0:
            return self._level
        return min(self._capacity, self._level + elapsed * self._rate)

    def ready_at(self, amount: float) -> float:
        """Clock time from which the bucket can take ``amount``.

        More than a whole minute's capacity can never be held, so a larger amount waits
        only for a full bucket; the excess becomes debt. Otherwise a request bigger than the
        limit would block its key forever, while the upstream may well accept it.
        The answer may lie in the past, meaning "already".
        """
        need = amount if amount < self._capacity else self._capacity
        if self._level >= need:
            return self._stamp
        return self._stamp + (need - self._level) / self._rate

    def can_take(self, amount: float, now: float) -> bool:
        return self.ready_at(amount) <= now

    def take(self, amount: float, now: float) -> None:
        """Remove ``amount`` (may be negative, to give back); the level may go below zero
        but never above capacity."""
        self._level = min(self._capacity, self.level(now) - amount)
        if now > self._stamp:
            self._stamp = now

    def tighten(self, remaining: float, now: float) -> None:
        """Lower the level to what the upstream says is left; never raise it, because a
        header can be older than reservations made since."""
        level = self.level(now)
        if remaining < level:
            self._level = remaining
            if now > self._stamp:
                self._stamp = now

    def resize(self, limit: int, now: float) -> None:
        """Take a new configured limit, keeping the fraction of capacity used (a level in
        debt stays in debt by the same share)."""
        if limit <= 0:
            raise ValueError(f"keypool: a bucket's limit must be positive, got {limit}")
        capacity = float(limit)
        self._level = self.level(now) * capacity / self._capacity
        self._capacity = capacity
        self._rate = capacity / SECONDS_PER_WINDOW
        if now > self._stamp:
            self._stamp = now
        self.configured = limit

    def relimit(self, limit: int, now: float) -> None:
        """Apply a limit reported by the upstream.

        A configured bucket takes the lower of its configured limit and the reported one;
        a learned bucket follows the report. The level keeps its value, capped.
        """
        if limit <= 0:
            return
        capacity = float(min(limit, self.configured) if self.configured else limit)
        if capacity == self._capacity:
            return
        level = min(self.level(now), capacity)
        self._capacity = capacity
        self._rate = capacity / SECONDS_PER_WINDOW
        self._level = level
        if now > self._stamp:
            self._stamp = now
