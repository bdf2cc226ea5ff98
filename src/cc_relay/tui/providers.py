"""View 2: one row per provider; under the selected one, its keys and their buckets."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui._format import bar, circuit, count, ms, percentile

COLUMNS = ("provider", "on", "circuit", "health", "flight", "req/s", "p50", "p95", "errors")


class ProvidersView(Vertical):
    """The providers table and the selected provider's keys."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.providers: dict[str, pb.Provider] = {}
        self.now = time.time
        """The clock cooldowns count down against (a test fixes it)."""

    def compose(self) -> ComposeResult:
        table: DataTable[str | Text] = DataTable(id="providers-table", cursor_type="row")
        table.add_columns(*COLUMNS)
        yield table
        yield Static(id="keys")

    @property
    def selected(self) -> str | None:
        table = self.query_one("#providers-table", DataTable)
        if not self.providers or table.row_count == 0:
            return None
        row = min(table.cursor_row, table.row_count - 1)
        return str(table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value)

    def update_providers(self, providers: list[pb.Provider]) -> None:
        table: DataTable[str | Text] = self.query_one("#providers-table", DataTable)
        names = [p.name for p in providers]
        if names != list(self.providers):
            cursor = table.cursor_row
            table.clear()
            for p in providers:
                table.add_row(*_cells(p), key=p.name)
            if providers:
                table.move_cursor(row=min(cursor, len(providers) - 1))
        else:
            for p in providers:
                for column, cell in zip(table.columns, _cells(p), strict=True):
                    table.update_cell(p.name, column, cell)
        self.providers = {p.name: p for p in providers}
        self.show_keys()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_keys()

    def show_keys(self) -> None:
        name = self.selected
        keys = self.query_one("#keys", Static)
        if name is None or name not in self.providers:
            keys.update("no providers")
            return
        lines = [f"[b]{name}[/] keys"]
        for key in self.providers[name].keys:
            line = f"  {key.fingerprint:<14} p{key.priority} in flight {key.in_flight}"
            if key.HasField("cooldown_until"):
                left = key.cooldown_until.ToMilliseconds() / 1000 - self.now()
                if left > 0:
                    line += f"  [yellow]cooling down {left:.0f}s[/]"
            lines.append(line)
            for b in key.buckets:
                source = "learned" if b.learned else "configured"
                lines.append(
                    f"    {b.kind:<13} {bar(b.remaining, b.capacity)} "
                    f"{count(b.remaining)}/{count(b.capacity)} {source}"
                )
        if not self.providers[name].keys:
            lines.append("  (no keys: the client's own credentials are passed on)")
        keys.update("\n".join(lines))


def _cells(p: pb.Provider) -> tuple[str | Text, ...]:
    word, colour = circuit(p.circuit.state)
    return (
        p.name,
        Text("yes", style="green") if p.enabled else Text("no", style="red"),
        Text(word, style=colour),
        p.health,
        str(p.in_flight),
        f"{p.requests_per_second:.1f}",
        ms(percentile(p.latency, "p50_seconds")),
        ms(percentile(p.latency, "p95_seconds")),
        count(p.errors),
    )
