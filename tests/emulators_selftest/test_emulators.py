"""The emulators, driven directly by the official `anthropic` SDK (no relay in between).

If these pass, a relay test that fails against an emulator is failing because of the relay.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anthropic
import httpx2
import pytest
from anthropic.types import MessageParam

from tests import emulators
from tests.conftest import body_of, text_of
from tests.emulators import (
    AnthropicEmulator,
    Drop,
    Fail,
    OllamaEmulator,
    Raw,
    Reply,
    redacted_thinking,
    text,
    thinking,
    tool_use,
)

MODEL = "claude-opus-4-8"
"""Not `claude-sonnet-4-5`: SDK 2.12 warns that it is deprecated, and warnings are errors."""
HI: list[MessageParam] = [{"role": "user", "content": "hi"}]


@pytest.fixture
async def emu() -> AsyncIterator[AnthropicEmulator]:
    async with AnthropicEmulator() as emulator:
        yield emulator


@pytest.fixture
async def ollama() -> AsyncIterator[OllamaEmulator]:
    async with OllamaEmulator() as emulator:
        yield emulator


def sdk(base_url: str, api_key: str = "sk-test", **kwargs: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=base_url, api_key=api_key, max_retries=0, **kwargs)


async def raw_post(url: str, body: dict[str, Any], **kwargs: Any) -> tuple[int, Any, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, **kwargs) as response,
    ):
        return response.status, response.headers.copy(), await response.read()


def parse_sse(raw: bytes) -> list[tuple[str, str]]:
    """Split a body into (event, data) pairs, insisting on Anthropic's exact framing."""
    assert raw.endswith(b"\n\n")
    events = []
    for frame in raw.decode().split("\n\n")[:-1]:
        event_line, data_line = frame.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: ")
        events.append((event_line[7:], data_line[6:]))
    return events


# public surface ---------------------------------------------------------------------------


def test_exports_sorted_and_importable() -> None:
    assert emulators.__all__ == sorted(emulators.__all__)
    for name in emulators.__all__:
        assert getattr(emulators, name) is not None


def test_behaviours_validate_when_built() -> None:
    with pytest.raises(ValueError, match="emulators: drip"):
        Reply(text("x"), drip=-1)
    with pytest.raises(ValueError, match="emulators: Fail status"):
        Fail(200)
    with pytest.raises(ValueError, match="chunks must join"):
        text("hello", chunks=["he", "l"])
    assert Fail(529).error_type == "overloaded_error"


# lifecycle --------------------------------------------------------------------------------


async def test_emulator_start_close_idempotent_and_single_use() -> None:
    emulator = AnthropicEmulator()
    await emulator.start()
    assert emulator.base_url.startswith("http://127.0.0.1:")
    assert not emulator.base_url.endswith("/")
    await emulator.close()
    await emulator.close()
    with pytest.raises(RuntimeError, match="started once"):
        await emulator.start()


