"""Calendar days and months in the ledger's time zone, as Unix-second bounds."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo


@dataclass(frozen=True, slots=True)
class Period:
    start: float
    end: float
    """Unix seconds; the period is ``start <= t < end``."""

    def __contains__(self, at: float) -> bool:
        return self.start <= at < self.end


def zone(name: str) -> tzinfo:
    return zoneinfo.ZoneInfo(name)


def day(at: float, tz: tzinfo) -> Period:
    local = datetime.fromtimestamp(at, tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=1)).replace(tzinfo=None)
    end = datetime.combine(following.date(), following.time(), tz)
    return Period(start.timestamp(), end.timestamp())


def month(at: float, tz: tzinfo) -> Period:
    local = datetime.fromtimestamp(at, tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, number = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    end = start.replace(year=year, month=number)
    return Period(start.timestamp(), end.timestamp())


def local_day(at: float, tz: tzinfo) -> str:
    """``YYYY-MM-DD`` of ``at`` in ``tz``."""
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d")


def describe(at: float, tz: tzinfo) -> str:
    """A reset time for people: ``2025-07-01 00:00 UTC``."""
    return datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M %Z")
