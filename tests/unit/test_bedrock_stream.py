"""Bedrock event-stream frames -> Anthropic SSE, byte for byte, and its error endings."""

from __future__ import annotations

import base64

import orjson
import pytest

from cc_relay.errors import UpstreamCutError, UpstreamStatusError
from cc_relay.providers.bedrock.stream import BedrockStreamDecoder
from tests.emulators import Reply, text, thinking, tool_use
from tests.emulators._bedrock import BedrockDialect, chunk_frame, encode_frame, exception_frame
from tests.emulators._dialect import AnthropicDialect
from tests.emulators._wire import sse_frame

REPLY = Reply(
    thinking("Let me think.", signature="sig-abc"),
    text("Hello, world!"),
    tool_use("Bash", {"command": "ls"}, id="toolu_01X"),
    stop_reason="tool_use",
    input_tokens=42,
    output_tokens=17,
)


class _NoPing(AnthropicDialect):
    sends_ping = False


def _wire(reply: Reply = REPLY, model: str = "claude-opus-4-8") -> tuple[bytes, bytes]:
    """(Bedrock's frames, the SSE api.anthropic.com sends for the same events)."""
    dialect = BedrockDialect()
    blocks = dialect.resolve(reply)
    events = dialect.stream_events(reply, blocks, model=model)
    frames = b"".join(chunk_frame(data) for _, data in events)
    anthropic = _NoPing().stream_events(reply, blocks, model=model)
    start = orjson.loads(anthropic[0][1])
    start["message"]["id"] = orjson.loads(events[0][1])["message"]["id"]
    anthropic[0] = ("message_start", orjson.dumps(start))
    return frames, b"".join(sse_frame(name, data) for name, data in anthropic)


def test_frames_become_anthropic_sse_byte_for_byte() -> None:
    frames, expected = _wire()
    decoder = BedrockStreamDecoder()
    assert decoder.feed(frames) == expected
    assert decoder.ended
    assert (decoder.usage.input_tokens, decoder.usage.output_tokens) == (42, 17)


def test_invocation_metrics_are_dropped_from_message_stop() -> None:
    frames, _ = _wire()
    out = BedrockStreamDecoder().feed(frames)
    assert out.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert b"amazon-bedrock-invocationMetrics" not in out


def test_frames_split_at_every_byte_give_the_same_sse() -> None:
    frames, expected = _wire(Reply(text("hi there")))
    for cut in range(len(frames) + 1):
        decoder = BedrockStreamDecoder()
        out = decoder.feed(frames[:cut]) + decoder.feed(frames[cut:])
        assert out == expected, cut


def test_every_output_holds_whole_events_only() -> None:
    frames, _ = _wire()
    decoder = BedrockStreamDecoder()
    for index in range(0, len(frames), 5):
        out = decoder.feed(frames[index : index + 5])
        assert out == b"" or out.endswith(b"\n\n")


def test_client_model_replaces_bedrock_model_in_message_start() -> None:
    frames, _ = _wire(model="claude-opus-4-8-20260101")
    out = BedrockStreamDecoder(client_model="claude-opus-4-8").feed(frames)
    first = out.split(b"\n\n")[0]
    assert b'"model":"claude-opus-4-8"' in first


def test_signatures_are_reported() -> None:
    seen: list[str] = []
    BedrockStreamDecoder(on_signature=seen.append).feed(_wire()[0])
    assert seen == ["sig-abc"]


def test_exception_before_any_output_raises_for_failover() -> None:
    decoder = BedrockStreamDecoder()
    with pytest.raises(UpstreamStatusError) as caught:
        decoder.feed(exception_frame("throttlingException", "Too many tokens."))
    answer = caught.value.answer
    assert answer.status == 429
    assert orjson.loads(answer.body) == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Too many tokens."},
    }


@pytest.mark.parametrize(
    ("name", "error_type"),
    [
        ("throttlingException", "rate_limit_error"),
        ("serviceUnavailableException", "overloaded_error"),
        ("validationException", "invalid_request_error"),
        ("modelTimeoutException", "timeout_error"),
        ("modelStreamErrorException", "api_error"),
        ("internalServerException", "api_error"),
        ("somethingNewException", "api_error"),
    ],
)
def test_exception_mid_stream_ends_with_an_error_event(name: str, error_type: str) -> None:
    frames, _ = _wire()
    decoder = BedrockStreamDecoder()
    start = decoder.feed(frames[: _first_frame_length(frames)])
    assert start.startswith(b"event: message_start")
    out = decoder.feed(exception_frame(name, "It broke.") + frames)
    assert out == (
        b'event: error\ndata: {"type":"error","error":{"type":"'
        + error_type.encode()
        + b'","message":"It broke."}}\n\n'
    )
    assert decoder.ended
    assert decoder.feed(frames) == b""


def _first_frame_length(frames: bytes) -> int:
    return int.from_bytes(frames[:4], "big")


def test_generic_error_frame_becomes_api_error() -> None:
    frames, _ = _wire()
    decoder = BedrockStreamDecoder()
    decoder.feed(frames[: _first_frame_length(frames)])
    error = encode_frame(
        {":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom"}, b""
    )
    assert b'"type":"api_error","message":"boom"' in decoder.feed(error)
    assert decoder.ended


def test_corrupt_frame_before_output_raises_a_cut() -> None:
    frame = bytearray(_wire()[0])
    frame[20] ^= 1
    with pytest.raises(UpstreamCutError, match="corrupt event stream"):
        BedrockStreamDecoder().feed(bytes(frame))


def test_corrupt_frame_after_output_ends_with_api_error() -> None:
    frames, _ = _wire()
    decoder = BedrockStreamDecoder()
    decoder.feed(frames[: _first_frame_length(frames)])
    rest = bytearray(frames[_first_frame_length(frames) :])
    rest[-1] ^= 1
    out = decoder.feed(bytes(rest))
    assert out.endswith(b"\n\n") and b"event: error" in out and b"api_error" in out
    assert decoder.ended


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"bytes": "***"}',
        b'{"bytes": "' + base64.b64encode(b"[1]") + b'"}',
        b'{"p": "x"}',
    ],
)
def test_unreadable_chunk_after_output_ends_the_stream(payload: bytes) -> None:
    frames, _ = _wire()
    decoder = BedrockStreamDecoder()
    decoder.feed(frames[: _first_frame_length(frames)])
    bad = encode_frame({":event-type": "chunk", ":message-type": "event"}, payload)
    assert b"unreadable stream chunk" in decoder.feed(bad)
    assert decoder.ended


def test_other_event_types_are_ignored() -> None:
    frames, expected = _wire()
    other = encode_frame(
        {
            ":event-type": "initial-response",
            ":message-type": "event",
            ":date": (8, 1_700_000_000_000),
        },
        b"{}",
    )
    assert BedrockStreamDecoder().feed(other + frames) == expected


def test_newlines_inside_event_json_are_reencoded() -> None:
    event = b'{\n "type": "message_stop"\n}'
    out = BedrockStreamDecoder().feed(chunk_frame(event))
    assert out == b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