async def test_root_probes_answer_200_and_are_not_recorded(emu: AnthropicEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.head(emu.base_url + "/") as response:
            assert response.status == 200
        async with session.get(emu.base_url + "/") as response:
            assert response.status == 200
    assert emu.requests == []


# non-streamed -----------------------------------------------------------------------------


async def test_create_default_reply_is_pong(emu: AnthropicEmulator) -> None:
    async with sdk(emu.base_url) as client:
        message = await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
    assert message.content[0].type == "text" and message.content[0].text == "pong"
    assert message.model == MODEL
    assert message.id.startswith("msg_01")
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 12
    assert message._request_id is not None and message._request_id.startswith("req_")
    (recorded,) = emu.messages_requests
    assert recorded.json["model"] == MODEL
    assert recorded.headers["authorization"] == "Bearer sk-test"


async def test_create_queue_is_fifo_and_model_override(emu: AnthropicEmulator) -> None:
    emu.enqueue(
        Reply(text("one"), input_tokens=5, output_tokens=7, cache_read_input_tokens=3),
        Reply(text("two"), model="claude-other", stop_reason="max_tokens"),
    )
    async with sdk(emu.base_url) as client:
        first = await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
        second = await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
        third = await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
    assert text_of(first.content[0]) == "one"
    assert (first.usage.input_tokens, first.usage.output_tokens) == (5, 7)
    assert first.usage.cache_read_input_tokens == 3
    assert second.model == "claude-other" and second.stop_reason == "max_tokens"
    assert text_of(third.content[0]) == "pong"
    assert emu.pending == 0


async def test_create_gzip_only_when_accepted(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(text("zipped"), gzip=True), Reply(text("plain"), gzip=True))
    async with sdk(emu.base_url) as client:
        message = await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
    assert text_of(message.content[0]) == "zipped"
    body = {"model": MODEL, "max_tokens": 1, "messages": HI}
    headers = {"Accept-Encoding": "identity"}
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.post(emu.base_url + "/v1/messages", json=body, headers=headers) as resp,
    ):
        assert "Content-Encoding" not in resp.headers
        assert b'"plain"' in await resp.read()
    emu.enqueue(Reply(text("again"), gzip=True))
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        headers = {"Accept-Encoding": "gzip"}
        async with session.post(emu.base_url + "/v1/messages", json=body, headers=headers) as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            assert b'"again"' in gzip.decompress(await resp.read())


async def test_beta_query_string_is_ignored_for_routing(emu: AnthropicEmulator) -> None:
    async with sdk(emu.base_url) as client:
        # Claude Code adds ?beta=true itself; SDK 2.12's beta resource no longer does.
        message = await client.messages.create(
            model=MODEL, max_tokens=16, messages=HI, extra_query={"beta": "true"}
        )
    assert text_of(message.content[0]) == "pong"
    assert emu.requests[0].path == "/v1/messages"
    assert emu.requests[0].query == {"beta": "true"}


async def test_invalid_json_body_is_400(emu: AnthropicEmulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(emu.base_url + "/v1/messages", data=b"not json") as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"]["type"] == "invalid_request_error"


# streamed ---------------------------------------------------------------------------------


async def test_stream_text(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(text("hello there, streaming world")))
    async with (
        sdk(emu.base_url) as client,
        client.messages.stream(model=MODEL, max_tokens=16, messages=HI) as stream,
    ):
        pieces = [piece async for piece in stream.text_stream]
        message = await stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == "hello there, streaming world"
    assert text_of(message.content[0]) == "hello there, streaming world"
    assert message.model == MODEL
    assert message.usage.output_tokens == Reply(text("hello there, streaming world")).output_tokens


async def test_stream_tool_use_input_reassembled(emu: AnthropicEmulator) -> None:
    command = {"command": "ls -la /tmp && echo 'naïve ✓'", "timeout": 120}
    emu.enqueue(
        Reply(
            text("Let me look."),
            tool_use("Bash", command, id="toolu_01abc"),
            stop_reason="tool_use",
        )
    )
    async with (
        sdk(emu.base_url) as client,
        client.messages.stream(model=MODEL, max_tokens=16, messages=HI) as stream,
    ):
        deltas = [
            event.delta.partial_json
            async for event in stream
            if event.type == "content_block_delta" and event.delta.type == "input_json_delta"
        ]
        message = await stream.get_final_message()
    assert deltas[0] == "" and len(deltas) > 2
    block = message.content[1]
    assert block.type == "tool_use"
    assert (block.id, block.name, block.input) == ("toolu_01abc", "Bash", command)
    assert message.stop_reason == "tool_use"


async def test_stream_thinking_carries_signature(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(thinking("Let me think step by step.", signature="sigABC"), text("42")))
    async with (
        sdk(emu.base_url) as client,
        client.messages.stream(model=MODEL, max_tokens=2048, messages=HI) as stream,
    ):
        message = await stream.get_final_message()
    block = message.content[0]
    assert block.type == "thinking"
    assert (block.thinking, block.signature) == ("Let me think step by step.", "sigABC")
    assert text_of(message.content[1]) == "42"


async def test_stream_wire_bytes_match_anthropic(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(thinking("a b", signature="s"), redacted_thinking("opaque"), text("hi")))
    status, headers, raw = await raw_post(
        emu.base_url + "/v1/messages", {"model": MODEL, "stream": True}
    )
    assert status == 200
    assert headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["request-id"].startswith("req_")
    assert "anthropic-ratelimit-requests-reset" in headers
    events = parse_sse(raw)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "ping"]
    assert events[1][1] == '{"type": "ping"}'
    assert names[-2:] == ["message_delta", "message_stop"]
    assert '"signature_delta"' in events[names.index("content_block_stop") - 1][1]
    assert '"content_block":{"type":"thinking","thinking":"","signature":""}' in events[2][1]
    assert '"usage":{"input_tokens":12' in events[0][1] and '"output_tokens":1,' in events[0][1]
    assert '{"stop_reason":"end_turn","stop_sequence":null}' in events[-2][1]


