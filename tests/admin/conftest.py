"""A relay with a config file (the config RPCs write it) and admin clients for it."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import grpc
import pytest
import yaml
from anthropic.types import MessageParam

from cc_relay.admin.v1 import admin_pb2_grpc
from cc_relay.config import load_config
from cc_relay.server import RelayServer
from tests.conftest import SdkFactory, close_in_time, provider
from tests.emulators import AnthropicEmulator, Fail, Reply, text

if TYPE_CHECKING:
    # Only the type stubs name the stub a grpc.aio channel gives.
    from cc_relay.admin.v1.admin_pb2_grpc import AdminAsyncStub

Starter = Callable[..., Awaitable[RelayServer]]
StubFactory = Callable[..., "AdminAsyncStub"]
_HI: list[MessageParam] = [{"role": "user", "content": "hi"}]


def write_config(path: Path, *providers: dict[str, Any], **sections: Any) -> None:
    """Write like an editor: a temporary file renamed over the old one."""
    document = {
        "server": {"listen": "127.0.0.1:0", "watch_config": False, **sections.pop("server", {})},
        "admin": {"grpc_listen": "127.0.0.1:0", **sections.pop("admin", {})},
        # A ledger of this test's own: requests past the memory log are read from it.
        "ledger": {"path": str(path.with_name("usage.db")), **sections.pop("ledger", {})},
        "providers": list(providers),
        **sections,
    }
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(yaml.safe_dump(document), encoding="utf-8")
    os.replace(temporary, path)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "cc-relay.yaml"


@pytest.fixture
async def start(config_path: Path) -> AsyncIterator[Starter]:
    """Start a relay from a config file written with ``write_config``."""
    servers: list[RelayServer] = []

    async def make(*providers: dict[str, Any], **sections: Any) -> RelayServer:
        write_config(config_path, *providers, **sections)
        relay = RelayServer(load_config(config_path), config_path=config_path)
        await relay.start()
        servers.append(relay)
        return relay

    yield make
    for relay in servers:
        await close_in_time(relay)


@pytest.fixture
async def stub() -> AsyncIterator[StubFactory]:
    """gRPC stubs on channels closed after the test."""
    channels: list[grpc.aio.Channel] = []

    def make(relay: RelayServer) -> AdminAsyncStub:
        channel = grpc.aio.insecure_channel(relay.grpc_target)
        channels.append(channel)
        return admin_pb2_grpc.AdminStub(channel)

    yield make
    for channel in channels:
        await channel.close()


async def post_json(
    relay: RelayServer, method: str, body: Any = None, *, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """POST a JSON-twin call; (HTTP status, decoded JSON)."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/cc_relay.admin.v1.Admin/{method}", json=body or {}, headers=headers
        ) as resp:
            return resp.status, await resp.json()


async def open_circuit(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> RelayServer:
    """A relay where provider ``a`` (in front of ``emu``) failed once and so has an open
    circuit for ten minutes, with no prober to close it; ``b`` answered instead."""
    relay = await start(
        provider(emu, name="a", circuit={"failure_threshold": 1, "cooldown": 600},
                 health_probe={"enabled": False}),
        provider(emu2, name="b"),
        routing={"strategy": "failover"},
    )  # fmt: skip
    emu.enqueue(Fail(500))
    emu2.enqueue(Reply(text("from b")))
    await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=_HI)
    return relay


async def settled(relay: RelayServer) -> None:
    """Let every event subscriber catch up with what was published, and the ledger
    write what it recorded: its count of rows written is in GetStatus, and would move
    between two calls that are compared."""
    await relay.holder.events.flush()
    writer = relay.holder.ledger.writer
    if writer is not None:
        await asyncio.to_thread(writer.flush, 2.0)


async def failing_ledger_and_redis(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory, tmp_path: Path
) -> RelayServer:
    """A relay that serves while its ledger cannot write (its folder is a file) and its
    Redis is a port nobody listens on; one request answered, so one row waits."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    relay = await start(
        provider(emu, name="a"),
        ledger={"path": str(blocker / "usage.db")},
        state={"backend": "redis", "url": f"redis://127.0.0.1:{dead}/0"},
    )
    await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=_HI)
    return relay
