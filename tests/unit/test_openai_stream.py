"""The OpenAI stream translator, fed chunk by chunk: Anthropic's exact event sequence."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_relay.errors import UpstreamStatusError
from cc_relay.providers.openai.arguments import UNPARSED_KEY
from cc_relay.providers.openai.stream import ChatStreamDecoder
from tests.emulators import Reply, text, thinking, tool_use
from tests.emulators._openai import Chat, OpenAIDialect

DIALECT = OpenAIDialect()


def frames(chat: Chat | Reply, *, include_usage: bool = True, done: bool = True) -> bytes:
    """The bytes the OpenAI emulator would send for this script."""
    chat = chat if isinstance(chat, Chat) else Chat(chat)
    chunks = DIALECT.chunks(
        chat, DIALECT.resolve(chat.reply), model="gpt-5", include_usage=include_usage
    )
    out = b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks)
    return out + (b"data: [DONE]\n\n" if done else b"")


def events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(name, data) pairs, insisting on Anthropic's framing: one event, one data line."""
    assert raw == b"" or raw.endswith(b"\n\n")
    out = []
    for frame in raw.decode().split("\n\n")[:-1]:
        name, data = frame.split("\n")
        assert name.startswith("event: ") and data.startswith("data: ")
        out.append((name[7:], orjson.loads(data[6:])))
    return out


def decode(
    *chunks: bytes, model: str | None = "claude-opus-4-8"
) -> tuple[ChatStreamDecoder, list[tuple[str, dict[str, Any]]]]:
    decoder = ChatStreamDecoder(client_model=model)
    raw = b"".join(decoder.feed(chunk) for chunk in chunks)
    return decoder, events(raw)