async def test_stream_drip_paces_events(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(text("a b c"), drip=0.02))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await raw_post(emu.base_url + "/v1/messages", {"model": MODEL, "stream": True})
    assert loop.time() - started >= 0.02 * 8


# mid-stream trouble -----------------------------------------------------------------------


async def test_stream_cut_raises_in_sdk(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(text("hello world"), cut_after_events=4, headers={"x-extra": "1"}))
    async with sdk(emu.base_url) as client:
        # SDK 2.12 lets the transport error escape unwrapped once the stream has started.
        with pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)):
            async with client.messages.stream(model=MODEL, max_tokens=16, messages=HI) as stream:
                assert stream.response.headers["x-extra"] == "1"
                await stream.get_final_message()
    await asyncio.sleep(0.05)
    assert not emu.disconnected.is_set()  # a deliberate cut is not the client leaving


async def test_json_cut_raises_in_sdk(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(text("hello world"), cut_after_events=0))
    async with sdk(emu.base_url) as client:
        with pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)):
            await client.messages.create(model=MODEL, max_tokens=16, messages=HI)


async def test_stream_error_event_raises_in_sdk(emu: AnthropicEmulator) -> None:
    emu.enqueue(
        Reply(text("hello world"), error_after_events=(3, "overloaded_error", "Overloaded"))
    )
    async with sdk(emu.base_url) as client:
        with pytest.raises(anthropic.APIStatusError) as caught:
            async with client.messages.stream(model=MODEL, max_tokens=16, messages=HI) as stream:
                await stream.get_final_message()
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }


async def test_stream_stall_then_client_leaves_sets_disconnected(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(text("slow"), stall_after_events=(2, 30.0)))
    async with sdk(emu.base_url, timeout=0.3) as client:
        with pytest.raises((anthropic.APIConnectionError, httpx2.TimeoutException)):
            async with client.messages.stream(model=MODEL, max_tokens=16, messages=HI) as stream:
                await stream.get_final_message()
    await asyncio.wait_for(emu.disconnected.wait(), 5)
    assert emu.disconnects == 1


async def test_stall_before_headers_times_out_sdk(emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(text("late"), stall_before_headers=5.0))
    async with sdk(emu.base_url, timeout=0.2) as client:
        with pytest.raises(anthropic.APITimeoutError):
            await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
    await asyncio.wait_for(emu.disconnected.wait(), 5)


async def test_drop_is_a_connection_error(emu: AnthropicEmulator) -> None:
    emu.enqueue(Fail.disconnect(), Drop(delay=0.05))
    async with sdk(emu.base_url) as client:
        for _ in range(2):
            with pytest.raises(anthropic.APIConnectionError):
                await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
    assert not emu.disconnected.is_set()


async def test_raw_chunks_pass_verbatim(emu: AnthropicEmulator) -> None:
    emu.enqueue(Raw(b": comment\n\n", b"event: mystery\ndata: {}\n\n", cut=True))
    with pytest.raises(aiohttp.ClientPayloadError):
        await raw_post(emu.base_url + "/v1/messages", {"model": MODEL, "stream": True})


# errors -----------------------------------------------------------------------------------

