"""The request log keeps up: adding is cheap, and redraws are capped in rows and rate."""

from __future__ import annotations

import time

from textual.widgets import DataTable

from cc_relay.tui import Dashboard
from cc_relay.tui.requests import KEEP, SHOWN, RequestsView
from tests.tui._fixed import FixedSource, request


async def test_thousands_of_requests_cost_one_bounded_redraw() -> None:
    app = Dashboard(FixedSource(), follow=False)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(RequestsView)
        arrivals = [request(n) for n in range(KEEP + 500)]
        for n, r in enumerate(arrivals):
            r.id = f"req_{n:05d}"
        began = time.perf_counter()
        for r in arrivals:
            app.apply_request(r)
        assert time.perf_counter() - began < 0.5  # no redraw per request
        assert len(view.kept) == KEEP
        await pilot.pause(0.4)
        table = app.query_one("#requests-table", DataTable)
        assert table.row_count == SHOWN
        assert table.get_row_at(0)[0] == arrivals[-1].at.ToDatetime().strftime("%H:%M:%S")
        # A request listed again on reconnecting is not kept twice.
        app.apply_request(arrivals[-1])
        assert len(view.kept) == KEEP and view.kept[-1].id == arrivals[-1].id