def shape(evts: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Event names, with block types and delta types spelled out."""
    out = []
    for name, data in evts:
        if name == "content_block_start":
            out.append(f"start:{data['content_block']['type']}@{data['index']}")
        elif name == "content_block_delta":
            out.append(f"{data['delta']['type']}@{data['index']}")
        elif name == "content_block_stop":
            out.append(f"stop@{data['index']}")
        else:
            out.append(name)
    return out


def accumulate(evts: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A minimal stand-in for the SDK's accumulator, strict about order and indices."""
    message: dict[str, Any] = {}
    buffers: dict[int, str] = {}
    open_index: int | None = None
    for name, data in evts:
        if name == "message_start":
            message = data["message"]
        elif name == "content_block_start":
            assert open_index is None, "a block opened before the previous one closed"
            assert data["index"] == len(message["content"])
            open_index = data["index"]
            message["content"].append(dict(data["content_block"]))
        elif name == "content_block_delta":
            assert data["index"] == open_index
            assert open_index is not None
            block, delta = message["content"][open_index], data["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            else:
                buffers[open_index] = buffers.get(open_index, "") + delta["partial_json"]
        elif name == "content_block_stop":
            assert data["index"] == open_index
            if open_index in buffers:
                message["content"][open_index]["input"] = orjson.loads(buffers[open_index] or "{}")
            open_index = None
        elif name == "message_delta":
            assert open_index is None
            message.update(data["delta"])
            message["usage"].update(data["usage"])
    return message


SCRIPTS = {
    "text": Reply(text("Hello there, how are you?")),
    "reasoning then text": Reply(thinking("First I think. Then more."), text("Answer.")),
    "text then two parallel tools": Reply(
        text("Checking both."),
        tool_use("Bash", {"command": "ls -la"}, id="call_a"),
        tool_use("Read", {"file_path": "/etc/hosts"}, id="call_b"),
        stop_reason="tool_use",
    ),
    "tool with args in 10 chunks": Reply(
        tool_use(
            "Write",
            {"path": "a.py", "content": "print('hi')\n"},
            id="call_w",
            json_chunks=[
                '{"pa',
                'th"',
                ': "a',
                '.py"',
                ', "co',
                "ntent",
                '": "p',
                "rint('h",
                "i')\\n",
                '"}',
            ],
        ),
        stop_reason="tool_use",
    ),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_stream_reassembles_each_script(name: str) -> None:
    reply = SCRIPTS[name]
    decoder, evts = decode(frames(reply))
    assert decoder.ended
    message = accumulate(evts)
    expected = [DIALECT.block_json(b) for b in DIALECT.resolve(reply)]
    for block in expected:
        if block["type"] == "thinking":
            block["signature"] = ""
    assert message["content"] == expected
    assert message["stop_reason"] == reply.stop_reason
    assert message["model"] == "claude-opus-4-8"
    assert message["usage"]["input_tokens"] == reply.input_tokens
    assert message["usage"]["output_tokens"] == reply.output_tokens
    assert decoder.usage.input_tokens == reply.input_tokens
    assert decoder.usage.output_tokens == reply.output_tokens


def test_stream_event_sequence_is_anthropics() -> None:
    reply = Reply(
        thinking("a b"),
        text("c d"),
        tool_use("Bash", {"x": 1}, id="call_1", json_chunks=['{"x"', ": 1}"]),
        stop_reason="tool_use",
    )
    _, evts = decode(frames(reply))
    assert shape(evts) == [
        "message_start",
        "start:thinking@0",
        "thinking_delta@0",
        "thinking_delta@0",
        "signature_delta@0",
        "stop@0",
        "start:text@1",
        "text_delta@1",
        "text_delta@1",
        "stop@1",
        "start:tool_use@2",
        "input_json_delta@2",
        "input_json_delta@2",
        "input_json_delta@2",
        "stop@2",
        "message_delta",
        "message_stop",
    ]
    # Anthropic opens every tool input with an empty piece.
    assert [e[1]["delta"]["partial_json"] for e in evts[11:14]] == ["", '{"x"', ": 1}"]
    start = evts[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["id"].startswith("msg_") and start["usage"]["output_tokens"] == 0


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SCRIPTS)), st.data())
def test_stream_any_split_gives_the_same_events(name: str, data: st.DataObject) -> None:
    raw = frames(Chat(SCRIPTS[name], keepalive=True))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=40)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    whole_decoder, whole = decode(raw)
    split_decoder, split = decode(*pieces)
    assert split == whole
    assert split_decoder.ended and whole_decoder.ended


def test_stream_split_inside_multibyte_character() -> None:
    raw = frames(Reply(text("héllo wörld ✓ 🎉")))
    pieces = [raw[i : i + 1] for i in range(len(raw))]
    _, evts = decode(*pieces)
    assert accumulate(evts)["content"] == [{"type": "text", "text": "héllo wörld ✓ 🎉"}]


def test_stream_crlf_and_comments_and_event_lines() -> None:
    raw = frames(Chat(Reply(text("ok")), crlf=True, keepalive=True)).replace(b"\n\n", b"\r\n\r\n")
    raw = b"event: message\r\nid: 1\r\nretry: 10\r\n" + raw
    decoder, evts = decode(raw)
    assert decoder.ended and accumulate(evts)["content"] == [{"type": "text", "text": "ok"}]


def test_stream_interleaved_parallel_calls_become_one_block_each() -> None:
    reply = Reply(
        tool_use("A", {"k": "v" * 20}, id="call_1", json_chunks=['{"k', '": "', "v" * 20, '"}']),
        tool_use("B", {"n": [1, 2, 3]}, id="call_2", json_chunks=['{"n": [', "1, ", "2, 3", "]}"]),
        stop_reason="tool_use",
    )
    _, evts = decode(frames(Chat(reply, interleave_tools=True)))
    message = accumulate(evts)
    assert [(b["id"], b["name"], b["input"]) for b in message["content"]] == [
        ("call_1", "A", {"k": "v" * 20}),
        ("call_2", "B", {"n": [1, 2, 3]}),
    ]


