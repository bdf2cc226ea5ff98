"""POST /v1/messages through the relay, judged by the official SDK and the emulator."""

from __future__ import annotations

import gzip
from typing import Any

import aiohttp
import orjson
import pytest
from anthropic.types import Message, MessageParam, ToolUseBlock

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, provider, text_of
from tests.emulators import AnthropicEmulator, Raw, Reply, text, thinking, tool_use

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]


async def test_create_returns_upstream_message(
    relay: RelayServer, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    emu.enqueue(Reply(text("hello from upstream"), input_tokens=21, output_tokens=5))
    message = await sdk(relay).messages.create(
        model="claude-opus-4-8", max_tokens=50, messages=USER
    )
    assert text_of(message.content[0]) == "hello from upstream"
    assert message.model == "claude-opus-4-8"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (21, 5)


async def test_body_bytes_reach_upstream_unchanged(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    body = (
        b'{"model":"claude-opus-4-8","max_tokens":64000,"stream":false,'
        b'"future_field":{"x":[1,2.50,"\\u00e9"]},'
        b'"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],'
        b'"messages":[{"role":"user","content":"hi"},{"role":"system","content":"note"},'
        b'{"role":"assistant","content":[{"type":"thinking","thinking":"t",'
        b'"signature":"EqQBCkYIBxgCKkAsig=="},{"type":"tool_use","id":"toolu_01A-b_c",'
        b'"name":"Bash","input":{"command":"ls"}}]},{"role":"user","content":['
        b'{"type":"tool_result","tool_use_id":"toolu_01A-b_c","content":"ok",'
        b'"cache_control":{"type":"ephemeral"}}]}]}'
    )
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages?beta=true",
            data=body,
            headers={"content-type": "application/json", "anthropic-version": "2023-06-01"},
        ) as resp:
            assert resp.status == 200
    seen = emu.messages_requests[-1]
    assert seen.body == body
    assert seen.query == {"beta": "true"}


async def test_headers_forwarded_and_credentials_replaced(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    beta = "oauth-2025-04-20,interleaved-thinking-2025-05-14,some-future-beta"
    headers = {
        "x-api-key": "client-key",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": beta,
        "x-claude-code-session-id": "sess-1",
        "user-agent": "claude-cli/2.1.197 (external, cli)",
        "x-app": "cli",
        "accept-encoding": "gzip, deflate, br, zstd",
        "connection": "keep-alive",
        "keep-alive": "timeout=5",
        "te": "trailers",
        "cookie": "a=b",
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            headers=headers,
            json={"model": "claude-x", "max_tokens": 5, "messages": USER},
        ) as resp:
            assert resp.status == 200
    seen = emu.messages_requests[-1].headers
    assert seen["anthropic-version"] == "2023-06-01"
    assert seen["anthropic-beta"] == beta
    assert seen["x-claude-code-session-id"] == "sess-1"
    assert seen["user-agent"] == "claude-cli/2.1.197 (external, cli)"
    assert seen["x-app"] == "cli"
    assert seen["x-api-key"] == "sk-up-1"
    assert seen["accept-encoding"] == "identity"
    for dropped in ("keep-alive", "te", "cookie", "authorization"):
        assert dropped not in seen


@pytest.mark.parametrize("sent, forwarded", [(None, "2023-06-01"), ("2026-10-21", "2026-10-21")])
async def test_anthropic_version_added_only_when_missing(
    relay: RelayServer, emu: AnthropicEmulator, sent: str | None, forwarded: str
) -> None:
    # Anthropic answers 400 without one; curl users often leave it out.
    headers = {"anthropic-version": sent} if sent else {}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            headers=headers,
            json={"model": "claude-x", "max_tokens": 5, "messages": USER},
        ) as resp:
            assert resp.status == 200
    assert emu.messages_requests[-1].headers["anthropic-version"] == forwarded


async def test_response_headers_returned(relay: RelayServer, emu: AnthropicEmulator) -> None:
    emu.enqueue(
        Reply(
            text("x"),
            headers={
                "request-id": "req_upstream_1",
                "anthropic-ratelimit-requests-remaining": "41",
            },
        )
    )
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={"model": "claude-x", "max_tokens": 5, "messages": USER},
        ) as resp:
            assert resp.headers["request-id"] == "req_upstream_1"
            assert resp.headers["anthropic-ratelimit-requests-remaining"] == "41"
            assert "anthropic-ratelimit-tokens-limit" in resp.headers
            assert resp.headers["content-type"].startswith("application/json")


