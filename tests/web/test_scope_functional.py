"""The web dashboard's scope selector, in a real browser, over two relays and one Redis."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from cc_relay.state import fleet, redis_state
from tests.conftest import RelayFactory, SdkFactory
from tests.emulators import AnthropicEmulator
from tests.state._redis import RedisServer
from tests.state.conftest import redis_server
from tests.state.test_fleet_functional import pair
from tests.state.test_shared_limits_functional import send
from tests.web.conftest import screenshot

__all__ = ["redis_server"]


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_state, "HEARTBEAT_INTERVAL", 0.1)
    monkeypatch.setattr(fleet, "FLUSH_INTERVAL", 0.05)
    monkeypatch.setattr(fleet, "BEAT_INTERVAL", 0.1)


async def test_dashboard_scope_selector_shows_the_fleet_or_one_replica(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    redis_server: RedisServer,
    page: Page,
) -> None:
    a, b = await pair(make_relay, emu, redis_server)
    assert [await send(sdk, r) for r in (a, b, b)] == [200, 200, 200]
    await page.goto(f"{a.url}/ui/#/requests")  # no admin.keys: loopback needs no sign-in
    rows = page.locator("#requests-table tbody tr[data-request]")
    await expect(rows).to_have_count(1)
    replica_header = page.get_by_role("columnheader", name="Replica")
    await expect(replica_header).to_be_hidden()
    selector = page.get_by_label("Scope")
    await expect(selector.locator("option")).to_have_count(3)  # this, fleet, beta

    await selector.select_option("fleet")
    await expect(rows).to_have_count(3)
    await expect(replica_header).to_be_visible()
    cells = rows.locator("td:nth-child(8)")
    assert sorted(await cells.all_inner_texts()) == ["alpha", "beta", "beta"]
    await screenshot(page, "scope-fleet")

    await selector.select_option("beta")
    await expect(rows).to_have_count(2)
    assert await cells.all_inner_texts() == ["beta", "beta"]
    await rows.first.get_by_role("button", name="Details").click()  # another replica's
    await expect(page.locator("#drawer-fields")).to_contain_text("beta")

    await page.locator("#nav").get_by_role("button", name="Overview").click()
    totals = page.locator("#overview-table tbody td").nth(5)
    await expect(totals).to_have_text("24 / 2")  # beta's two requests, not alpha's one
    await selector.select_option("")
    await expect(totals).to_have_text("12 / 1")
