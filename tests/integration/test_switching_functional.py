"""Switching models mid-conversation: across providers, with thinking in the history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import aiohttp
import anthropic
import pytest
from anthropic.types import Message, MessageParam, ThinkingConfigParam, ToolUseBlock

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, provider, text_of
from tests.emulators import AnthropicEmulator, OllamaEmulator, Reply, text, thinking, tool_use

OPUS = "claude-opus-4-8"
THINK: ThinkingConfigParam = {"type": "enabled", "budget_tokens": 2048}


@pytest.fixture
async def strict() -> AsyncIterator[AnthropicEmulator]:
    async with AnthropicEmulator(verify_signatures=True) as server:
        yield server


@pytest.fixture
async def glm() -> AsyncIterator[AnthropicEmulator]:
    async with AnthropicEmulator(verify_signatures=True) as server:
        yield server


@pytest.fixture
async def relay(
    make_relay: RelayFactory,
    strict: AnthropicEmulator,
    glm: AnthropicEmulator,
    ollama: OllamaEmulator,
) -> RelayServer:
    return await make_relay(
        provider(strict),
        provider(glm, name="zai", type="zai"),
        provider(ollama, name="ollama", type="ollama", models=["qwen3-coder"]),
        aliases={"haiku": "zai/glm-4.5-air"},
        routing={"prefix_non_claude_models": True},
    )


def _assistant(message: Message) -> MessageParam:
    # The response blocks, dumped, are the request blocks that send them back.
    return cast(
        MessageParam,
        {
            "role": "assistant",
            "content": [b.model_dump(exclude_none=True) for b in message.content],
        },
    )


async def test_conversation_across_three_providers_keeps_signatures_valid(
    relay: RelayServer,
    strict: AnthropicEmulator,
    glm: AnthropicEmulator,
    ollama: OllamaEmulator,
    sdk: SdkFactory,
) -> None:
    client = sdk(relay)
    history: list[MessageParam] = [{"role": "user", "content": "start"}]
    strict.enqueue(
        Reply(thinking("anthropic thought", signature="sig-anthropic-1"), text("from claude"))
    )
    first = await client.messages.create(
        model=OPUS, max_tokens=4000, thinking=THINK, messages=history
    )
    history += [_assistant(first), {"role": "user", "content": "now glm"}]

    glm.enqueue(Reply(thinking("glm thought", signature="sig-glm-1"), text("from glm")))
    async with client.messages.stream(
        model="glm-4.6", max_tokens=4000, thinking=THINK, messages=history
    ) as stream:
        second = await stream.get_final_message()
    assert second.model == "glm-4.6"
    sent_to_glm = glm.messages_requests[-1].json["messages"]
    assert sent_to_glm[1]["content"] == [{"type": "text", "text": "from claude"}]
    history += [_assistant(second), {"role": "user", "content": "now ollama, use a tool"}]

    ollama.enqueue(
        Reply(
            thinking("local thought"), tool_use("Bash", {"command": "ls"}), stop_reason="tool_use"
        )
    )
    third = await client.messages.create(
        model="ollama/qwen3-coder", max_tokens=4000, thinking=THINK, messages=history
    )
    assert third.model == "ollama/qwen3-coder"
    sent_to_ollama = ollama.messages_requests[-1].json["messages"]
    assert all(
        b["type"] != "thinking"
        for m in sent_to_ollama
        if m["role"] == "assistant"
        for b in m["content"]
    )
    tool_use_block = third.content[1]
    assert isinstance(tool_use_block, ToolUseBlock)
    tool_id = tool_use_block.id
    history += [
        _assistant(third),
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "a.txt"}],
        },
    ]

    # Back to Claude mid tool loop: its own thinking stays byte-exact, foreign thinking
    # goes, and thinking is switched off because the last turn lost its thinking.
    strict.enqueue(Reply(text("done")))
    fourth = await client.messages.create(
        model=OPUS, max_tokens=4000, thinking=THINK, messages=history
    )
    assert text_of(fourth.content[0]) == "done"
    sent = strict.messages_requests[-1].json
    assert sent["messages"][1]["content"][0]["signature"] == "sig-anthropic-1"
    assert sent["messages"][3]["content"] == [{"type": "text", "text": "from glm"}]
    assert sent["messages"][5]["content"][0]["type"] == "tool_use"
    assert sent["messages"][5]["content"][0]["id"] == tool_id
    assert sent["messages"][6]["content"][0]["tool_use_id"] == tool_id
    assert "thinking" not in sent


async def test_without_the_guard_the_emulator_would_refuse(
    strict: AnthropicEmulator, sdk: SdkFactory
) -> None:
    # The judge is real: the strict emulator refuses a foreign signature directly.
    with pytest.raises(anthropic.BadRequestError, match="Invalid `signature`"):
        await sdk(strict.base_url).messages.create(
            model=OPUS,
            max_tokens=100,
            messages=[
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "x", "signature": "sig-glm-1"},
                        {"type": "text", "text": "a"},
                    ],
                },
                {"role": "user", "content": "q2"},
            ],
        )


async def test_alias_and_discovery_ids_answer_with_client_model(
    relay: RelayServer, glm: AnthropicEmulator, sdk: SdkFactory
) -> None:
    client = sdk(relay)
    for model in ("haiku", "anthropic/zai/glm-4.6"):
        message = await client.messages.create(
            model=model, max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
        assert message.model == model
    assert [r.json["model"] for r in glm.messages_requests] == ["glm-4.5-air", "glm-4.6"]


async def test_gateway_discovery_lists_prefixed_models(relay: RelayServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{relay.url}/v1/models?limit=1000") as resp:
            ids = [m["id"] for m in (await resp.json())["data"]]
    assert "anthropic/ollama/qwen3-coder" in ids
    assert "haiku" in ids
    kept = [i for i in ids if i.startswith(("claude", "anthropic"))]
    assert "anthropic/ollama/qwen3-coder" in kept


async def test_unknown_model_lists_available(relay: RelayServer, sdk: SdkFactory) -> None:
    with pytest.raises(anthropic.NotFoundError, match="qwen3-coder"):
        await sdk(relay).messages.create(
            model="gpt-9", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
