"""The dashboard (a Textual pilot) against a real relay with emulators behind it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anthropic
import pytest
from anthropic.types import MessageParam
from textual.widgets import DataTable, Static

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.config import load_config
from cc_relay.server import RelayServer
from cc_relay.tui import Dashboard, GrpcSource
from cc_relay.tui.dialogs import ConfirmScreen, MessageScreen, PromptScreen
from tests.admin.conftest import (
    Starter,
    StubFactory,
    failing_ledger_and_redis,
    open_circuit,
    write_config,
)
from tests.conftest import SdkFactory, provider
from tests.emulators import AnthropicEmulator, Fail
from tests.integration._ledger import ledger_rows
from tests.tui.conftest import SIZE, text_of, until

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "claude-opus-4-8"
#: Seconds for the request stream to reopen after the stats one did.
RETRY_SETTLE = 1.2


def _dashboard(relay: RelayServer) -> Dashboard:
    return Dashboard(GrpcSource(relay.grpc_target))


def _rows(app: Dashboard, table_id: str) -> list[list[str]]:
    table: DataTable[object] = app.query_one(table_id, DataTable)
    return [[str(c) for c in table.get_row_at(n)] for n in range(table.row_count)]


async def _ask(client: anthropic.AsyncAnthropic) -> None:
    await client.messages.create(model=MODEL, max_tokens=5, messages=USER)


async def test_providers_view_shows_what_list_providers_says(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, stub: StubFactory
) -> None:
    relay = await start(
        provider(emu, name="a", keys=[{"key": "sk-up-1", "rpm_limit": 50}]),
        provider(emu2, name="b"),
    )
    listed = (await stub(relay).ListProviders(pb.ListProvidersRequest())).providers
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: len(_rows(app, "#providers-table")) == 2)
        rows = _rows(app, "#providers-table")
        assert [r[0] for r in rows] == [p.name for p in listed]
        assert [r[1:4] for r in rows] == [["yes", "closed", p.health] for p in listed]
        keys = text_of(app.query_one("#keys", Static))
        assert listed[0].keys[0].fingerprint in keys and "requests" in keys
        assert "configured" in keys and "50/50" in keys


async def test_a_request_through_the_relay_appears_in_the_log_within_a_second(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a"))
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        # The first may come from the listing done on connecting; the second, live.
        await _ask(sdk(relay))
        await until(pilot, lambda: len(_rows(app, "#requests-table")) == 1)
        await _ask(sdk(relay))
        await until(pilot, lambda: len(_rows(app, "#requests-table")) == 2, timeout=1.0)
        assert [row[1:4] for row in _rows(app, "#requests-table")] == [["200", "a", MODEL]] * 2
        await until(pilot, lambda: "1. a key" in text_of(app.query_one("#detail", Static)))
        detail = text_of(app.query_one("#detail", Static))
        assert "tokens in 12" in detail and "→ 200" in detail


async def test_e_then_confirm_disables_the_provider(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, stub: StubFactory
) -> None:
    relay = await start(provider(emu, name="a"), provider(emu2, name="b"))
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: len(_rows(app, "#providers-table")) == 2)
        # Enter answers no: the focus starts there.
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert relay.holder.overrides == {}
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: _rows(app, "#providers-table")[0][1] == "no")
        a, b = (await stub(relay).ListProviders(pb.ListProvidersRequest())).providers
        assert (a.name, a.enabled, a.enabled_overridden) == ("a", False, True) and b.enabled


async def test_reload_key_reports_an_invalid_files_error(
    start: Starter, emu: AnthropicEmulator, config_path: Path
) -> None:
    relay = await start(provider(emu, name="a"))
    config_path.write_text("aliases: {}\nproviders: [{name: a, type: nope}]\n", encoding="utf-8")
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, MessageScreen))
        shown = " ".join(text_of(s) for s in app.screen.query(Static))
        assert "reload failed" in shown and "cc-relay.yaml:2:providers[0]" in shown


async def test_the_dashboard_survives_the_relay_restarting(
    start: Starter, emu: AnthropicEmulator, config_path: Path, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a"))
    port = relay.grpc_target.rpartition(":")[2]
    app = Dashboard(GrpcSource(relay.grpc_target))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.connected)
        await relay.close()
        status = app.query_one("#status", Static)
        await until(pilot, lambda: "no relay answering" in text_of(status), timeout=5.0)
        assert not app.connected
        write_config(
            config_path, provider(emu, name="a"), admin={"grpc_listen": f"127.0.0.1:{port}"}
        )
        again = RelayServer(load_config(config_path), config_path=config_path)
        await again.start()
        try:
            await until(pilot, lambda: app.connected, timeout=5.0)
            await pilot.press("3")
            await asyncio.sleep(RETRY_SETTLE)
            await _ask(sdk(again))
            await until(pilot, lambda: len(_rows(app, "#requests-table")) == 1, timeout=3.0)
        finally:
            await again.close()


async def test_c_resets_an_open_circuit(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory,
    stub: StubFactory,
) -> None:  # fmt: skip
    relay = await open_circuit(start, emu, emu2, sdk)
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await until(pilot, lambda: [r[2] for r in _rows(app, "#providers-table")][:1] == ["open"])
        await pilot.press("c")
        await until(pilot, lambda: _rows(app, "#providers-table")[0][2] == "closed")
    (a, _) = (await stub(relay).ListProviders(pb.ListProvidersRequest())).providers
    assert a.circuit.state == pb.CIRCUIT_STATE_CLOSED


async def test_x_explains_the_routing_for_a_typed_model(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator
) -> None:
    relay = await start(
        provider(emu, name="a", models=["claude-opus-4-8"]),
        provider(emu2, name="b", models=["claude-haiku-4-5"]),
    )
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*MODEL, "enter")
        await until(pilot, lambda: isinstance(app.screen, MessageScreen))
        shown = " ".join(text_of(s) for s in app.screen.query(Static))
        assert f"routing for {MODEL}" in shown and "1. a (anthropic)" in shown
        assert "skipped b" in shown


async def test_slash_filters_the_log(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a"))
    client = sdk(relay)
    await _ask(client)
    emu.enqueue(Fail(400))
    with pytest.raises(anthropic.BadRequestError):
        await _ask(client)
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await until(pilot, lambda: len(_rows(app, "#requests-table")) == 2)
        await pilot.press("slash", *"status:4xx", "enter")
        await until(pilot, lambda: len(_rows(app, "#requests-table")) == 1)
        assert _rows(app, "#requests-table")[0][1] == "400"


async def test_usage_view_shows_the_ledger_by_provider_and_model(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory, tmp_path: Path
) -> None:
    relay = await start(provider(emu, name="a"), ledger={"path": str(tmp_path / "usage.db")})
    await _ask(sdk(relay))
    await _ask(sdk(relay))
    assert len(await ledger_rows(relay)) == 2
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("4")
        await until(pilot, lambda: len(_rows(app, "#usage-models")) == 1)
        assert [r[:2] for r in _rows(app, "#usage-providers")] == [["a", "2"]]
        assert [r[:2] for r in _rows(app, "#usage-models")] == [[MODEL, "2"]]
        assert "days in UTC" in text_of(app.query_one("#usage-note", Static))


async def test_overview_says_when_the_ledger_cannot_write_and_redis_is_down(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory, tmp_path: Path
) -> None:
    relay = await failing_ledger_and_redis(start, emu, sdk, tmp_path)
    app = _dashboard(relay)
    async with app.run_test(size=SIZE) as pilot:
        totals = app.query_one("#totals", Static)
        await until(pilot, lambda: "ledger writes fail" in text_of(totals), timeout=10)
        shown = text_of(totals)
        assert "1 rows waiting, 0 dropped" in shown
        assert "shared state: redis unavailable" in shown and "local limits" in shown
