"""Hot reload through real sockets: edit the file of a running relay, and nothing is lost."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import pytest
import yaml
from anthropic.types import MessageParam

from cc_relay.config import load_config
from cc_relay.server import RelayServer
from tests.conftest import SdkFactory, text_of
from tests.emulators import AnthropicEmulator, Fail, Reply, text

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "claude-opus-4-8"
#: How long a file edit may take to show (debounce 200 ms plus the watcher's own steps).
SEEN_WITHIN = 10.0

Starter = Callable[..., Awaitable[tuple[RelayServer, Path]]]


def _provider(emu: AnthropicEmulator, name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "anthropic", "base_url": emu.base_url, **extra}


def write_config(path: Path, *providers: dict[str, Any], **sections: Any) -> None:
    """Write like an editor that saves to a temporary file and renames it over the old."""
    server = {"listen": "127.0.0.1:0", **sections.pop("server", {})}
    document = {"server": server, "providers": list(providers), **sections}
    temporary = path.with_name(f".{path.name}.swp")
    temporary.write_text(yaml.safe_dump(document), encoding="utf-8")
    os.replace(temporary, path)


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Starter]:
    """Start a relay from a config file written with ``write_config``."""
    servers: list[RelayServer] = []

    async def make(*providers: dict[str, Any], **sections: Any) -> tuple[RelayServer, Path]:
        path = tmp_path / "cc-relay.yaml"
        write_config(path, *providers, **sections)
        relay = RelayServer(load_config(path), config_path=path)
        await relay.start()
        servers.append(relay)
        return relay, path

    yield make
    for relay in servers:
        await relay.close()


async def get(relay: RelayServer, path: str) -> Any:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{relay.url}{path}") as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()


async def reload_now(relay: RelayServer) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{relay.url}/v1/relay/reload", json={}) as resp:
            assert resp.status == 200
            answer: dict[str, Any] = await resp.json()
            return answer


async def until(check: Callable[[], Awaitable[bool]], within: float = SEEN_WITHIN) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the change never showed"
        await asyncio.sleep(0.05)


async def _ask(client: anthropic.AsyncAnthropic, model: str = MODEL) -> str:
    message = await client.messages.create(model=model, max_tokens=5, messages=USER)
    return text_of(message.content[0])


async def test_editing_the_file_changes_models_and_providers(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay, path = await start(_provider(emu, "a", models=["claude-opus-4-8"]))
    assert [m["id"] for m in (await get(relay, "/v1/models"))["data"]] == ["claude-opus-4-8"]
    write_config(
        path,
        _provider(emu, "a", models=["claude-opus-4-8"]),
        _provider(emu2, "b", models=["glm-4.6"]),
    )

    async def listed() -> bool:
        models = [m["id"] for m in (await get(relay, "/v1/models"))["data"]]
        return models == ["claude-opus-4-8", "glm-4.6"]

    await until(listed)
    providers = (await get(relay, "/v1/providers"))["data"]
    assert [p["name"] for p in providers] == ["a", "b"]
    assert await _ask(sdk(relay), "glm-4.6") == "pong" and len(emu2.messages_requests) == 1
    status = await get(relay, "/v1/relay/status")
    assert status["generation"] == 2 and status["last_reload"]["ok"] is True
    assert "provider added: b" in status["last_reload"]["changes"]


async def test_cooldown_survives_a_reload_that_adds_an_unrelated_provider(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    keys = ["key-a", "key-b"]
    relay, path = await start(_provider(emu, "a", keys=keys, key_selection="round-robin"))
    emu.enqueue(Fail(429, retry_after=60))
    assert await _ask(sdk(relay)) == "pong"
    rested = emu.messages_requests[0].headers["x-api-key"]
    write_config(
        path,
        _provider(emu, "a", keys=keys, key_selection="round-robin"),
        _provider(emu2, "other", models=["glm-4.6"]),
    )
    assert (await reload_now(relay))["ok"] is True
    for _ in range(4):
        await _ask(sdk(relay))
    used = [r.headers["x-api-key"] for r in emu.messages_requests[2:]]
    assert rested not in used, "the key cooled down by the 429 is still resting"
    (a,) = [p for p in (await get(relay, "/v1/providers"))["data"] if p["name"] == "a"]
    cooling = [k for k in a["keys"] if k["cooldown_left"] > 0]
    assert len(cooling) == 1 and cooling[0]["cooldown_left"] > 50


async def test_open_circuit_stays_open_across_a_reload(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    entries = (
        _provider(emu, "primary", priority=2, circuit={"failure_threshold": 2}),
        _provider(emu2, "backup", priority=1),
    )
    relay, path = await start(*entries, routing={"strategy": "failover"})
    emu.enqueue(Fail(529), Fail(529))
    for _ in range(2):
        await _ask(sdk(relay))
    write_config(path, *entries, routing={"strategy": "failover"}, aliases={"x": MODEL})
    answer = await reload_now(relay)
    assert answer["ok"] is True and answer["changes"] == ["aliases changed"]
    (primary,) = [p for p in (await get(relay, "/v1/providers"))["data"] if p["name"] == "primary"]
    assert primary["health"] == "failing"
    await _ask(sdk(relay))
    assert len(emu.messages_requests) == 2, "an open circuit gets no traffic after a reload"


async def test_lowered_rpm_limit_applies_at_once_without_refilling(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay, path = await start(_provider(emu, "a", keys=[{"key": "k", "rpm_limit": 10}]))
    for _ in range(6):
        await _ask(sdk(relay))
    write_config(path, _provider(emu, "a", keys=[{"key": "k", "rpm_limit": 5}]))
    assert (await reload_now(relay))["ok"] is True
    (a,) = (await get(relay, "/v1/providers"))["data"]
    (bucket,) = [b for b in a["keys"][0]["buckets"] if b["kind"] == "requests"]
    # 6 of 10 used is 60%: of 5, that leaves 2 (plus a sliver refilled since).
    assert bucket["capacity"] == 5 and 2 <= bucket["remaining"] < 2.5
    await _ask(sdk(relay))
    await _ask(sdk(relay))
    with pytest.raises(anthropic.RateLimitError):
        await _ask(sdk(relay))
    assert len(emu.messages_requests) == 8


async def test_a_reload_loop_never_refills_a_bucket(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay, path = await start(_provider(emu, "a", keys=[{"key": "k", "rpm_limit": 2}]))
    await _ask(sdk(relay))
    await _ask(sdk(relay))
    for limit in (3, 2, 3, 2):
        write_config(path, _provider(emu, "a", keys=[{"key": "k", "rpm_limit": limit}]))
        assert (await reload_now(relay))["ok"] is True
    with pytest.raises(anthropic.RateLimitError):
        await _ask(sdk(relay))
    assert len(emu.messages_requests) == 2


async def test_invalid_edit_keeps_the_old_config_serving_and_reports_the_error(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay, path = await start(_provider(emu, "a"))
    await asyncio.sleep(0.5)  # the watcher starts watching a moment after the relay starts
    path.write_text("providers:\n  - name: a\n    type: anthropic\n    stratgy: x\n", "utf-8")

    async def reported() -> bool:
        last = (await get(relay, "/v1/relay/status"))["last_reload"]
        return last is not None and last["ok"] is False

    await until(reported)
    status = await get(relay, "/v1/relay/status")
    error = status["last_reload"]["error"]
    assert str(path) in error and "providers[0].stratgy" in error
    assert status["generation"] == 1
    assert await _ask(sdk(relay)) == "pong", "the running config still serves"


async def test_stream_in_flight_during_a_reload_completes(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay, path = await start(_provider(emu, "a"))
    emu.enqueue(Reply(text("slow and steady"), stall_after_events=(2, 0.6)))
    client = sdk(relay)
    async with client.messages.stream(model=MODEL, max_tokens=5, messages=USER) as stream:
        await asyncio.sleep(0.1)
        # The provider is replaced by one with another base URL: a new session for new
        # requests, while the old one carries this stream to its end.
        write_config(path, _provider(emu2, "a"))
        assert (await reload_now(relay))["ok"] is True
        message = await stream.get_final_message()
    assert text_of(message.content[0]) == "slow and steady"
    assert await _ask(client) == "pong" and len(emu2.messages_requests) == 1


async def test_reload_without_a_config_file_says_so(
    emu: AnthropicEmulator,
) -> None:
    from cc_relay.config.loading import validate

    config = validate(
        {"server": {"listen": "127.0.0.1:0"}, "providers": [_provider(emu, "a")]}, source="t"
    )
    async with RelayServer(config) as relay:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{relay.url}/v1/relay/reload", json={}) as resp:
                assert resp.status == 409
                assert "no config file" in (await resp.json())["error"]["message"]