FAILURES = [
    (400, anthropic.BadRequestError),
    (401, anthropic.AuthenticationError),
    (402, anthropic.PaymentRequiredError),
    (403, anthropic.PermissionDeniedError),
    (404, anthropic.NotFoundError),
    (409, anthropic.ConflictError),
    (413, anthropic.ContentTooLargeError),
    (429, anthropic.RateLimitError),
    (500, anthropic.InternalServerError),
    (504, anthropic.InternalServerError),
    (529, anthropic.InternalServerError),
]


@pytest.mark.parametrize(("status", "exc_type"), FAILURES)
async def test_fail_maps_to_sdk_exception(
    emu: AnthropicEmulator, status: int, exc_type: type[anthropic.APIStatusError]
) -> None:
    emu.enqueue(Fail(status, message=f"boom {status}", retry_after=7))
    async with sdk(emu.base_url) as client:
        with pytest.raises(exc_type) as caught:
            await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
    error = caught.value
    assert error.status_code == status
    assert error.response.headers["retry-after"] == "7"
    assert error.request_id == error.response.headers["request-id"]
    assert isinstance(error.body, dict)
    assert error.body["error"]["message"] == f"boom {status}"
    assert error.body["request_id"] == error.request_id


async def test_fail_body_and_headers_override(emu: AnthropicEmulator) -> None:
    emu.enqueue(Fail(503, body=b"upstream connect error", headers={"request-id": None, "x-a": "1"}))
    status, headers, body = await raw_post(emu.base_url + "/v1/messages", {"model": MODEL})
    assert (status, body, headers["x-a"]) == (503, b"upstream connect error", "1")
    assert "request-id" not in headers


async def test_require_key_accepts_bearer_and_x_api_key() -> None:
    async with AnthropicEmulator(require_key="sk-up-1") as emu:
        async with sdk(emu.base_url, api_key="sk-up-1") as client:
            await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
        async with sdk(emu.base_url, api_key="wrong") as client:
            with pytest.raises(anthropic.AuthenticationError) as caught:
                await client.messages.create(model=MODEL, max_tokens=16, messages=HI)
        assert body_of(caught.value)["error"]["message"] == "invalid x-api-key"
        status, _, _ = await raw_post(
            emu.base_url + "/v1/messages", {"model": MODEL}, headers={"x-api-key": "sk-up-1"}
        )
        assert status == 200
        assert len(emu.requests) == 3


# count_tokens and models ------------------------------------------------------------------


async def test_count_tokens_deterministic_and_failable(emu: AnthropicEmulator) -> None:
    emu.enqueue_count(Fail(529), 99)
    async with sdk(emu.base_url) as client:
        with pytest.raises(anthropic.OverloadedError):
            await client.messages.count_tokens(model=MODEL, messages=HI)
        assert (await client.messages.count_tokens(model=MODEL, messages=HI)).input_tokens == 99
        counted = await client.messages.count_tokens(model=MODEL, messages=HI)
    assert counted.input_tokens == len(emu.requests[-1].body) // 4
    assert [r.path for r in emu.requests] == ["/v1/messages/count_tokens"] * 3
    assert emu.messages_requests == []


async def test_models_list_pages_forward_and_back() -> None:
    ids = [f"claude-model-{n}" for n in range(5)]
    async with AnthropicEmulator(models=ids) as emu, sdk(emu.base_url) as client:
        seen = [model.id async for model in client.models.list(limit=2)]
        back = await client.models.list(before_id="claude-model-3", limit=2)
        one = await client.models.retrieve("claude-model-0")
        with pytest.raises(anthropic.NotFoundError):
            await client.models.retrieve("nope")
        emu.enqueue_models(Fail(500))
        with pytest.raises(anthropic.InternalServerError):
            await client.models.list()
    assert seen == ids
    assert [m.id for m in back.data] == ["claude-model-1", "claude-model-2"]
    assert back.has_more is True and back.first_id == "claude-model-1"
    assert one.display_name == "Claude Model 0"
    assert [r.query.get("after_id") for r in emu.requests[:3]] == [
        None,
        "claude-model-1",
        "claude-model-3",
    ]


