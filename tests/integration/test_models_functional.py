"""Inventory endpoints: /v1/models (paged), /v1/models/{id}, /v1/providers, /health, /."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import anthropic
import pytest

from cc_relay.catalog import CLAUDE_MODELS
from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator, OllamaEmulator

CONFIGURED = [f"claude-test-{i:02d}" for i in range(25)]


@pytest.fixture
async def relay(
    make_relay: RelayFactory, emu: AnthropicEmulator, ollama: OllamaEmulator
) -> RelayServer:
    return await make_relay(
        provider(emu, models=[*CONFIGURED, "claude-*"]),
        provider(ollama, name="local", type="ollama", models=["qwen3-coder"]),
        provider(
            emu, name="zai", type="zai", models=["glm-4.6"], model_map={"claude-test-00": "glm-4.6"}
        ),
    )


async def test_models_list_pages_through_everything(relay: RelayServer, sdk: SdkFactory) -> None:
    client = sdk(relay)
    first = await client.models.list(limit=10)
    assert [m.id for m in first.data] == CONFIGURED[:10]
    assert first.has_more and first.first_id == CONFIGURED[0] and first.last_id == CONFIGURED[9]
    assert all(m.type == "model" and m.display_name for m in first.data)
    every = [m.id async for m in await client.models.list(limit=7)]
    assert every[:25] == CONFIGURED
    assert "qwen3-coder" in every and "glm-4.6" in every
    assert len(every) == len(set(every))
    back = await client.models.list(limit=5, before_id=CONFIGURED[10])
    assert [m.id for m in back.data] == CONFIGURED[5:10]


async def test_models_discovered_from_providers(
    make_relay: RelayFactory, ollama: OllamaEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(ollama, name="local", type="ollama"))
    ids = [m.id async for m in await sdk(relay).models.list(limit=1000)]
    assert ids and all(":latest" not in i for i in ids)
    message = await sdk(relay).messages.create(
        model=ids[0], max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.content


async def test_anthropic_models_discovered_with_key(
    make_relay: RelayFactory, sdk: SdkFactory
) -> None:
    async with AnthropicEmulator(require_key="sk-up-1", models=["claude-zeta-9"]) as upstream:
        relay = await make_relay(provider(upstream, keys=["sk-up-1"]))
        ids = [m.id async for m in await sdk(relay).models.list(limit=1000)]
    assert ids == ["claude-zeta-9"]


async def test_models_retrieve(relay: RelayServer, sdk: SdkFactory) -> None:
    model = await sdk(relay).models.retrieve("qwen3-coder")
    assert model.id == "qwen3-coder"
    with pytest.raises(anthropic.NotFoundError):
        await sdk(relay).models.retrieve("no-such-model")


async def test_models_bad_limit_is_400(relay: RelayServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{relay.url}/v1/models?limit=0") as resp:
            assert resp.status == 400
            assert (await resp.json())["error"]["type"] == "invalid_request_error"


async def test_providers_and_health(relay: RelayServer, emu: AnthropicEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{relay.url}/v1/providers") as resp:
            providers = (await resp.json())["data"]
        async with session.get(f"{relay.url}/health") as resp:
            health = await resp.json()
        for method in ("HEAD", "GET"):
            async with session.request(method, f"{relay.url}/") as resp:
                assert resp.status == 200
    assert [p["name"] for p in providers] == ["anthropic", "local", "zai"]
    assert providers[0]["base_url"] == emu.base_url
    assert providers[1]["type"] == "ollama" and "qwen3-coder" in providers[1]["models"]
    assert all(p["health"] == "healthy" for p in providers)
    assert health["status"] == "ok" and health["providers"] == 3


# --- a provider with no key of its own: the catalog, or what the client's credential lists ---


async def _ids(relay_url: str, headers: dict[str, str]) -> list[str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{relay_url}/v1/models?limit=1000", headers=headers) as resp:
            assert resp.status == 200
            return [m["id"] for m in (await resp.json())["data"]]


async def test_keyless_anthropic_lists_catalog_without_client_credential(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await make_relay(provider(emu))

    ids = await _ids(relay.url, {})

    assert ids == [m.id for m in CLAUDE_MODELS]
    assert {"claude-opus-4-8", "claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"} <= set(
        ids
    )
    assert not [r for r in emu.requests if r.path == "/v1/models"]


@pytest.mark.parametrize(
    "client_key, expected",
    [
        ("sk-client-1", ["claude-zeta-9"]),  # what the upstream lists to that credential
        ("wrong", [m.id for m in CLAUDE_MODELS]),  # refused upstream: the catalog
    ],
)
async def test_keyless_anthropic_asks_upstream_with_client_credential(
    make_relay: RelayFactory,
    sdk: Callable[..., anthropic.AsyncAnthropic],
    client_key: str,
    expected: list[str],
) -> None:
    async with AnthropicEmulator(require_key="sk-client-1", models=["claude-zeta-9"]) as upstream:
        relay = await make_relay(provider(upstream))
        ids = [m.id async for m in await sdk(relay, api_key=client_key).models.list(limit=1000)]
        again = [m.id async for m in await sdk(relay, api_key=client_key).models.list(limit=1000)]

    assert ids == expected and again == ids


async def test_models_callers_during_discovery_get_the_discovered_list(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    # The second caller arrives while the first is still asking the provider: it waits
    # for that answer instead of getting the list as it was before discovery.
    relay = await make_relay(provider(emu, name="a", keys=["sk-up-1"]))
    async with aiohttp.ClientSession() as session:

        async def ids() -> list[str]:
            async with session.get(f"{relay.url}/v1/models", params={"limit": "1000"}) as resp:
                return [m["id"] for m in (await resp.json())["data"]]

        first, second = await asyncio.gather(ids(), ids())
    assert first == second == list(emu.models)
