"""The dashboard against a real relay: a pilot, and helpers to wait on what it shows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

# The admin tests' relay-from-a-file fixtures, shared.
from tests.admin.conftest import config_path, start, stub

__all__ = ["config_path", "start", "stub"]

#: Terminal size the pilot tests run at.
SIZE = (100, 30)


async def until(pilot: Pilot[None], check: Callable[[], bool], timeout: float = 3.0) -> None:
    """Let the app run until ``check()`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "the dashboard never got there"
        await pilot.pause(0.05)


def text_of(widget: Static) -> str:
    """What a Static shows, without its markup."""
    return Text.from_markup(str(widget.content)).plain
