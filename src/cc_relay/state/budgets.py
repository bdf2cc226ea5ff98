"""Spend budgets shared through Redis: what the fleet spent, per holder and period.

Costs are added where the ledger adds them (an event subscriber, off the request path),
summed per holder for :data:`FLUSH_INTERVAL`, then sent in one pipeline:
``INCRBYFLOAT`` on ``<prefix>:budget:m:<month start>:<holder>`` (and ``:d:`` for the
day), which expire after their period; the totals are published on ``<prefix>:budgets``.
Every replica, this one included, raises its own tracker to the fleet's totals
(``BudgetTracker.fleet``), so the budget checks stay one dict read. A replica learns of
the others' spend within a flush and a message; while Redis is down each counts its own.
Under load that is two round trips per flush, not two per request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cc_relay.ledger.budgets import BudgetTracker
    from cc_relay.ledger.periods import Period
    from cc_relay.state.redis_state import RedisState

__all__ = ["FLUSH_INTERVAL", "PERIOD_SLACK", "RedisBudgets"]

PERIOD_SLACK = 86_400
"""Seconds a period's counter outlives the period (replicas' clocks, late settles)."""
FLUSH_INTERVAL = 0.25
"""Seconds costs are summed per holder before they are sent."""

_Pending = dict[tuple[str, float, float | None], tuple[float, "Period", "Period | None"]]
"""(holder, month start, day start) -> (cost summed, month, day)."""


class RedisBudgets:
    """See the module docstring."""

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._tracker: BudgetTracker | None = None
        self._changed: Callable[[str], None] = lambda holder: None
        self._pending: _Pending = {}
        self._flush: asyncio.TimerHandle | None = None

    @property
    def channel(self) -> str:
        return self._state.key("budgets")

    def bind(self, tracker: BudgetTracker, changed: Callable[[str], None]) -> None:
        """Share ``tracker``'s costs; ``changed(holder)`` runs after the fleet's totals
        raised a holder's spend (to hold a provider key whose budget is now spent)."""
        tracker.shared = self.added
        self._tracker = tracker
        self._changed = changed

    def added(self, holder: str, cost: float, month: Period, day: Period | None) -> None:
        if not (self._state.up and cost):
            return
        slot = (holder, month.start, day.start if day is not None else None)
        summed = self._pending.get(slot, (0.0, month, day))[0] + cost
        self._pending[slot] = (summed, month, day)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(FLUSH_INTERVAL, self._due)

    def _due(self) -> None:
        self._flush = None
        pending, self._pending = self._pending, {}
        self._state.spawn(self._send(pending))

    async def drain(self) -> None:
        """Send what is summed now (at close)."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        pending, self._pending = self._pending, {}
        await self._send(pending)

    async def _send(self, pending: _Pending) -> None:
        if not pending:
            return
        state = self._state
        pipe = state.client.pipeline(transaction=False)
        for (holder, _, _), (cost, month, day) in pending.items():
            month_key = state.key("budget", "m", f"{month.start:.0f}", holder)
            pipe.incrbyfloat(month_key, cost)
            pipe.expireat(month_key, int(month.end) + PERIOD_SLACK)
            if day is not None:
                day_key = state.key("budget", "d", f"{day.start:.0f}", holder)
                pipe.incrbyfloat(day_key, cost)
                pipe.expireat(day_key, int(day.end) + PERIOD_SLACK)
        reply = await state.guard(pipe.execute())
        if reply is None:
            return
        totals = iter(reply)
        publish = state.client.pipeline(transaction=False)
        for (holder, _, _), (_, month, day) in pending.items():
            monthly = float(next(totals))
            next(totals)  # the EXPIREAT
            daily = None
            if day is not None:
                daily = float(next(totals))
                next(totals)
            day_start = day.start if day is not None else 0.0
            publish.publish(
                self.channel,
                f"{holder} {month.start:.0f} {monthly!r} {day_start:.0f} {daily!r} {state.replica}",
            )
            self._apply(holder, month.start, monthly, day_start, daily)
        await state.guard(publish.execute())

    def apply(self, raw: bytes) -> None:
        parts = raw.decode(errors="replace").split(" ")
        if len(parts) != 6 or parts[5] == self._state.replica:
            return
        try:
            daily = None if parts[4] == "None" else float(parts[4])
            self._apply(parts[0], float(parts[1]), float(parts[2]), float(parts[3]), daily)
        except ValueError:
            return

    def _apply(
        self, holder: str, month_start: float, monthly: float, day_start: float, daily: float | None
    ) -> None:
        if self._tracker is not None:
            self._tracker.fleet(holder, month_start, monthly, day_start, daily)
            self._changed(holder)