async def test_models_display_names_from_ids() -> None:
    async with AnthropicEmulator() as emu, sdk(emu.base_url) as client:
        page = await client.models.list(limit=1000)
    names = {model.id: model.display_name for model in page.data}
    assert names["claude-opus-4-8"] == "Claude Opus 4.8"
    assert names["claude-haiku-4-5-20251001"] == "Claude Haiku 4.5"
    assert page.data[-1].created_at.isoformat() == "2025-10-01T00:00:00+00:00"


# Ollama -----------------------------------------------------------------------------------


async def test_ollama_stream_thinking_unsigned_and_call_ids(ollama: OllamaEmulator) -> None:
    ollama.enqueue(
        Reply(thinking("hmm, ok"), tool_use("Read", {"path": "<a&b>"}), stop_reason="tool_use")
    )
    async with (
        sdk(ollama.base_url, api_key="ollama") as client,
        client.messages.stream(model="qwen3-coder", max_tokens=64, messages=HI) as stream,
    ):
        message = await stream.get_final_message()
    think, call = message.content
    assert think.type == "thinking" and think.thinking == "hmm, ok"
    assert not getattr(think, "signature", None)
    assert call.type == "tool_use" and call.id.startswith("call_") and len(call.id) == 13
    assert call.input == {"path": "<a&b>"}
    assert message.id.startswith("msg_") and not message.id.startswith("msg_01")


async def test_ollama_wire_bytes(ollama: OllamaEmulator) -> None:
    ollama.enqueue(Reply(thinking("x y"), tool_use("T", {"a": 1})))
    status, headers, raw = await raw_post(
        ollama.base_url + "/v1/messages", {"model": "qwen3-coder", "stream": True}
    )
    assert status == 200 and headers["Content-Type"] == "text/event-stream"
    assert "request-id" not in headers
    assert not any(name.startswith("anthropic-ratelimit") for name in headers)
    events = parse_sse(raw)
    names = [name for name, _ in events]
    assert "ping" not in names
    assert not any("signature" in data for _, data in events)
    assert '"content_block":{"type":"thinking","thinking":""}' in events[1][1]
    json_pieces = [data for name, data in events if "input_json_delta" in data]
    assert json_pieces == [
        (
            '{"type":"content_block_delta","index":1,'
            '"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":1}"}}'
        )
    ]
    assert '"usage":{"input_tokens":12,"output_tokens":0}' in events[0][1]
    assert '"stop_reason"' not in events[0][1]


async def test_ollama_create_and_fail(ollama: OllamaEmulator) -> None:
    ollama.enqueue(Reply(thinking("t"), text("done")), Fail(500, message="model crashed"))
    async with sdk(ollama.base_url, api_key="ollama") as client:
        message = await client.messages.create(model="qwen3-coder", max_tokens=8, messages=HI)
        with pytest.raises(anthropic.InternalServerError) as caught:
            await client.messages.create(model="qwen3-coder", max_tokens=8, messages=HI)
    assert [block.type for block in message.content] == ["thinking", "text"]
    assert caught.value.request_id is None
    assert body_of(caught.value)["request_id"].startswith("req_")


async def test_ollama_listings_and_missing_count_tokens(ollama: OllamaEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(ollama.base_url + "/api/tags") as response:
            tags = await response.json()
        async with session.get(ollama.base_url + "/v1/models") as response:
            openai_models = await response.json()
        async with session.get(ollama.base_url + "/") as response:
            assert await response.text() == "Ollama is running"
    assert tags["models"][0]["name"] == "qwen3-coder:latest"
    assert {"name", "model", "modified_at", "size", "digest"} <= set(tags["models"][0])
    assert openai_models["object"] == "list"
    assert openai_models["data"][0] == {
        "id": "qwen3-coder:latest",
        "object": "model",
        "created": 1763632800,
        "owned_by": "library",
    }
    async with sdk(ollama.base_url, api_key="ollama") as client:
        with pytest.raises(anthropic.NotFoundError):
            await client.messages.count_tokens(model="qwen3-coder", messages=HI)
