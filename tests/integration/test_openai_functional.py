"""The OpenAI-compatible provider through real sockets, judged by the official SDK.

The golden tests run one script twice: through the relay to the OpenAI emulator, and
through the relay to the Anthropic emulator. What the SDK accumulates, and the events
on the wire, must be the same either way: a client cannot tell which upstream answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anthropic
import orjson
import pytest

from cc_relay.providers.openai.ids import tool_id
from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, body_of, provider
from tests.emulators import (
    AnthropicEmulator,
    Drop,
    Fail,
    OpenAIEmulator,
    Raw,
    Reply,
    text,
    thinking,
    tool_use,
)
from tests.emulators._openai import Chat

MODEL = "claude-opus-4-8"
UPSTREAM_MODEL = "gpt-5"
KEY = "sk-oa-test-1"
USER: list[Any] = [{"role": "user", "content": "hi"}]
TOOLS: list[Any] = [
    {
        "name": "Bash",
        "description": "Run a command",
        "input_schema": {
            "type": "object",
            "properties": {"command": {"type": "string"}},
            "required": ["command"],
        },
    },
    {
        "name": "Read",
        "description": "Read a file",
        "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}},
    },
    {"name": "Write", "description": "Write a file", "input_schema": {"type": "object"}},
]


@pytest.fixture
async def oai() -> AsyncIterator[OpenAIEmulator]:
    async with OpenAIEmulator(require_key=KEY) as server:
        yield server


def openai_provider(emu: OpenAIEmulator, **extra: Any) -> dict[str, Any]:
    entry = {"keys": [KEY], "model_map": {MODEL: UPSTREAM_MODEL}, **extra}
    return provider(f"{emu.base_url}/v1", name="oai", type="openai", **entry)


@pytest.fixture
async def relay(make_relay: RelayFactory, oai: OpenAIEmulator) -> RelayServer:
    return await make_relay(openai_provider(oai))


# -- basics ----------------------------------------------------------------------------


async def test_create_translates_both_ways(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue(
        Reply(
            text("hello from gpt"),
            model="gpt-5-2025-08-07",
            input_tokens=21,
            cache_read_input_tokens=5,
            output_tokens=4,
        )
    )
    message = await sdk(relay).messages.create(
        model=MODEL,
        max_tokens=50,
        system="be brief",
        messages=USER,
        extra_body={"temperature": 0.5},
    )
    assert message.content[0].type == "text" and message.content[0].text == "hello from gpt"
    assert message.model == MODEL
    assert message.stop_reason == "end_turn"
    assert (
        message.usage.input_tokens,
        message.usage.cache_read_input_tokens,
        message.usage.output_tokens,
    ) == (21, 5, 4)
    sent = oai.chat_requests[-1].json
    assert sent == {
        "model": UPSTREAM_MODEL,
        "max_tokens": 50,
        "temperature": 0.5,
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
    }


async def test_upstream_gets_the_provider_key_only(relay: RelayServer, oai: OpenAIEmulator) -> None:
    headers = {
        "x-api-key": "sk-ant-client-secret",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "interleaved-thinking-2025-05-14",
        "x-claude-code-session-id": "sess-1",
        "cookie": "a=b",
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            headers=headers,
            json={"model": MODEL, "max_tokens": 5, "messages": USER},
        ) as resp:
            assert resp.status == 200
    seen = oai.chat_requests[-1]
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert "sk-ant-client-secret" not in str(dict(seen.headers))
    for name in (
        "x-api-key",
        "anthropic-version",
        "anthropic-beta",
        "x-claude-code-session-id",
        "cookie",
    ):
        assert name not in seen.headers
    assert seen.path == "/v1/chat/completions"


async def test_client_bearer_token_never_forwarded(relay: RelayServer, oai: OpenAIEmulator) -> None:
    headers = {
        "authorization": "Bearer sk-ant-oat01-subscription",
        "anthropic-beta": "oauth-2025-04-20",
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            headers=headers,
            json={"model": MODEL, "max_tokens": 5, "messages": USER},
        ) as resp:
            assert resp.status == 200
    assert oai.chat_requests[-1].headers["authorization"] == f"Bearer {KEY}"


async def test_provider_without_key_sends_no_credential(
    make_relay: RelayFactory, sdk: SdkFactory
) -> None:
    async with OpenAIEmulator() as local:
        relay = await make_relay(
            provider(local.base_url, name="local", type="openai", models=["qwen3"])
        )
        await sdk(relay).messages.create(model="qwen3", max_tokens=5, messages=USER)
        seen = local.chat_requests[-1]
    assert "authorization" not in seen.headers and "x-api-key" not in seen.headers
    assert seen.path == "/v1/chat/completions"  # /v1 added to a base URL with no path


async def test_stream_with_tools(relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory) -> None:
    oai.enqueue(
        Reply(
            text("Let me look."),
            tool_use("Bash", {"command": "ls -la"}),
            stop_reason="tool_use",
            model="gpt-5-2025-08-07",
        )
    )
    async with sdk(relay).messages.stream(
        model=MODEL, max_tokens=100, messages=USER, tools=TOOLS, tool_choice={"type": "auto"}
    ) as stream:
        texts = [event.text async for event in stream if event.type == "text"]
        final = await stream.get_final_message()
    assert "".join(texts) == "Let me look."
    assert [b.type for b in final.content] == ["text", "tool_use"]
    call = final.content[1]
    assert call.type == "tool_use" and call.name == "Bash"
    assert call.input == {"command": "ls -la"} and call.id.startswith("call_")
    assert final.stop_reason == "tool_use" and final.model == MODEL
    sent = oai.chat_requests[-1].json
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["tool_choice"] == "auto"
    assert [t["function"]["name"] for t in sent["tools"]] == ["Bash", "Read", "Write"]


async def test_tool_loop_round_trip_with_foreign_ids(
    make_relay: RelayFactory, sdk: SdkFactory
) -> None:
    # Kimi-style ids are invalid for Anthropic; the client gets a valid one, sends it back
    # in its history, and the upstream sees one consistent id for the call and the result.
    # The upstream insists on its reasoning coming back, as DeepSeek's thinking mode does.
    async with OpenAIEmulator(reasoning_replay="required") as oai:
        relay = await make_relay(openai_provider(oai))
        await tool_loop(relay, oai, sdk)


async def tool_loop(relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory) -> None:
    oai.enqueue(
        Chat(
            Reply(
                thinking("need files"),
                tool_use("Bash", {"command": "ls"}, id="functions.Bash:0"),
                stop_reason="tool_use",
            )
        ),
        Reply(text("a.py is there")),
    )
    client = sdk(relay)
    first = await client.messages.create(model=MODEL, max_tokens=100, messages=USER, tools=TOOLS)
    call = first.content[1]
    assert call.type == "tool_use" and call.id == tool_id("functions.Bash:0")
    history: list[Any] = [
        *USER,
        {"role": "assistant", "content": first.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "a.py"}],
        },
    ]
    second = await client.messages.create(
        model=MODEL, max_tokens=100, messages=history, tools=TOOLS, thinking={"type": "adaptive"}
    )
    assert second.content[0].type == "text" and second.content[0].text == "a.py is there"
    sent = oai.chat_requests[-1].json["messages"]
    assert sent[1]["tool_calls"][0]["id"] == sent[2]["tool_call_id"] == call.id
    assert sent[1]["reasoning_content"] == "need files"


async def test_stream_in_tiny_writes(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue(
        Chat(
            Reply(
                thinking("ponder ✓"),
                text("Grüße 🎉 done"),
                tool_use("Read", {"file_path": "/tmp/ä"}),
                stop_reason="tool_use",
            ),
            split_bytes=7,
            keepalive=True,
            crlf=True,
        )
    )
    async with sdk(relay).messages.stream(
        model=MODEL, max_tokens=100, messages=USER, tools=TOOLS
    ) as stream:
        final = await stream.get_final_message()
    assert [
        getattr(b, "thinking", None) or getattr(b, "text", None) for b in final.content[:2]
    ] == ["ponder ✓", "Grüße 🎉 done"]
    assert final.content[2].type == "tool_use" and final.content[2].input == {"file_path": "/tmp/ä"}


async def test_model_map_names_the_client_model(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue(
        Reply(text("a"), model="gpt-5-2025-08-07"), Reply(text("b"), model="gpt-5-2025-08-07")
    )
    client = sdk(relay)
    message = await client.messages.create(model=MODEL, max_tokens=5, messages=USER)
    async with client.messages.stream(model=MODEL, max_tokens=5, messages=USER) as stream:
        streamed = await stream.get_final_message()
    assert message.model == streamed.model == MODEL
    assert [r.json["model"] for r in oai.chat_requests] == [UPSTREAM_MODEL] * 2


async def test_count_tokens_is_estimated_locally(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    count = await sdk(relay).messages.count_tokens(model=MODEL, messages=USER)
    assert count.input_tokens > 0
    assert oai.requests == []


async def test_models_discovered(
    make_relay: RelayFactory, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(openai_provider(oai))
    ids = [m.id async for m in await sdk(relay).models.list(limit=1000)]
    assert {"gpt-5", "gpt-4o", "o3-mini"} <= set(ids)
    assert oai.requests[-1].path == "/v1/models"
    assert oai.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    oai.enqueue(Reply(text("from discovered model")))
    message = await sdk(relay).messages.create(model="o3-mini", max_tokens=5, messages=USER)
    assert message.model == "o3-mini"


async def test_models_discovery_failure_is_tolerated(
    make_relay: RelayFactory, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue_models(Fail(500))
    relay = await make_relay(openai_provider(oai))
    ids = [m.id async for m in await sdk(relay).models.list(limit=1000)]
    assert MODEL in ids and "gpt-4o" not in ids


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exception", "kind"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.InternalServerError, "overloaded_error"),
    ],
)
async def test_errors_become_sdk_exceptions(
    relay: RelayServer,
    oai: OpenAIEmulator,
    sdk: SdkFactory,
    status: int,
    exception: type[anthropic.APIStatusError],
    kind: str,
) -> None:
    oai.enqueue(
        Fail(status, message=f"upstream says {status}"),
        Fail(status, message=f"upstream says {status}"),
    )
    with pytest.raises(exception, match=f"upstream says {status}") as caught:
        await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert body_of(caught.value)["error"]["type"] == kind
    # After a 429 the key rests, and the relay answers for it without asking upstream.
    again = "rate limit" if status == 429 else f"upstream says {status}"
    with pytest.raises(exception, match=again):
        async with sdk(relay).messages.stream(model=MODEL, max_tokens=5, messages=USER) as stream:
            await stream.get_final_message()


async def test_reasoning_model_refusing_max_tokens_is_reported(
    make_relay: RelayFactory, sdk: SdkFactory
) -> None:
    async with OpenAIEmulator(rejects_max_tokens=True) as strict:
        relay = await make_relay(provider(f"{strict.base_url}/v1", type="openai", models=["o3"]))
        with pytest.raises(anthropic.BadRequestError, match="max_completion_tokens"):
            await sdk(relay).messages.create(model="o3", max_tokens=5, messages=USER)


async def test_error_inside_a_200_answer(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue(
        Raw(
            b'{"error": {"message": "Insufficient credits", "code": 402}}',
            content_type="application/json",
        )
    )
    with pytest.raises(anthropic.APIStatusError, match="Insufficient credits") as caught:
        await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert caught.value.status_code == 402


async def test_context_overflow_uses_anthropic_wording(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue(
        Fail(
            400,
            body=orjson.dumps(
                {
                    "error": {
                        "message": "This model's maximum context length is 128000 tokens. "
                        "However, your messages resulted in 130000 tokens.",
                        "type": "invalid_request_error",
                        "param": "messages",
                        "code": "context_length_exceeded",
                    }
                }
            ),
        )
    )
    with pytest.raises(
        anthropic.BadRequestError, match="prompt is too long: 130000 tokens > 128000 maximum"
    ):
        await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)


async def test_error_mid_stream_raises_in_sdk(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue(
        Reply(
            text("one two three four"), error_after_events=(3, "server_error", "The server broke")
        )
    )
    with pytest.raises(anthropic.APIStatusError, match="The server broke"):
        async with sdk(relay).messages.stream(model=MODEL, max_tokens=50, messages=USER) as stream:
            await stream.get_final_message()


@pytest.mark.parametrize(
    "chat",
    [
        Chat(Reply(text("one two three four"), cut_after_events=3)),
        Chat(Reply(text("one two")), done=False, usage="none"),
    ],
)
async def test_cut_stream_ends_in_an_error_event(
    relay: RelayServer, oai: OpenAIEmulator, chat: Chat
) -> None:
    oai.enqueue(chat)
    raw = await post_stream(relay, {"model": MODEL, "max_tokens": 50, "messages": USER})
    names = [name for name, _ in parse_sse(raw)]
    assert names[0] == "message_start" and names[-1] == "error"
    assert "message_stop" not in names
    assert parse_sse(raw)[-1][1]["error"]["type"] == "api_error"


OPENROUTER_FAILURE = (
    b": OPENROUTER PROCESSING\n\n",
    b'data: {"error": {"code": 429, "message": "Provider returned error: '
    b'rate limited upstream"}, "choices": [{"index": 0, "delta": '
    b'{"content": ""}, "finish_reason": "error"}]}\n\n',
)


async def test_error_before_the_first_event_is_a_status_error(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue(Raw(*OPENROUTER_FAILURE))
    with pytest.raises(anthropic.RateLimitError, match="rate limited upstream"):
        async with sdk(relay).messages.stream(model=MODEL, max_tokens=5, messages=USER) as stream:
            await stream.get_final_message()


async def test_error_before_the_first_event_fails_over(
    make_relay: RelayFactory, oai: OpenAIEmulator, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        openai_provider(oai), provider(emu, keys=["sk-up-1"]), routing={"strategy": "round-robin"}
    )
    oai.enqueue(Raw(*OPENROUTER_FAILURE))
    emu.enqueue(Reply(text("anthropic took over")))
    async with sdk(relay).messages.stream(model=MODEL, max_tokens=5, messages=USER) as stream:
        final = await stream.get_final_message()
    assert final.content[0].type == "text" and final.content[0].text == "anthropic took over"
    assert len(oai.chat_requests) == 1


async def test_untranslatable_request_fails_over(
    make_relay: RelayFactory, oai: OpenAIEmulator, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        openai_provider(oai), provider(emu, keys=["sk-up-1"]), routing={"strategy": "round-robin"}
    )
    emu.enqueue(Reply(text("anthropic ran the search")))
    message = await sdk(relay).messages.create(
        model=MODEL,
        max_tokens=50,
        messages=USER,
        tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 1}],
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "anthropic ran the search"
    assert oai.chat_requests == []


async def test_untranslatable_request_alone_is_a_400(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    with pytest.raises(anthropic.BadRequestError, match="cannot run"):
        await sdk(relay).messages.create(
            model=MODEL,
            max_tokens=50,
            messages=USER,
            tools=[{"type": "web_search_20250305", "name": "web_search"}],
        )
    assert oai.chat_requests == []


async def test_connection_dropped_before_answer(
    relay: RelayServer, oai: OpenAIEmulator, sdk: SdkFactory
) -> None:
    oai.enqueue(Drop())
    with pytest.raises(anthropic.APIStatusError) as caught:
        await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert caught.value.status_code == 502


# -- golden: the same script through both upstreams --------------------------------------

SCRIPTS: dict[str, Reply] = {
    "text": Reply(text("Plain words, nothing else."), cache_read_input_tokens=4000),
    "text then two parallel tool calls": Reply(
        text("I'll run both."),
        tool_use(
            "Bash",
            {"command": "git status"},
            id="call_bash1",
            json_chunks=['{"command": ', '"git status"}'],
        ),
        tool_use(
            "Read",
            {"file_path": "/repo/README.md"},
            id="call_read2",
            json_chunks=['{"file_', 'path": "/repo', '/README.md"}'],
        ),
        stop_reason="tool_use",
        input_tokens=321,
        output_tokens=42,
    ),
    "reasoning then text": Reply(
        thinking("The user greets me. I should greet back."),
        text("Hello! How can I help?"),
        input_tokens=50,
        output_tokens=30,
    ),
    "tool call with arguments split into 10 chunks": Reply(
        tool_use(
            "Write",
            {"path": "x.py", "content": "print(1)\n"},
            id="call_write",
            json_chunks=[
                "{",
                '"path"',
                ": ",
                '"x.py"',
                ", ",
                '"content"',
                ": ",
                '"print',
                '(1)\\n"',
                "}",
            ],
        ),
        stop_reason="tool_use",
    ),
    "reasoning, text and a tool call": Reply(
        thinking("Need the file."),
        text("Reading it."),
        tool_use("Read", {"file_path": "a"}, id="call_r", json_chunks=['{"file_path"', ': "a"}']),
        stop_reason="tool_use",
    ),
    "max tokens": Reply(text("This answer was cut"), stop_reason="max_tokens"),
}


@pytest.fixture
async def twins(
    make_relay: RelayFactory, oai: OpenAIEmulator, emu: AnthropicEmulator
) -> tuple[RelayServer, RelayServer]:
    """A relay in front of the OpenAI emulator, and one in front of the Anthropic one."""
    return (
        await make_relay(openai_provider(oai)),
        await make_relay(provider(emu, keys=["sk-up-1"])),
    )


def comparable(message: anthropic.types.Message) -> dict[str, Any]:
    """What a client sees, minus what must differ: message ids and thinking signatures."""
    blocks = []
    for block in message.content:
        data = block.model_dump(exclude_none=True)
        data.pop("parsed_output", None)
        if data["type"] == "thinking":
            data["signature"] = "<signature>"
        if data["type"] == "tool_use":
            data["id"] = tool_id(data["id"])
        blocks.append(data)
    usage = message.usage
    return {
        "content": blocks,
        "model": message.model,
        "stop_reason": message.stop_reason,
        "stop_sequence": message.stop_sequence,
        "role": message.role,
        "usage": (usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens or 0),
    }


@pytest.mark.parametrize("name", sorted(SCRIPTS))
async def test_golden_stream_accumulates_the_same(
    name: str,
    twins: tuple[RelayServer, RelayServer],
    oai: OpenAIEmulator,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
) -> None:
    via_openai, via_anthropic = twins
    oai.enqueue(SCRIPTS[name])
    emu.enqueue(SCRIPTS[name])
    finals = []
    for relay in (via_openai, via_anthropic):
        async with sdk(relay).messages.stream(
            model=MODEL, max_tokens=1000, messages=USER, tools=TOOLS
        ) as stream:
            finals.append(comparable(await stream.get_final_message()))
    assert finals[0] == finals[1]


@pytest.mark.parametrize("name", sorted(SCRIPTS))
async def test_golden_create_returns_the_same(
    name: str,
    twins: tuple[RelayServer, RelayServer],
    oai: OpenAIEmulator,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
) -> None:
    via_openai, via_anthropic = twins
    oai.enqueue(SCRIPTS[name])
    emu.enqueue(SCRIPTS[name])
    messages = [
        comparable(
            await sdk(relay).messages.create(
                model=MODEL, max_tokens=1000, messages=USER, tools=TOOLS
            )
        )
        for relay in (via_openai, via_anthropic)
    ]
    assert messages[0] == messages[1]


async def test_golden_interleaved_parallel_calls(
    twins: tuple[RelayServer, RelayServer],
    oai: OpenAIEmulator,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
) -> None:
    script = SCRIPTS["text then two parallel tool calls"]
    oai.enqueue(Chat(script, interleave_tools=True, reasoning_field="reasoning"))
    emu.enqueue(script)
    finals = []
    for relay in twins:
        async with sdk(relay).messages.stream(
            model=MODEL, max_tokens=1000, messages=USER, tools=TOOLS
        ) as stream:
            finals.append(comparable(await stream.get_final_message()))
    assert finals[0] == finals[1]


async def test_golden_stop_sequence(
    twins: tuple[RelayServer, RelayServer],
    oai: OpenAIEmulator,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
) -> None:
    # vLLM names the stop string that matched; OpenAI itself never does.
    script = Reply(text("Count: 1 2 3"), stop_reason="stop_sequence", stop_sequence="4")
    oai.enqueue(Chat(script, matched_stop="4"))
    emu.enqueue(script)
    finals = []
    for relay in twins:
        async with sdk(relay).messages.stream(
            model=MODEL, max_tokens=100, messages=USER, stop_sequences=["4"]
        ) as stream:
            finals.append(comparable(await stream.get_final_message()))
    assert finals[0] == finals[1]
    assert finals[0]["stop_reason"] == "stop_sequence" and finals[0]["stop_sequence"] == "4"
    assert oai.chat_requests[-1].json["stop"] == ["4"]


def parse_sse(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for frame in raw.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.split("\n") if ": " in line)
        if "event" in lines:
            events.append((lines["event"], orjson.loads(lines["data"])))
    return events


async def post_stream(relay: RelayServer, body: dict[str, Any]) -> bytes:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={**body, "stream": True},
            headers={"anthropic-version": "2023-06-01"},
        ) as resp:
            assert resp.status == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            return await resp.read()


def wire_shape(raw: bytes) -> list[tuple[Any, ...]]:
    """Each event's name, block index, block type and delta type; pings left out."""
    shape = []
    for name, data in parse_sse(raw):
        if name == "ping":
            continue
        block = data.get("content_block") or {}
        delta = data.get("delta") or {}
        shape.append(
            (
                name,
                data.get("index"),
                block.get("type"),
                delta.get("type"),
                delta.get("stop_reason"),
            )
        )
    return shape


@pytest.mark.parametrize("name", sorted(SCRIPTS))
async def test_golden_wire_event_sequence_is_anthropics(
    name: str, twins: tuple[RelayServer, RelayServer], oai: OpenAIEmulator, emu: AnthropicEmulator
) -> None:
    oai.enqueue(SCRIPTS[name])
    emu.enqueue(SCRIPTS[name])
    body = {"model": MODEL, "max_tokens": 1000, "messages": USER, "tools": TOOLS}
    via_openai, via_anthropic = [await post_stream(relay, body) for relay in twins]
    assert wire_shape(via_openai) == wire_shape(via_anthropic)
