"""Shared fixtures: emulators and the relay as real servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
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


@pytest.fixture
async def make_relay() -> AsyncIterator[RelayFactory]:
    """Start a relay from provider entries (and optional config sections)."""
    servers: list[RelayServer] = []

    async def make(*providers: dict[str, Any], **sections: Any) -> RelayServer:
        server_section = {"listen": "127.0.0.1:0", **sections.pop("server", {})}
        admin_section = {"grpc_listen": "127.0.0.1:0", **sections.pop("admin", {})}
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
        await relay.close()


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