async def test_gzip_answer_is_decoded_before_forwarding(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    # The relay asks upstream for identity; an upstream that compresses anyway is decoded,
    # so bytes and headers always agree (and usage and the model name can be read).
    relay = await make_relay(provider(emu))
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [{"type": "text", "text": "zipped"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    emu.enqueue(
        Raw(
            gzip.compress(orjson.dumps(message)),
            content_type="application/json",
            headers={"content-encoding": "gzip"},
        )
    )
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={"model": "claude-x", "max_tokens": 5, "messages": USER},
            headers={"accept-encoding": "gzip"},
        ) as resp:
            raw = await resp.read()
            # Decoded by the relay (it reads usage and the model): plain bytes, no header.
            assert "content-encoding" not in resp.headers
    assert orjson.loads(raw)["content"][0]["text"] == "zipped"


async def test_stream_text_matches_upstream_events(
    relay: RelayServer, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    emu.enqueue(Reply(text("streamed words arrive in pieces")))
    async with sdk(relay).messages.stream(
        model="claude-opus-4-8", max_tokens=50, messages=USER
    ) as stream:
        pieces = [event.text async for event in stream if event.type == "text"]
        final = await stream.get_final_message()
    assert "".join(pieces) == "streamed words arrive in pieces"
    assert len(pieces) > 1
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


async def test_stream_bytes_identical_to_direct(relay: RelayServer, emu: AnthropicEmulator) -> None:
    reply = Reply(
        text("same bytes"),
        tool_use("Bash", {"command": "ls -la"}, id="toolu_01Xy"),
        stop_reason="tool_use",
    )
    body = {"model": "claude-opus-4-8", "max_tokens": 50, "messages": USER, "stream": True}
    chunks: dict[str, list[bytes]] = {}
    async with aiohttp.ClientSession() as session:
        for name, base in (("direct", emu.base_url), ("relay", relay.url)):
            emu.enqueue(reply)
            async with session.post(f"{base}/v1/messages", json=body) as resp:
                assert resp.headers["content-type"].startswith("text/event-stream")
                chunks[name] = [c async for c in resp.content.iter_any()]

    def normalise(raw: bytes) -> bytes:
        # The emulator mints a fresh message id per answer; everything else must match.
        events = raw.split(b"\n\n")
        start = orjson.loads(events[0].split(b"data: ", 1)[1])
        return raw.replace(start["message"]["id"].encode(), b"msg_X")

    direct, relayed = b"".join(chunks["direct"]), b"".join(chunks["relay"])
    assert normalise(relayed) == normalise(direct)


async def test_stream_events_flushed_as_they_arrive(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    # The upstream drips one event every 50 ms: a relay that buffers would deliver them
    # in one lump at the end.
    emu.enqueue(Reply(text("one two three four five six"), drip=0.05))
    body = {"model": "claude-opus-4-8", "max_tokens": 50, "messages": USER, "stream": True}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{relay.url}/v1/messages", json=body) as resp:
            chunks = [c async for c in resp.content.iter_any()]
    events = b"".join(chunks).count(b"\n\n")
    assert events >= 8
    assert len(chunks) >= events - 2


async def test_stream_tool_use_input_json_delta(
    relay: RelayServer, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    command = {"command": "echo hello && ls -la /tmp", "description": "list"}
    emu.enqueue(
        Reply(
            text("Let me check."),
            tool_use("Bash", command, id="toolu_01AbC-d_e"),
            stop_reason="tool_use",
        )
    )
    async with sdk(relay).messages.stream(
        model="claude-opus-4-8", max_tokens=50, messages=USER
    ) as stream:
        deltas = [e async for e in stream if e.type == "input_json"]
        final = await stream.get_final_message()
    assert len(deltas) > 1
    block = final.content[1]
    assert isinstance(block, ToolUseBlock)
    assert (block.type, block.id, block.name, block.input) == (
        "tool_use",
        "toolu_01AbC-d_e",
        "Bash",
        command,
    )
    assert final.stop_reason == "tool_use"


async def test_stream_thinking_with_signature(
    relay: RelayServer, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    emu.enqueue(
        Reply(thinking("Let me think about this carefully.", signature="EqQBsig+/=="), text("42"))
    )
    async with sdk(relay).messages.stream(
        model="claude-opus-4-8",
        max_tokens=2000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=USER,
    ) as stream:
        final = await stream.get_final_message()
    assert final.content[0].type == "thinking"
    assert final.content[0].thinking == "Let me think about this carefully."
    assert final.content[0].signature == "EqQBsig+/=="
    assert text_of(final.content[1]) == "42"


@pytest.mark.parametrize("stream", [False, True])
async def test_model_map_answers_with_client_model(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, stream: bool
) -> None:
    relay = await make_relay(
        provider(emu, models=["claude-*"], model_map={"my-fast-model": "claude-haiku-4-8"})
    )
    client = sdk(relay)
    kwargs: dict[str, Any] = {"model": "my-fast-model", "max_tokens": 20, "messages": USER}
    message: Message
    if stream:
        async with client.messages.stream(**kwargs) as s:
            message = await s.get_final_message()
    else:
        message = await client.messages.create(**kwargs)
    assert emu.messages_requests[-1].json["model"] == "claude-haiku-4-8"
    assert message.model == "my-fast-model"


async def test_large_body_accepted(
    relay: RelayServer, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    big = "x" * (8 * 1024 * 1024)
    message = await sdk(relay).messages.create(
        model="claude-opus-4-8", max_tokens=5, messages=[{"role": "user", "content": big}]
    )
    assert text_of(message.content[0])
    assert len(emu.messages_requests[-1].body) > 8 * 1024 * 1024
