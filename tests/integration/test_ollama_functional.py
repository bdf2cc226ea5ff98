"""Ollama's limits are enforced: stripped where harmless, refused where not."""

from __future__ import annotations

import anthropic
import pytest
from anthropic.types import ContentBlockParam, ToolUseBlock

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, body_of, provider
from tests.emulators import OllamaEmulator, Reply, text, thinking, tool_use

MODEL = "qwen3-coder"


@pytest.fixture
async def relay(make_relay: RelayFactory, ollama: OllamaEmulator) -> RelayServer:
    return await make_relay(provider(ollama, name="local", type="ollama", models=[MODEL]))


async def test_unsupported_fields_stripped(
    relay: RelayServer, ollama: OllamaEmulator, sdk: SdkFactory
) -> None:
    await sdk(relay).messages.create(
        model=MODEL,
        max_tokens=20,
        metadata={"user_id": "u1"},
        tool_choice={"type": "auto"},
        system=[{"type": "text", "text": "be brief", "cache_control": {"type": "ephemeral"}}],
        tools=[
            {
                "name": "Bash",
                "description": "run",
                "input_schema": {"type": "object"},
                "cache_control": {"type": "ephemeral"},
            }
        ],
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}],
            }
        ],
        extra_body={"future_field": 1},
    )
    sent = ollama.messages_requests[-1].json
    assert "metadata" not in sent and "tool_choice" not in sent
    assert "cache_control" not in str(sent)
    assert sent["system"][0]["text"] == "be brief"
    assert sent["tools"][0]["name"] == "Bash"
    assert sent["future_field"] == 1
    assert sent["model"] == MODEL


@pytest.mark.parametrize(
    ("block", "phrase"),
    [
        (
            {
                "type": "document",
                "source": {
                    "type": "base64",
                    "media_type": "application/pdf",
                    "data": "JVBERi0xLjQK",
                },
            },
            "PDF",
        ),
        (
            {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
            "PDF",
        ),
        ({"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}, "URL"),
    ],
)
async def test_unsupported_content_refused(
    relay: RelayServer,
    ollama: OllamaEmulator,
    sdk: SdkFactory,
    block: ContentBlockParam,
    phrase: str,
) -> None:
    with pytest.raises(anthropic.BadRequestError, match=phrase) as caught:
        await sdk(relay).messages.create(
            model=MODEL,
            max_tokens=20,
            messages=[{"role": "user", "content": [block, {"type": "text", "text": "read this"}]}],
        )
    assert "messages[0].content[0]" in body_of(caught.value)["error"]["message"]
    assert ollama.messages_requests == []


async def test_stream_with_unsigned_thinking_and_tool_call(
    relay: RelayServer, ollama: OllamaEmulator, sdk: SdkFactory
) -> None:
    ollama.enqueue(
        Reply(
            thinking("hmm"), text("ok"), tool_use("Bash", {"command": "ls"}), stop_reason="tool_use"
        )
    )
    async with sdk(relay).messages.stream(
        model=MODEL, max_tokens=50, messages=[{"role": "user", "content": "list files"}]
    ) as stream:
        final = await stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use"]
    tool_call = final.content[2]
    assert isinstance(tool_call, ToolUseBlock)
    assert tool_call.id.startswith("call_")
    assert tool_call.input == {"command": "ls"}