def test_stream_sequential_call_is_sent_when_the_next_begins() -> None:
    raw = frames(SCRIPTS["text then two parallel tools"])
    decoder = ChatStreamDecoder(client_model=None)
    out = b""
    for line in raw.split(b"\n\n")[:-1]:
        out += decoder.feed(line + b"\n\n")
        if b'"call_b"' in line:  # the second call's first chunk
            assert shape(events(out))[-1] == "stop@1"  # the first call is complete
            break
    else:
        pytest.fail("no chunk named call_b")


def test_stream_same_index_for_every_call_keeps_them_apart() -> None:
    reply = Reply(
        tool_use("A", {"a": 1}, id="call_1"),
        tool_use("B", {"b": 2}, id="call_2"),
        stop_reason="tool_use",
    )
    _, evts = decode(frames(Chat(reply, same_index=True)))
    assert [b["input"] for b in accumulate(evts)["content"]] == [{"a": 1}, {"b": 2}]


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> bytes:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": "gpt-5",
        "choices": choices,
        **extra,
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


def call(
    index: int, *, id: str | None = None, name: str | None = None, args: str | None = None
) -> dict[str, Any]:
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    entry: dict[str, Any] = {"index": index, "function": function}
    if id is not None:
        entry["id"] = id
    return {"tool_calls": [entry]}


def test_stream_invalid_arguments_are_wrapped_not_relayed() -> None:
    _, evts = decode(
        chunk(call(0, id="call_1", name="Bash", args="{'command': ")),
        chunk(call(0, args="'ls'}")),
        chunk({}, "tool_calls"),
        b"data: [DONE]\n\n",
    )
    block = accumulate(evts)["content"][0]
    assert block["input"] == {UNPARSED_KEY: "{'command': 'ls'}"}


def test_stream_empty_arguments_give_empty_input() -> None:
    _, evts = decode(
        chunk(call(0, id="call_1", name="Now", args="")),
        chunk({}, "tool_calls"),
        b"data: [DONE]\n\n",
    )
    assert accumulate(evts)["content"] == [
        {"type": "tool_use", "id": "call_1", "name": "Now", "input": {}}
    ]


def test_stream_tool_ids_sanitised_and_made_unique() -> None:
    _, evts = decode(
        chunk(call(0, id="functions.Bash:0", name="Bash", args="{}")),
        chunk(call(1, id="functions.Bash:0", name="Bash", args="{}")),
        chunk(call(2, name="Read", args="{}")),
        chunk({}, "tool_calls"),
        b"data: [DONE]\n\n",
    )
    ids = [b["id"] for b in accumulate(evts)["content"]]
    assert len(set(ids)) == 3
    assert all(i.replace("_", "").replace("-", "").isalnum() for i in ids)
    assert ids[0].startswith("functions_Bash_0_")


def test_stream_stop_with_tool_calls_is_tool_use() -> None:
    _, evts = decode(
        chunk(call(0, id="c1", name="A", args="{}")), chunk({}, "stop"), b"data: [DONE]\n\n"
    )
    assert accumulate(evts)["stop_reason"] == "tool_use"


@pytest.mark.parametrize(
    ("finish", "reason"),
    [
        ("stop", "end_turn"),
        ("length", "max_tokens"),
        ("content_filter", "refusal"),
        ("tool_calls", "tool_use"),
        ("something_new", "end_turn"),
    ],
)
def test_stream_finish_reasons(finish: str, reason: str) -> None:
    _, evts = decode(chunk({"content": "x"}), chunk({}, finish), b"data: [DONE]\n\n")
    assert accumulate(evts)["stop_reason"] == reason


def test_stream_vllm_matched_stop_string_is_stop_sequence() -> None:
    raw = frames(Chat(Reply(text("abc")), matched_stop="###"))
    _, evts = decode(raw)
    message = accumulate(evts)
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", "###")


