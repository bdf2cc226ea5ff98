"""View 4: tokens and cost by provider and by model.

There is no GetUsage RPC yet, so this shows what the streams carry: tokens by provider
since the relay started (StreamStats) with the relay's total cost, and tokens and cost
by model for the requests this dashboard has seen since it opened (StreamRequests).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui._format import count, usd


@dataclass(slots=True)
class _Tally:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class UsageView(Vertical):
    """Two tables: by provider (relay lifetime) and by model (seen here)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._models: dict[str, _Tally] = {}
        self._cost = 0.0

    def compose(self) -> ComposeResult:
        yield Static(id="usage-provider-title")
        providers: DataTable[str] = DataTable(id="usage-providers", cursor_type="none")
        providers.add_columns("provider", "requests", "input", "output", "cache read")
        yield providers
        yield Static("[b]by model[/], requests seen since this dashboard opened")
        models: DataTable[str] = DataTable(id="usage-models", cursor_type="none")
        models.add_columns("model", "requests", "input", "output", "cost")
        yield models

    def update_stats(self, stats: pb.StreamStatsResponse) -> None:
        self.query_one("#usage-provider-title", Static).update(
            f"[b]by provider[/], since the relay started: cost {usd(stats.status.totals.cost_usd)}"
            "  (per-day usage needs a GetUsage RPC: use `cc-relay usage`)"
        )
        table: DataTable[str] = self.query_one("#usage-providers", DataTable)
        table.clear()
        for p in stats.providers:
            table.add_row(
                p.name, count(p.requests), count(p.input_tokens), count(p.output_tokens),
                count(p.cache_read_tokens),
            )  # fmt: skip

    def add(self, request: pb.Request) -> None:
        tally = self._models.setdefault(request.client_model or "-", _Tally())
        tally.requests += 1
        tally.input_tokens += request.usage.input_tokens
        tally.output_tokens += request.usage.output_tokens
        tally.cost_usd += request.cost_usd

    def redraw(self) -> None:
        table: DataTable[str] = self.query_one("#usage-models", DataTable)
        table.clear()
        for model, t in sorted(self._models.items()):
            table.add_row(
                model, count(t.requests), count(t.input_tokens), count(t.output_tokens),
                usd(t.cost_usd),
            )  # fmt: skip
