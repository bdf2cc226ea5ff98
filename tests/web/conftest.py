"""A real browser (Playwright driving Debian's chromium) against a relay with emulators.

Chromium comes from the system package (``scripts/test`` installs it on a fresh
machine); a machine without it fails these tests loudly instead of skipping them.
Screenshots go to ``test-artifacts/web/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from tests.admin.conftest import config_path, start

__all__ = ["ARTIFACTS", "config_path", "start"]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the web dashboard tests need Debian's chromium "
            "(apt-get install chromium; scripts/test installs it)",
            pytrace=False,
        )
    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def console_errors() -> Iterator[list[str]]:
    """Errors the page logged (a script error, a CSP violation); checked at the end."""
    errors: list[str] = []
    yield errors
    assert not errors, errors


@pytest.fixture
async def page(browser: Browser, console_errors: list[str]) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    opened = await context.new_page()
    opened.set_default_timeout(5000)

    def on_console(message: ConsoleMessage) -> None:
        # A refused call (401 before sign-in) is logged by the browser as a resource error.
        if message.type == "error" and "Failed to load resource" not in message.text:
            console_errors.append(message.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: console_errors.append(str(error)))
    try:
        yield opened
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
