"""Calendar periods in a time zone, and budget spend rolling over with them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cc_relay.ledger.budgets import BudgetTracker
from cc_relay.ledger.periods import day, month

BERLIN = ZoneInfo("Europe/Berlin")


def _at(text: str, tz: ZoneInfo = BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def test_periods_are_calendar_aligned_in_the_zone_across_dst() -> None:
    today = day(_at("2025-03-30 12:00"), BERLIN)  # clocks go forward: a 23-hour day
    assert (today.start, today.end) == (_at("2025-03-30 00:00"), _at("2025-03-31 00:00"))
    assert today.end - today.start == 23 * 3600
    december = month(_at("2025-12-31 23:59"), BERLIN)
    assert (december.start, december.end) == (_at("2025-12-01 00:00"), _at("2026-01-01 00:00"))


def test_budget_spend_rolls_over_at_midnight_and_month_end() -> None:
    now = [_at("2025-01-31 23:00")]
    tracker = BudgetTracker("Europe/Berlin", clock=lambda: now[0])
    tracker.add("client:a", 3.0, now[0])
    assert tracker.exceeded("client:a", 2.0, None) is not None
    spent = tracker.exceeded("client:a", 2.0, 100.0)
    assert spent is not None and spent.period == "daily" and spent.spent == 3.0
    assert spent.resets == "2025-02-01 00:00 CET" and spent.resets_at == _at("2025-02-01 00:00")

    now[0] = _at("2025-02-01 00:30")
    assert tracker.spent("client:a") == (0.0, 0.0)  # a new day, and a new month
    tracker.add("client:a", 5.0, now[0])
    tracker.add("client:a", 7.0, _at("2025-01-31 23:59"))  # settled late: last month's
    assert tracker.spent("client:a") == (5.0, 5.0)
    over = tracker.exceeded("client:a", 1.0, 5.0)
    assert over is not None and over.period == "monthly"  # the one that lasts longer


def test_budget_load_takes_the_current_periods_spend() -> None:
    tracker = BudgetTracker()
    tracker.load(daily={"key:p:fp": 1.5}, monthly={"key:p:fp": 9.0})
    assert tracker.spent("key:p:fp") == (1.5, 9.0)
    assert tracker.exceeded("key:p:fp", None, None) is None
