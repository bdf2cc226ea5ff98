"""Shared fixtures: emulators and the relay as real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from cc_relay.config.loading import validate
from cc_relay.server import RelayServer
from tests.emulators import AnthropicEmulator, EmulatorBase, OllamaEmulator

RelayFactory = Callable[..., Awaitable[RelayServer]]
SdkFactory = Callable[..., anthropic.AsyncAnthropic]


def provider(
    emu: EmulatorBase | str, name: str = "anthropic", type: str = "anthropic", **extra: Any
) -> dict[str, Any]:
    """A provider config entry pointing at an emulator (or any base URL)."""
    base_url = emu if isinstance(emu, str) else emu.base_url
    return {"name": name, "type": type, "base_url": base_url, **extra}


def text_of(block: object) -> str:
    """The text of a content block the test expects to be a text block."""
    assert isinstance(block, anthropic.types.TextBlock | anthropic.types.beta.BetaTextBlock), block
    return block.text


def body_of(error: anthropic.APIStatusError) -> dict[str, Any]:
    """The JSON body of an SDK error (the SDK types it as `object`)."""
    assert isinstance(error.body, dict), error.body
    return error.body


@pytest.fixture(autouse=True, scope="session")
def _ledger_in_temp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every relay the suite starts writes its usage ledger under a temporary
    XDG_DATA_HOME, never into the real HOME."""
    before = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if before is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = before


@pytest.fixture
async def emu() -> AsyncIterator[AnthropicEmulator]:
    async with AnthropicEmulator() as server:
        yield server


@pytest.fixture
async def emu2() -> AsyncIterator[AnthropicEmulator]:
    async with AnthropicEmulator() as server:
        yield server


@pytest.fixture
async def ollama() -> AsyncIterator[OllamaEmulator]:
    async with OllamaEmulator() as server:
        yield server


#: Seconds a relay of the suite gets to close: its drain (shutdown_grace, 10 s by
#: default) plus its final writes, with room to spare.
CLOSE_PATIENCE = 30.0


async def close_in_time(relay: RelayServer) -> None:
    """``relay.close()``, failing with every unfinished task's stack if it hangs: a
    close that never returns must say where it waits, not just hit the test timeout."""
    closing = asyncio.ensure_future(relay.close())
    done, _ = await asyncio.wait([closing], timeout=CLOSE_PATIENCE)
    if closing in done:
        closing.result()
        return
    stacks = [
        f"--- {task.get_name()}\n{_awaiting(task)}"
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
    ]
    closing.cancel()
    tasks = "\n".join(stacks)
    pytest.fail(f"relay.close() did not finish in {CLOSE_PATIENCE:g} s; tasks:\n{tasks}")


def _awaiting(task: asyncio.Task[Any]) -> str:
    """Where a task waits, down its whole chain of awaits (``Task.print_stack`` shows
    only the outermost coroutine's frame)."""
    lines = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "ag_frame", None)
        if frame is not None:
            lines.append(f"  {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "ag_await", None)
    return "\n".join(lines)


@pytest.fixture
async def make_relay(tmp_path: Path) -> AsyncIterator[RelayFactory]:
    """Start a relay from provider entries (and optional config sections); each test's
    relays share one usage ledger in the test's tmp_path unless ``ledger`` says."""
    servers: list[RelayServer] = []

    async def make(*providers: dict[str, Any], **sections: Any) -> RelayServer:
        server_section = {"listen": "127.0.0.1:0", **sections.pop("server", {})}
        admin_section = {"grpc_listen": "127.0.0.1:0", **sections.pop("admin", {})}
        sections["ledger"] = {"path": str(tmp_path / "usage.db"), **sections.get("ledger", {})}
        config = validate(
            {"server": server_section, "admin": admin_section, "providers": list(providers),
             **sections},
            source="test",
        )  # fmt: skip
        relay = RelayServer(config)
        await relay.start()
        servers.append(relay)
        return relay

    yield make
    for relay in servers:
        await close_in_time(relay)


@pytest.fixture
async def relay(make_relay: RelayFactory, emu: AnthropicEmulator) -> RelayServer:
    """A relay with one Anthropic provider (key ``sk-up-1``) in front of ``emu``."""
    return await make_relay(provider(emu, keys=["sk-up-1"]))


@pytest.fixture
async def sdk() -> AsyncIterator[SdkFactory]:
    """Official SDK clients (no retries), closed after the test."""
    clients: list[anthropic.AsyncAnthropic] = []

    def make(
        base_url: str | RelayServer, api_key: str = "client-key", **kwargs: Any
    ) -> anthropic.AsyncAnthropic:
        url = base_url if isinstance(base_url, str) else base_url.url
        client = anthropic.AsyncAnthropic(base_url=url, api_key=api_key, max_retries=0, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
