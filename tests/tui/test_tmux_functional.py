"""The real ``cc-relay tui`` command in a tmux pane, against a relay, read off the screen."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from anthropic.types import MessageParam

from tests.admin.conftest import Starter
from tests.cli._process import entry_point
from tests.conftest import SdkFactory, provider
from tests.emulators import AnthropicEmulator

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
#: Seconds the screen may take to show what the test waits for.
SCREEN_TIMEOUT = 10.0

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (scripts/test)")


class Pane:
    """One detached tmux session on a server of its own (its own socket)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    async def tmux(self, *args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.socket, *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        return out.decode()

    async def alive(self) -> bool:
        proc = await asyncio.create_subprocess_exec(
            "tmux", "-L", self.socket, "has-session", "-t", "tui",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        return await proc.wait() == 0

    async def wait_for(self, *texts: str) -> str:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SCREEN_TIMEOUT
        while True:
            screen = await self.tmux("capture-pane", "-p", "-t", "tui")
            if all(t in screen for t in texts):
                return screen
            assert loop.time() < deadline, f"never saw {texts} on the screen:\n{screen}"
            await asyncio.sleep(0.1)


@pytest.fixture
async def pane(tmp_path: Path) -> AsyncIterator[Pane]:
    made = Pane(f"cc-relay-test-{os.getpid()}-{tmp_path.name}")
    yield made
    proc = await asyncio.create_subprocess_exec(
        "tmux", "-L", made.socket, "kill-server",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await proc.wait()


async def test_cc_relay_tui_in_tmux_shows_the_relay(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory, config_path: Path, pane: Pane
) -> None:
    relay = await start(provider(emu, name="upstream-a"))
    await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    command = f"{entry_point()} tui --config {config_path} --url {relay.grpc_target}"
    await pane.tmux(
        "new-session", "-d", "-s", "tui", "-x", "100", "-y", "30",
        "-e", "TERM=xterm-256color", command,
    )  # fmt: skip
    await pane.wait_for(relay.grpc_target, "generation 1", "requests 1")
    await pane.tmux("send-keys", "-t", "tui", "2")
    await pane.wait_for("upstream-a", "closed", "healthy")
    await pane.tmux("send-keys", "-t", "tui", "3")
    await pane.wait_for("claude-opus-4-8", "200")
    await pane.tmux("send-keys", "-t", "tui", "?")
    await pane.wait_for("explain the routing for a model")
    await pane.tmux("send-keys", "-t", "tui", "Escape")
    await pane.wait_for("1234 views")
    await asyncio.sleep(0.2)  # past Textual's wait for the rest of an escape sequence
    await pane.tmux("send-keys", "-t", "tui", "q")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SCREEN_TIMEOUT
    while await pane.alive():
        assert loop.time() < deadline, "q did not quit"
        await asyncio.sleep(0.1)
