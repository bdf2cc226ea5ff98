"""Spend per budget holder in the current day and month, and whether a budget is spent.

Holders are ``client:<fingerprint>`` (a relay key) and ``key:<provider>:<fingerprint>``
(a provider key). Spend counts when a request settles (streams included), from the
ledger's recorder; at start-up it is loaded from the database, so a restart forgets
nothing. Periods roll over lazily: the first look after midnight starts a new day.
Every call is O(1).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo

from cc_relay.ledger.periods import Period, day, describe, month, zone


@dataclass(frozen=True, slots=True)
class Exceeded:
    """A budget that is spent: which one, how much went, when it starts over."""

    period: str
    """``daily`` or ``monthly``."""
    spent: float
    limit: float
    resets_at: float
    """Unix seconds."""
    resets: str
    """``resets_at`` for people, in the ledger's time zone."""


class BudgetTracker:
    """See the module docstring.

    Args:
        timezone: IANA name the calendar days and months are aligned to.
        clock: Unix seconds (injected by tests).
    """

    def __init__(self, timezone: str = "UTC", *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.tz: tzinfo = zone(timezone)
        now = clock()
        self.day: Period = day(now, self.tz)
        self.month: Period = month(now, self.tz)
        self._daily: dict[str, float] = {}
        self._monthly: dict[str, float] = {}
        self.shared: Callable[[str, float, Period, Period | None], None] | None = None
        """Told (holder, cost, month, day or None) of every cost added in the current
        month, when replicas share budgets (``cc_relay.state``)."""

    def _roll(self, now: float) -> None:
        if now >= self.day.end:
            self.day = day(now, self.tz)
            self._daily = {}
            if now >= self.month.end:
                self.month = month(now, self.tz)
                self._monthly = {}

    def load(self, *, daily: Mapping[str, float], monthly: Mapping[str, float]) -> None:
        """Spend already recorded in the current periods (from the database)."""
        self._daily = dict(daily)
        self._monthly = dict(monthly)

    def add(self, holder: str, cost: float, at: float) -> None:
        self._roll(max(at, self._clock()))
        if at in self.month:
            self._monthly[holder] = self._monthly.get(holder, 0.0) + cost
            if at in self.day:
                self._daily[holder] = self._daily.get(holder, 0.0) + cost
            if self.shared is not None:
                self.shared(holder, cost, self.month, self.day if at in self.day else None)

    def fleet(self, holder: str, month_start: float, monthly: float, day_start: float,
              daily: float | None) -> None:  # fmt: skip
        """The whole fleet's spend for ``holder`` in the periods starting at those
        times; ignored for periods that are over, never lowers what is known here."""
        self._roll(self._clock())
        if month_start == self.month.start and monthly > self._monthly.get(holder, 0.0):
            self._monthly[holder] = monthly
        if (
            daily is not None
            and day_start == self.day.start
            and daily > self._daily.get(holder, 0.0)
        ):
            self._daily[holder] = daily

    def spent(self, holder: str) -> tuple[float, float]:
        """USD spent today and this month."""
        self._roll(self._clock())
        return self._daily.get(holder, 0.0), self._monthly.get(holder, 0.0)

    def exceeded(
        self, holder: str, daily_usd: float | None, monthly_usd: float | None
    ) -> Exceeded | None:
        """The spent budget that ends last (the one that matters), or None."""
        today, this_month = self.spent(holder)
        if monthly_usd is not None and this_month >= monthly_usd:
            end = self.month.end
            return Exceeded("monthly", this_month, monthly_usd, end, describe(end, self.tz))
        if daily_usd is not None and today >= daily_usd:
            end = self.day.end
            return Exceeded("daily", today, daily_usd, end, describe(end, self.tz))
        return None


def client_holder(fingerprint: str) -> str:
    return f"client:{fingerprint}"


def key_holder(provider: str, fingerprint: str) -> str:
    return f"key:{provider}:{fingerprint}"
