"""The web dashboard in a real browser: sign-in, providers, the live request log,
failover after a disable in the page, the config editor, and the refusals."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import aiohttp
from playwright.async_api import Page, expect

from cc_relay.admin.sessions import COOKIE
from cc_relay.server import RelayServer
from cc_relay.web.dashboard import CSP
from tests.admin.conftest import Starter, failing_ledger_and_redis, post_json, settled
from tests.conftest import SdkFactory, provider
from tests.emulators import AnthropicEmulator, Reply, text
from tests.web.conftest import screenshot

ADMIN_KEY = "adm-secret-1"
BEARER = {"Authorization": f"Bearer {ADMIN_KEY}"}
MODEL = "claude-opus-4-8"


async def _signed_in(page: Page, relay: RelayServer, view: str = "overview") -> None:
    await page.goto(f"{relay.url}/ui/#/{view}")
    await page.get_by_label("Admin key").fill(ADMIN_KEY)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("navigation", name="Views")).to_be_visible()


async def _ask(sdk: SdkFactory, relay: RelayServer) -> None:
    await sdk(relay).messages.create(
        model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )


async def test_dashboard_sign_in_sets_a_strict_session_cookie(
    start: Starter, emu: AnthropicEmulator, page: Page, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a", keys=["sk-up-1"]), admin={"keys": [ADMIN_KEY]})
    await page.goto(f"{relay.url}/ui/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("navigation", name="Views")).to_be_hidden()
    await screenshot(page, "0-sign-in")
    await page.get_by_label("Admin key").fill("wrong")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#signin-error")).to_contain_text("not one of admin.keys")
    await _signed_in(page, relay)
    await expect(page.locator("#overview-cards .card")).to_have_count(6)
    await expect(page.locator("#overview-table tbody th")).to_have_text(["a"])
    emu.enqueue(Reply(text("counted")))
    await _ask(sdk, relay)
    spark = page.get_by_role("img", name="Requests/s, last 60 seconds").locator("polyline")
    await expect(spark).to_have_attribute("points", re.compile(r"^\S+ \S+ \S+"))
    await expect(page.locator("#overview-table tbody td").nth(5)).to_have_text("12 / 1")
    # The page's own connections (the JSON twin, the stats stream) are aiohttp's.
    await expect(page.locator("#overview-cards .card").first).to_contain_text(
        re.compile(r"[1-9]\d* connections, [1-9]\d* handed to aiohttp")
    )
    await screenshot(page, "1-overview")
    # Keyboard: the view switcher is reachable and works without a mouse.
    await page.get_by_role("button", name="Providers").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Providers")).to_be_visible()
    # A narrow window, dark theme (prefers-color-scheme).
    await page.emulate_media(color_scheme="dark")
    await page.set_viewport_size({"width": 420, "height": 800})
    await screenshot(page, "1-providers-narrow-dark")
    (cookie,) = await page.context.cookies()
    assert cookie["name"] == COOKIE and cookie["value"] != ADMIN_KEY
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert 11 * 3600 < cookie["expires"] - time.time() <= 12 * 3600
    content = await page.content()
    assert ADMIN_KEY not in content and "sk-up-1" not in content
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    status, _ = await post_json(
        relay, "GetStatus", headers={"Cookie": f"{COOKIE}={cookie['value']}"}
    )
    assert status == 401


async def test_dashboard_providers_table_matches_the_api_and_a_disable_fails_over(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, page: Page, sdk: SdkFactory
) -> None:
    relay = await start(
        provider(emu, name="a", keys=[{"key": "sk-up-1", "rpm_limit": 600}]),
        provider(emu2, name="b", keys=["sk-up-2"]),
        admin={"keys": [ADMIN_KEY]},
        routing={"strategy": "failover"},
    )
    await _ask(sdk, relay)
    assert (len(emu.messages_requests), len(emu2.messages_requests)) == (1, 0)
    await _signed_in(page, relay, "providers")
    _, listed = await post_json(relay, "ListProviders", headers=BEARER)
    names = [p["name"] for p in listed["providers"]]
    table = page.locator("#providers-table tbody tr")
    await expect(table.locator("th")).to_have_text(names)
    for p in listed["providers"]:
        row = page.locator(f'#providers-table tr[data-provider="{p["name"]}"]')
        await expect(row.locator("td").nth(1)).to_have_text(p["health"])
        for key in p["keys"]:
            await expect(row.get_by_text(key["fingerprint"])).to_be_visible()
    await expect(page.get_by_role("meter", name="requests:").first).to_be_visible()
    await screenshot(page, "2-providers")

    await page.get_by_role("button", name="Disable a").click()
    await expect(page.get_by_role("status")).to_have_text("Provider a disabled.")
    await expect(page.get_by_role("button", name="Enable a")).to_be_visible()
    emu2.enqueue(Reply(text("from b")))
    await _ask(sdk, relay)
    assert (len(emu.messages_requests), len(emu2.messages_requests)) == (1, 1)
    await page.get_by_role("button", name="Enable a").click()
    await expect(page.get_by_role("button", name="Disable a")).to_be_visible()
    await _ask(sdk, relay)
    assert (len(emu.messages_requests), len(emu2.messages_requests)) == (2, 1)


async def test_dashboard_live_log_shows_a_request_within_a_second(
    start: Starter, emu: AnthropicEmulator, page: Page, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a", keys=["sk-up-1"]), admin={"keys": [ADMIN_KEY]})
    await _signed_in(page, relay, "requests")
    await expect(page.locator("#live-state")).to_have_text("Live")
    emu.enqueue(Reply(text("seen")))
    await _ask(sdk, relay)
    row = page.locator("#requests-table tbody tr[data-request]")
    await expect(row).to_have_count(1, timeout=1000)
    await expect(row.locator("td").nth(3)).to_have_text("a")
    await row.get_by_role("button", name="Details").click()
    drawer = page.locator("#drawer")
    await expect(drawer).to_be_visible()
    await expect(drawer.locator("#drawer-attempts tbody tr")).to_have_count(1)
    await screenshot(page, "3-requests")
    await page.keyboard.press("Escape")
    await expect(drawer).to_be_hidden()
    await expect(row.get_by_role("button", name="Details")).to_be_focused()
    # A filter no request matches empties the log; the live tail restarts with it.
    await page.get_by_role("textbox", name="Provider").fill("nobody")
    await page.get_by_role("button", name="Apply filter").click()
    await expect(row).to_have_count(0)
    await expect(page.locator("#live-state")).to_have_text("Live")


async def test_dashboard_config_edit_validates_applies_and_rolls_back(
    start: Starter, emu: AnthropicEmulator, page: Page, config_path: Path
) -> None:
    relay = await start(provider(emu, name="a", keys=["sk-up-1"]), admin={"keys": [ADMIN_KEY]})
    await _signed_in(page, relay, "config")
    editor = page.get_by_label("Config YAML")
    await expect(editor).to_have_value(re.compile("name: a"))
    original = await editor.input_value()
    assert "sk-up-1" not in original and "[redacted:" in original
    on_disk = config_path.read_text()

    await editor.fill(original.replace("type: anthropic", "type: nonsense"))
    problem = page.locator('#config-problems li[data-path="providers[0].type"]')
    await expect(problem).to_contain_text("Input should be")
    # The problem points at its line; its button selects that line in the editor.
    edited = original.replace("type: anthropic", "type: nonsense").splitlines()
    line = next(n for n, text in enumerate(edited, 1) if "type: nonsense" in text)
    await expect(problem).to_have_attribute("data-line", str(line))
    await problem.get_by_role("button", name=f"Go to line {line}").click()
    await expect(editor).to_be_focused()
    selected = await editor.evaluate("t => t.value.slice(t.selectionStart, t.selectionEnd)")
    assert selected == edited[line - 1]
    await expect(page.get_by_role("button", name="Apply")).to_be_disabled()
    await screenshot(page, "4-config-invalid")
    assert config_path.read_text() == on_disk
    _, running = await post_json(relay, "GetConfig", headers=BEARER)
    assert running["generation"] == "1"

    await editor.fill(original.replace("  type: anthropic\n", "  type: anthropic\n  weight: 3\n"))
    await expect(page.locator("#config-diff li")).to_have_text(["provider changed: a (weight)"])
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_role("status")).to_contain_text("Config applied: generation 2")
    assert "weight: 3" in config_path.read_text() and "sk-up-1" in config_path.read_text()
    assert relay.holder.config.providers[0].weight == 3
    versions = page.locator("#history-table tbody tr[data-version]")
    await expect(versions).to_have_count(1)
    await screenshot(page, "5-config-applied")

    await versions.get_by_role("button", name="Roll back").click()
    await expect(page.get_by_role("status")).to_contain_text("Rolled back")
    assert relay.holder.config.providers[0].weight != 3
    await expect(editor).not_to_have_value(re.compile("weight: 3"))


async def test_dashboard_models_and_explain(
    start: Starter, emu: AnthropicEmulator, page: Page
) -> None:
    relay = await start(provider(emu, name="a", keys=["sk-up-1"]), admin={"keys": [ADMIN_KEY]})
    await _signed_in(page, relay, "models")
    await expect(page.locator("#models-table tbody th").first).to_be_visible()
    _, listed = await post_json(relay, "ListModels", headers=BEARER)
    await expect(page.locator("#models-table tbody th")).to_have_text(
        [m["id"] for m in listed["models"]]
    )
    await screenshot(page, "6-models")
    await page.get_by_role("navigation").get_by_role("button", name="Explain").click()
    await page.locator("#explain-model").fill(MODEL)
    await page.locator("#explain-form").get_by_role("button", name="Explain").click()
    await expect(page.locator("#explain-table tbody th")).to_have_text(["a"])
    await screenshot(page, "7-explain")


async def test_dashboard_usage_table_chart_and_csv(
    start: Starter, emu: AnthropicEmulator, page: Page, sdk: SdkFactory
) -> None:
    relay = await start(
        provider(emu, name="a", keys=["sk-up-1"], pricing={"input": 3, "output": 15}),
        admin={"keys": [ADMIN_KEY]},
    )
    emu.enqueue(Reply(text("one"), input_tokens=100, output_tokens=10))
    emu.enqueue(Reply(text("two"), input_tokens=200, output_tokens=20))
    await _ask(sdk, relay)
    await _ask(sdk, relay)
    deadline = time.monotonic() + 10
    while True:  # the ledger commits at most once a second
        _, usage = await post_json(relay, "GetUsage", {"groupBy": "provider"}, headers=BEARER)
        if usage.get("groups") and int(usage["groups"][0]["requests"]) == 2:
            break
        assert time.monotonic() < deadline, usage
        await asyncio.sleep(0.1)
    await _signed_in(page, relay, "usage")
    await page.locator("#usage-by").select_option("provider")
    row = page.locator("#usage-table tbody tr").first
    await expect(row.locator("th")).to_have_text("a")
    await expect(row.locator("td").nth(0)).to_have_text("2")
    await expect(row.locator("td").nth(2)).to_have_text("300")
    await expect(page.locator("#usage-chart svg rect")).to_have_count(1)
    await screenshot(page, "8-usage")
    async with page.expect_download() as caught:
        await page.get_by_role("link", name="Download CSV").click()
    download = await caught.value
    lines = Path(await download.path()).read_text().splitlines()
    assert lines[0].startswith("group,requests,errors,inputTokens")
    cost = (300 * 3 + 30 * 15) / 1e6
    assert lines[1].split(",")[:4] == ["a", "2", "0", "300"]
    assert abs(float(lines[1].split(",")[7]) - cost) < 1e-9


async def test_dashboard_refuses_cross_site_posts_and_calls_without_a_session(
    start: Starter, emu: AnthropicEmulator
) -> None:
    relay = await start(
        provider(emu, name="a", keys=["sk-up-1"]),
        provider(emu, name="b", keys=["sk-up-2"]),
        admin={"keys": [ADMIN_KEY]},
    )
    rpc = f"{relay.url}/cc_relay.admin.v1.Admin/SetProviderEnabled"
    body = b'{"name": "a", "enabled": false}'
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        async with session.post(f"{relay.url}/ui/session", json={"key": ADMIN_KEY}) as signed:
            assert signed.status == 200
            token = signed.cookies[COOKIE].value
            assert signed.cookies[COOKIE]["httponly"] and signed.cookies[COOKIE]["samesite"]
        cookie = {"Cookie": f"{COOKIE}={token}"}
        refused = [
            ({}, "application/json"),  # no session
            ({"Cookie": f"{COOKIE}=made-up"}, "application/json"),
            ({**cookie, "Origin": "https://evil.example"}, "application/json"),
            ({**cookie, "Sec-Fetch-Site": "cross-site"}, "application/json"),
            (cookie, "text/plain"),  # a "simple" request a page can send cross-site
        ]
        for headers, content_type in refused:
            async with session.post(
                rpc, data=body, headers={**headers, "Content-Type": content_type}
            ) as resp:
                assert resp.status in (401, 403, 415), (headers, content_type, resp.status)
        async with session.post(
            f"{relay.url}/ui/session",
            json={"key": ADMIN_KEY},
            headers={"Origin": "https://evil.example"},
        ) as cross:
            assert cross.status == 403
        assert relay.holder.config.providers[0].enabled
        async with session.get(f"{relay.url}/ui/") as ui:
            assert ui.status == 200
            assert ui.headers["Content-Security-Policy"] == CSP
            assert ui.headers["X-Content-Type-Options"] == "nosniff"
        async with session.post(
            rpc, data=body, headers={**cookie, "Content-Type": "application/json"}
        ) as allowed:
            assert allowed.status == 200
    await settled(relay)
    assert not relay.holder.snapshot().providers[0].enabled


async def test_dashboard_without_admin_keys_needs_no_sign_in_and_refuses_a_stale_apply(
    start: Starter, emu: AnthropicEmulator, page: Page, config_path: Path
) -> None:
    relay = await start(provider(emu, name="a", keys=["sk-up-1"]))
    await page.goto(f"{relay.url}/ui/#/config")
    await expect(page.get_by_role("heading", name="Config", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    editor = page.get_by_label("Config YAML")
    await expect(editor).to_have_value(re.compile("name: a"))
    original = await editor.input_value()
    await editor.fill(original.replace("  type: anthropic\n", "  type: anthropic\n  weight: 2\n"))
    await expect(page.get_by_role("button", name="Apply")).to_be_enabled()
    # Someone else changes the config meanwhile.
    _, running = await post_json(relay, "GetConfig")
    theirs = original.replace("  type: anthropic\n", "  type: anthropic\n  weight: 5\n")
    status, _ = await post_json(relay, "ApplyConfig", {"yaml": theirs, "baseHash": running["hash"]})
    assert status == 200
    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_role("status")).to_contain_text("someone changed the config")
    assert relay.holder.config.providers[0].weight == 5 and "weight: 5" in config_path.read_text()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{relay.url}/ui/session", json={"key": "x"}) as sign_in:
            assert sign_in.status == 400
            assert "no admin.keys" in (await sign_in.json())["message"]


async def test_dashboard_overview_alerts_a_failing_ledger_and_a_redis_down(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory, page: Page, tmp_path: Path
) -> None:
    relay = await failing_ledger_and_redis(start, emu, sdk, tmp_path)
    await page.goto(f"{relay.url}/ui/#/overview")
    alert = page.locator("#overview-faults")
    await expect(alert).to_contain_text("Ledger writes fail", timeout=10_000)
    await expect(alert).to_contain_text("1 rows waiting, 0 dropped")
    await expect(alert).to_contain_text("Shared state: Redis unavailable")
    await screenshot(page, "overview-faults")
