"""Relay keys, and which credential travels upstream."""

from __future__ import annotations

from typing import Any

import aiohttp
import anthropic
import pytest
from anthropic.types import MessageParam

from tests.conftest import RelayFactory, SdkFactory, provider, text_of
from tests.emulators import AnthropicEmulator

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "claude-opus-4-8"
RELAY_KEY = "relay-key-0123456789"
OAUTH = "sk-ant-oat01-abcdefghijklmnopqrstuvwxyz"


async def _post(url: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/v1/messages",
            headers=headers,
            json={"model": MODEL, "max_tokens": 5, "messages": USER},
        ) as resp:
            return resp.status, await resp.json()


@pytest.mark.parametrize("header", ["x-api-key", "bearer"])
async def test_relay_key_accepted_and_not_forwarded(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, header: str
) -> None:
    relay = await make_relay(
        provider(emu, keys=["sk-up-1"]), server={"auth": ["other-key", RELAY_KEY]}
    )
    if header == "x-api-key":
        client = sdk(relay, api_key=RELAY_KEY)
    else:
        client = sdk(relay, api_key=None, auth_token=RELAY_KEY)
    message = await client.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "pong"
    seen = emu.messages_requests[-1].headers
    assert seen["x-api-key"] == "sk-up-1"
    assert RELAY_KEY not in str(dict(seen))


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "wrong"}, {"authorization": "Bearer wrong"}, {"authorization": RELAY_KEY}],
)
async def test_wrong_or_missing_relay_key_is_401(
    make_relay: RelayFactory, emu: AnthropicEmulator, headers: dict[str, str]
) -> None:
    relay = await make_relay(provider(emu), server={"auth": [RELAY_KEY]})
    status, body = await _post(relay.url, headers)
    assert status == 401
    assert body["error"]["type"] == "authentication_error"
    assert "server.auth" in body["error"]["message"]
    assert emu.messages_requests == []


async def test_wrong_relay_key_through_sdk(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(emu), server={"auth": [RELAY_KEY]})
    with pytest.raises(anthropic.AuthenticationError):
        await sdk(relay, api_key="nope").models.list()


async def test_subscription_token_passes_through_with_relay_key(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    # A Pro/Max user: Claude Code sends its OAuth Bearer; the relay key rides in x-api-key.
    relay = await make_relay(provider(emu, keys=["sk-up-pooled"]), server={"auth": [RELAY_KEY]})
    status, _ = await _post(
        relay.url,
        {
            "x-api-key": RELAY_KEY,
            "authorization": f"Bearer {OAUTH}",
            "anthropic-beta": "oauth-2025-04-20",
        },
    )
    assert status == 200
    seen = emu.messages_requests[-1].headers
    assert seen["authorization"] == f"Bearer {OAUTH}"
    assert seen["anthropic-beta"] == "oauth-2025-04-20"
    assert "x-api-key" not in seen


async def test_subscription_token_passes_through_open_relay(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await make_relay(provider(emu))
    status, _ = await _post(
        relay.url, {"authorization": f"Bearer {OAUTH}", "anthropic-beta": "oauth-2025-04-20"}
    )
    assert status == 200
    seen = emu.messages_requests[-1].headers
    assert seen["authorization"] == f"Bearer {OAUTH}"
    assert "x-api-key" not in seen


async def test_client_api_key_passes_through_when_provider_has_none(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(emu))
    await sdk(relay, api_key="sk-ant-api03-client-own").messages.create(
        model=MODEL, max_tokens=5, messages=USER
    )
    # The SDK sends its key as a Bearer token; it travels in the header it came in.
    assert emu.messages_requests[-1].headers["authorization"] == ("Bearer sk-ant-api03-client-own")
    status, _ = await _post(relay.url, {"x-api-key": "sk-ant-api03-claude-code"})
    assert status == 200
    assert emu.messages_requests[-1].headers["x-api-key"] == "sk-ant-api03-claude-code"


async def test_client_credentials_never_reach_other_providers(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await make_relay(
        provider(emu, name="glm", type="zai", keys=["zai-key"], models=["claude-*"])
    )
    status, _ = await _post(relay.url, {"authorization": f"Bearer {OAUTH}"})
    assert status == 200
    request = emu.messages_requests[-1]
    assert "authorization" not in request.headers
    assert request.headers["x-api-key"] == "zai-key"