def test_stream_ends_on_usage_chunk_and_ignores_the_rest() -> None:
    decoder, evts = decode(
        chunk({"content": "x"}),
        chunk({}, "stop"),
        chunk(
            None,
            usage={
                "prompt_tokens": 100,
                "completion_tokens": 7,
                "prompt_tokens_details": {"cached_tokens": 60},
            },
        ),
    )
    assert decoder.ended
    usage = accumulate(evts)["usage"]
    assert (usage["input_tokens"], usage["cache_read_input_tokens"], usage["output_tokens"]) == (
        40,
        60,
        7,
    )
    assert decoder.feed(b"data: [DONE]\n\n") == b""


def test_stream_usage_in_finish_chunk_ends_at_once() -> None:
    decoder, evts = decode(
        frames(Chat(Reply(text("x"), output_tokens=3), usage="finish"), done=False)
    )
    assert decoder.ended and accumulate(evts)["usage"]["output_tokens"] == 3


def test_stream_without_usage_ends_at_done() -> None:
    decoder, evts = decode(frames(Reply(text("x")), include_usage=False))
    assert decoder.ended
    assert accumulate(evts)["usage"]["output_tokens"] == 0
    assert decoder.usage.output_tokens is None


@pytest.mark.parametrize(
    "cut", ["before anything", "after role chunk", "mid text", "after finish without usage or done"]
)
def test_stream_cut_short_is_not_ended(cut: str) -> None:
    raw = frames(Reply(text("one two three")))
    lines = raw.split(b"\n\n")
    keep = {
        "before anything": 0,
        "after role chunk": 1,
        "mid text": 3,
        "after finish without usage or done": len(lines) - 3,
    }[cut]
    decoder, evts = decode(b"\n\n".join(lines[:keep]) + (b"\n\n" if keep else b""))
    assert not decoder.ended
    assert all(name != "message_stop" for name, _ in evts)


def test_stream_half_a_line_is_held_back() -> None:
    raw = frames(Reply(text("hello")))
    decoder = ChatStreamDecoder(client_model=None)
    first_line_end = raw.index(b"\n")
    assert decoder.feed(raw[: first_line_end - 5]) == b""
    assert shape(events(decoder.feed(raw[first_line_end - 5 : first_line_end + 1]))) == [
        "message_start"
    ]


def test_stream_error_object_becomes_error_event() -> None:
    error = {"error": {"message": "The server had an error", "type": "server_error", "code": None}}
    decoder, evts = decode(
        chunk({"content": "partial"}),
        b"data: " + orjson.dumps(error) + b"\n\n",
        chunk({"content": "x"}),
    )
    assert decoder.ended
    assert evts[-1] == (
        "error",
        {"type": "error", "error": {"type": "api_error", "message": "The server had an error"}},
    )
    assert all(name != "message_stop" for name, _ in evts)


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [
        ({"message": "m", "code": 429}, 429, "rate_limit_error"),
        ({"message": "m", "type": "rate_limit_exceeded"}, 429, "rate_limit_error"),
        ({"message": "m", "code": 529}, 529, "overloaded_error"),
        ({"message": "m", "code": 502}, 502, "api_error"),
        ({"message": "m", "type": "server_error"}, 502, "api_error"),
        ({"message": "m", "type": "invalid_request_error"}, 400, "invalid_request_error"),
    ],
)
def test_stream_error_types(error: dict[str, Any], status: int, kind: str) -> None:
    envelope = {"type": "error", "error": {"type": kind, "message": "m"}}
    _, evts = decode(chunk({"content": "x"}), b"data: " + orjson.dumps({"error": error}) + b"\n\n")
    assert evts[-1] == ("error", envelope)
    # Before the message started, the attempt fails instead, so the relay can fail over.
    with pytest.raises(UpstreamStatusError) as caught:
        decode(b": hi\n\n", b"data: " + orjson.dumps({"error": error}) + b"\n\n")
    assert caught.value.answer.status == status
    assert orjson.loads(caught.value.answer.body) == envelope


