"""View 4: requests, tokens and cost by provider and by model, from the ledger (GetUsage).

``today`` counts from midnight in the ledger's time zone; ``7 days`` and ``30 days`` are
the last 7 and 30 times 24 hours.
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static, Tab, Tabs

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui._format import count, usd

#: Tab id -> days back (0: since midnight).
PERIODS = {"today": 0, "week": 7, "month": 30}
COLUMNS = ("requests", "errors", "input", "output", "cache read", "cost")


def since(period: str, timezone: str, now: float) -> float:
    """Where ``period`` begins, in Unix seconds."""
    days = PERIODS[period]
    if days:
        return now - days * 86400
    local = datetime.fromtimestamp(now, ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


class UsageView(Vertical):
    """The period tabs, then one table by provider and one by model."""

    class PeriodChanged(Message):
        """Another period was chosen; the app asks the relay again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.timezone = "UTC"
        """The ledger's zone, as the relay last said."""
        self.now = time.time

    def compose(self) -> ComposeResult:
        yield Tabs(Tab("today", id="today"), Tab("7 days", id="week"), Tab("30 days", id="month"))
        yield Static("asking the relay's ledger …", id="usage-note")
        for kind in ("provider", "model"):
            table: DataTable[str] = DataTable(id=f"usage-{kind}s", cursor_type="none")
            table.add_columns(kind, *COLUMNS)
            yield table

    @property
    def period(self) -> str:
        active = self.query_one(Tabs).active
        return active if active in PERIODS else "today"

    @property
    def since(self) -> float:
        return since(self.period, self.timezone, self.now())

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        self.post_message(self.PeriodChanged())

    def show(self, by_provider: pb.GetUsageResponse, by_model: pb.GetUsageResponse) -> None:
        self.timezone = by_provider.timezone or self.timezone
        total = sum(g.cost_usd for g in by_provider.groups)
        unpriced = sum(g.unpriced for g in by_provider.groups)
        note = f"cost {usd(total)}, days in {self.timezone}"
        if unpriced:
            note += f" ({unpriced} without a known price)"
        self.query_one("#usage-note", Static).update(note)
        for kind, answer in (("provider", by_provider), ("model", by_model)):
            table: DataTable[str] = self.query_one(f"#usage-{kind}s", DataTable)
            table.clear()
            for g in answer.groups:
                table.add_row(
                    g.group, count(g.requests), count(g.errors), count(g.input_tokens),
                    count(g.output_tokens), count(g.cache_read_tokens), usd(g.cost_usd),
                )  # fmt: skip

    def show_error(self, message: str) -> None:
        self.query_one("#usage-note", Static).update(f"[red]{message}[/]")
