"""The dashboard's scope selector against two real relays sharing a real redis-server."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from cc_relay.state import fleet, redis_state
from cc_relay.tui import Dashboard, GrpcSource
from tests.conftest import RelayFactory, SdkFactory
from tests.emulators import AnthropicEmulator
from tests.state._redis import RedisServer
from tests.state.conftest import redis_server
from tests.state.test_fleet_functional import pair
from tests.state.test_shared_limits_functional import send
from tests.tui.conftest import SIZE, text_of, until

__all__ = ["redis_server"]


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_state, "HEARTBEAT_INTERVAL", 0.1)
    monkeypatch.setattr(fleet, "FLUSH_INTERVAL", 0.05)
    monkeypatch.setattr(fleet, "BEAT_INTERVAL", 0.1)


def _column(app: Dashboard, n: int) -> list[str]:
    table: DataTable[object] = app.query_one("#requests-table", DataTable)
    return [str(table.get_row_at(row)[n]) for row in range(table.row_count)]


def _headers(app: Dashboard) -> list[str]:
    table: DataTable[object] = app.query_one("#requests-table", DataTable)
    return [str(c.label) for c in table.columns.values()]


async def test_scope_selector_switches_between_this_replica_the_fleet_and_another(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, redis_server: RedisServer
) -> None:
    a, b = await pair(make_relay, emu, redis_server)
    assert [await send(sdk, r) for r in (a, b, b)] == [200, 200, 200]
    app = Dashboard(GrpcSource(a.grpc_target))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await until(pilot, lambda: len(_column(app, 0)) == 1)
        assert "replica" not in _headers(app)
        status = app.query_one("#status", Static)
        await until(pilot, lambda: "scope: this replica" in text_of(status))

        await pilot.press("s")  # the fleet: both replicas' rows, each with its replica
        await until(pilot, lambda: sorted(_column(app, 1)) == ["alpha", "beta", "beta"], 5.0)
        assert _headers(app)[1] == "replica"
        await until(pilot, lambda: "scope: fleet (2 replicas)" in text_of(status), 5.0)

        await pilot.press("s")  # the other replica alone
        await until(pilot, lambda: _column(app, 1) == ["beta", "beta"], 5.0)
        await until(pilot, lambda: "scope: replica beta" in text_of(status), 5.0)

        await pilot.press("s")  # back to this replica
        await until(pilot, lambda: len(_column(app, 0)) == 1 and "replica" not in _headers(app))
