"""Each view at 80x24 and 120x40, from fixed data (no network, no clock)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui import Dashboard
from cc_relay.tui.providers import ProvidersView
from cc_relay.tui.requests import RequestsView
from tests.tui._fixed import EPOCH, FixedSource, request, stats

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def _dashboard() -> Dashboard:
    return Dashboard(FixedSource(), follow=False)


async def _feed(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, Dashboard)
    app.query_one(ProvidersView).now = lambda: EPOCH
    for step in range(60):
        app.apply_stats(stats(step))
    for n in range(40):
        app.apply_request(request(n))
    app.query_one(RequestsView).redraw()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(["1"], id="overview"),
        pytest.param(["2", "down"], id="providers"),
        pytest.param(["3", "down", "down", "down"], id="requests"),
        pytest.param(["4"], id="usage"),
        pytest.param(["question_mark"], id="help"),
    ],
)
def test_view_snapshot(snap_compare: SnapCompare, size: tuple[int, int], keys: list[str]) -> None:
    assert snap_compare(_dashboard(), press=[*keys, "_"], terminal_size=size, run_before=_feed)


def test_no_color_turns_the_colours_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert _dashboard().no_color
    monkeypatch.delenv("NO_COLOR")
    assert not _dashboard().no_color


async def _feed_fleet(pilot: Pilot[None]) -> None:
    """The requests view in the fleet scope: two replicas' rows, each with its replica."""
    app = pilot.app
    assert isinstance(app, Dashboard)
    app.set_scope("fleet")
    scope = pb.ScopeInfo(scope="fleet", replicas=["relay-1:7", "relay-2:7"])
    for step in range(60):
        message = stats(step)
        message.scope.CopyFrom(scope)
        app.apply_stats(message)
    for n in range(40):
        row = request(n)
        row.replica = "relay-1:7" if n % 3 else "relay-2.a-long-host-name:7"
        app.apply_request(row)
    app.query_one(RequestsView).redraw()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_fleet_requests_snapshot(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert snap_compare(_dashboard(), press=["3", "_"], terminal_size=size, run_before=_feed_fleet)
