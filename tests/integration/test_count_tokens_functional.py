"""count_tokens: forwarded where the provider has it, estimated where it does not."""

from __future__ import annotations

import anthropic
import pytest
from anthropic.types import MessageParam

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator, Fail, OllamaEmulator

MESSAGES: list[MessageParam] = [
    {"role": "user", "content": "How many tokens is this sentence, roughly?"}
]


async def test_count_tokens_forwarded_to_anthropic(
    relay: RelayServer, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    result = await sdk(relay).messages.count_tokens(model="claude-opus-4-8", messages=MESSAGES)
    recorded = emu.requests[-1]
    assert recorded.path == "/v1/messages/count_tokens"
    assert result.input_tokens == len(recorded.body) // 4


async def test_count_tokens_upstream_error_forwarded(
    relay: RelayServer, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    emu.enqueue_count(Fail(400, message="bad count"))
    with pytest.raises(anthropic.BadRequestError, match="bad count"):
        await sdk(relay).messages.count_tokens(model="claude-opus-4-8", messages=MESSAGES)


async def test_count_tokens_estimated_for_ollama(
    make_relay: RelayFactory, ollama: OllamaEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(ollama, name="local", type="ollama", models=["qwen3-coder"]))
    short = await sdk(relay).messages.count_tokens(model="qwen3-coder", messages=MESSAGES)
    long = await sdk(relay).messages.count_tokens(
        model="qwen3-coder", messages=[{"role": "user", "content": "word " * 1000}]
    )
    assert 5 <= short.input_tokens < 40
    assert 1000 <= long.input_tokens <= 2500
    assert ollama.requests == [] or all(
        r.path != "/v1/messages/count_tokens" for r in ollama.requests
    )
