"""Spend budgets shared through Redis: what the fleet spent, per holder and period.

Costs are added where the ledger adds them (an event subscriber, off the request path):
``INCRBYFLOAT`` on ``<prefix>:budget:m:<month start>:<holder>`` (and ``:d:`` for the
day), which expire after their period, and the totals are published on
``<prefix>:budgets``. Every replica, this one included, raises its own tracker to the
fleet's totals (``BudgetTracker.fleet``), so the budget checks stay one dict read.
A replica learns of the others' spend within a message; while Redis is down each
counts its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cc_relay.ledger.budgets import BudgetTracker
    from cc_relay.ledger.periods import Period
    from cc_relay.state.redis_state import RedisState

__all__ = ["PERIOD_SLACK", "RedisBudgets"]

PERIOD_SLACK = 86_400
"""Seconds a period's counter outlives the period (replicas' clocks, late settles)."""


class RedisBudgets:
    """See the module docstring."""

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._tracker: BudgetTracker | None = None
        self._changed: Callable[[str], None] = lambda holder: None

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
        if self._state.up and cost:
            self._state.spawn(self._add(holder, cost, month, day))

    async def _add(self, holder: str, cost: float, month: Period, day: Period | None) -> None:
        state = self._state
        pipe = state.client.pipeline(transaction=False)
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
        monthly = float(reply[0])
        daily = float(reply[2]) if day is not None else None
        day_start = day.start if day is not None else 0.0
        message = (
            f"{holder} {month.start:.0f} {monthly!r} {day_start:.0f} {daily!r} {state.replica}"
        )
        await state.guard(state.client.publish(self.channel, message))
        self._apply(holder, month.start, monthly, day_start, daily)

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
