"""View 3: the live request log, newest first, a filter, and the selected one's detail.

Requests arrive from StreamRequests into a bounded list; the table is redrawn from it
at most ``REFRESH`` times a second, so hundreds a second cost the same as a few.
"""

from __future__ import annotations

from collections import deque

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui._filter import RequestFilter
from cc_relay.tui._format import ms, usd

#: Requests kept for filtering; the oldest drop off.
KEEP = 2000
#: Rows the table shows.
SHOWN = 200
#: Seconds between redraws of the table.
REFRESH = 0.25

COLUMNS = ("time", "status", "provider", "model", "latency", "tokens", "error")
#: Characters of a replica id the fleet column shows.
REPLICA_WIDTH = 16


class RequestsView(Vertical):
    """The log table, a filter line (``/``) and a detail pane."""

    class Selected(Message):
        """The cursor moved onto a request; the app fetches its detail."""

        def __init__(self, request_id: str) -> None:
            super().__init__()
            self.request_id = request_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kept: deque[pb.Request] = deque(maxlen=KEEP)
        self._ids: set[str] = set()
        self.filter = RequestFilter()
        self._dirty = False
        self._shown: list[str] = []
        self.replicas = False
        """Rows show which replica answered (any scope but this replica's)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="provider:NAME model:TEXT status:5xx text", id="filter")
        table: DataTable[str | Text] = DataTable(id="requests-table", cursor_type="row")
        table.add_columns(*COLUMNS)
        yield table
        yield Static("select a request to see its attempts", id="detail")

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.set_interval(REFRESH, self.redraw)

    def add(self, request: pb.Request) -> bool:
        """Keep a request; False if it is already kept (a reconnect lists it again)."""
        if request.id in self._ids:
            return False
        if len(self.kept) == KEEP:
            self._ids.discard(self.kept[0].id)
        self.kept.append(request)
        self._ids.add(request.id)
        self._dirty = True
        return True

    def reset(self, *, replicas: bool) -> None:
        """Forget every request (a new scope streams its own), with or without the
        replica column."""
        self.kept.clear()
        self._ids.clear()
        self._shown = []
        self.replicas = replicas
        table: DataTable[str | Text] = self.query_one("#requests-table", DataTable)
        table.clear(columns=True)
        table.add_columns(*(("time", "replica", *COLUMNS[1:]) if replicas else COLUMNS))
        self._dirty = True

    def open_filter(self) -> None:
        line = self.query_one("#filter", Input)
        line.display = True
        line.value = str(self.filter)
        line.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.filter = RequestFilter.parse(event.value)
        if not event.value.strip():
            event.input.display = False
        self.query_one("#requests-table", DataTable).focus()
        self._dirty = True
        self.redraw()

    def redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        table: DataTable[str | Text] = self.query_one("#requests-table", DataTable)
        rows: list[pb.Request] = []
        for request in reversed(self.kept):
            if self.filter.matches(request):
                rows.append(request)
                if len(rows) == SHOWN:
                    break
        ids = [r.id for r in rows]
        if ids == self._shown:
            return
        # On the top row the cursor stays on top, following the newest request.
        row = table.cursor_row
        selected = self._shown[row] if 0 < row < len(self._shown) else None
        table.clear()
        for request in rows:
            cells = _cells(request)
            if self.replicas:
                cells = (cells[0], short(request.replica), *cells[1:])
            table.add_row(*cells, key=request.id)
        self._shown = ids
        if selected in ids:
            table.move_cursor(row=ids.index(selected), animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.post_message(self.Selected(str(event.row_key.value)))

    def show_detail(self, request: pb.Request) -> None:
        self.query_one("#detail", Static).update(detail(request))


def _cells(r: pb.Request) -> tuple[str | Text, ...]:
    colour = "red" if r.status >= 500 else "yellow" if r.status >= 400 else "green"
    usage = r.usage
    return (
        r.at.ToDatetime().strftime("%H:%M:%S"),
        Text(str(r.status), style=colour),
        r.provider or "-",
        r.client_model or "-",
        ms(r.latency_seconds),
        f"{usage.input_tokens}/{usage.output_tokens}",
        r.error[:40],
    )


def short(replica: str) -> str:
    """A replica id cut to :data:`REPLICA_WIDTH` characters."""
    if len(replica) <= REPLICA_WIDTH:
        return replica or "-"
    return replica[: REPLICA_WIDTH - 1] + "…"


def detail(r: pb.Request) -> str:
    """The request with every attempt, as console markup."""
    ttfb = ms(r.ttfb_seconds) if r.HasField("ttfb_seconds") else "-"
    failovers = max(0, len(r.attempts) - 1)
    lines = [
        f"[b]{r.id}[/] {r.method} {r.path} → {r.status}  {r.client_model}"
        + (f" as {r.upstream_model}" if r.upstream_model != r.client_model else "")
        + (f"  on {escape(r.replica)}" if r.replica else ""),
        f"latency {ms(r.latency_seconds)}  TTFB {ttfb}  tokens in {r.usage.input_tokens} "
        f"out {r.usage.output_tokens} cache {r.usage.cache_read_tokens}  cost {usd(r.cost_usd)}"
        f"  failovers {failovers}",
    ]
    for n, a in enumerate(r.attempts, 1):
        outcome = f"[red]{escape(a.error)}[/] {escape(a.detail)}" if a.error else "ok"
        lines.append(
            f"  {n}. {a.provider} key {a.key or '-'} → {a.status or '-'} "
            f"{ms(a.duration_seconds)} {outcome}"
        )
    if r.error:
        lines.append(f"[red]error: {escape(r.error)}[/]")
    return "\n".join(lines)