def test_stream_vllm_style_error_object() -> None:
    raw = orjson.dumps(
        {"object": "error", "message": "bad", "type": "BadRequestError", "code": 400}
    )
    _, evts = decode(chunk({"content": "x"}), b"data: " + raw + b"\n\n")
    assert evts[-1][1]["error"] == {"type": "invalid_request_error", "message": "bad"}


def test_stream_malformed_first_chunk_fails_the_attempt() -> None:
    with pytest.raises(UpstreamStatusError) as caught:
        decode(b"data: <html>\n\n")
    assert caught.value.answer.status == 502


def test_stream_malformed_chunk_is_an_api_error() -> None:
    decoder, evts = decode(chunk({"content": "x"}), b"data: {not json\n\n")
    assert decoder.ended and evts[-1][0] == "error"
    assert evts[-1][1]["error"]["type"] == "api_error"


def test_stream_json_spread_over_data_lines() -> None:
    body = orjson.dumps({"choices": [{"index": 0, "delta": {"content": "multi"}}]}).decode()
    raw = f"data: {body[:10]}\ndata: {body[10:]}\n\n".encode()
    _, evts = decode(raw, chunk({}, "stop"), b"data: [DONE]\n\n")
    assert accumulate(evts)["content"] == [{"type": "text", "text": "multi"}]


def test_stream_single_newline_separated_events() -> None:
    raw = frames(Reply(text("a b"))).replace(b"\n\n", b"\n")
    decoder, evts = decode(raw)
    assert decoder.ended and accumulate(evts)["content"][0]["text"] == "a b"


def test_stream_reasoning_field_variants_and_refusal() -> None:
    _, evts = decode(
        chunk({"reasoning": "r1"}),
        chunk({"reasoning_content": "r2"}),
        chunk({"refusal": "I can't"}),
        chunk({}, "content_filter"),
        b"data: [DONE]\n\n",
    )
    message = accumulate(evts)
    assert message["content"] == [
        {"type": "thinking", "thinking": "r1r2", "signature": ""},
        {"type": "text", "text": "I can't"},
    ]
    assert message["stop_reason"] == "refusal"


def test_stream_text_after_tool_call_closes_the_call_first() -> None:
    _, evts = decode(
        chunk(call(0, id="c1", name="A", args='{"x":')),
        chunk({"content": "hm"}),
        chunk({}, "stop"),
        b"data: [DONE]\n\n",
    )
    content = accumulate(evts)["content"]
    assert [b["type"] for b in content] == ["tool_use", "text"]
    assert content[0]["input"] == {UNPARSED_KEY: '{"x":'}


def test_stream_model_falls_back_to_upstreams() -> None:
    _, evts = decode(frames(Reply(text("x"))), model=None)
    assert evts[0][1]["message"]["model"] == "gpt-5"


def test_stream_done_alone_gives_an_empty_message() -> None:
    decoder, evts = decode(b"data: [DONE]\n\n")
    assert decoder.ended
    assert shape(evts) == ["message_start", "message_delta", "message_stop"]


def test_stream_other_choices_ignored() -> None:
    body = {
        "choices": [
            {"index": 1, "delta": {"content": "other"}},
            {"index": 0, "delta": {"content": "mine"}},
        ]
    }
    _, evts = decode(
        b"data: " + orjson.dumps(body) + b"\n\n", chunk({}, "stop"), b"data: [DONE]\n\n"
    )
    assert accumulate(evts)["content"] == [{"type": "text", "text": "mine"}]


def test_stream_keepalives_become_pings_after_the_start() -> None:
    decoder = ChatStreamDecoder(client_model=None)
    assert decoder.feed(b": OPENROUTER PROCESSING\n\n") == b""  # nothing before message_start
    raw = decoder.feed(chunk({"role": "assistant"}) + b": keep-alive\n\n")
    assert shape(events(raw)) == ["message_start", "ping"]
    assert events(raw)[1][1] == {"type": "ping"}
