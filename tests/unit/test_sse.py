"""EventCutter: whole events only, whatever the chunking; usage read; model renamed."""

from __future__ import annotations

import itertools
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.sse import EventCutter, error_event


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


STREAM = b"".join(
    [
        _event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "glm-4.6",
                    "content": [],
                    "usage": {"input_tokens": 120, "output_tokens": 1},
                },
            },
        ),
        _event("ping", {"type": "ping"}),
        _event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        _event(
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": "h\u00e9llo\n\n"},
            },
        ),
        _event("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn"},
                "usage": {"output_tokens": 37},
            },
        ),
        _event("message_stop", {"type": "message_stop"}),
    ]
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


@given(st.lists(st.integers(min_value=0), max_size=40))
def test_cutter_any_chunking_gives_same_bytes_and_whole_events(cuts: list[int]) -> None:
    cutter = EventCutter()
    outputs = [cutter.feed(chunk) for chunk in _split(STREAM, cuts)]
    assert b"".join(outputs) == STREAM
    assert all(out.endswith(b"\n\n") for out in outputs if out)
    assert cutter.ended
    assert (cutter.usage.input_tokens, cutter.usage.output_tokens) == (120, 37)


@given(st.lists(st.integers(min_value=0), max_size=40))
def test_cutter_renames_model_whatever_the_chunking(cuts: list[int]) -> None:
    cutter = EventCutter(client_model="claude-opus-4-8")
    out = b"".join(cutter.feed(chunk) for chunk in _split(STREAM, cuts))
    first = orjson.loads(out.split(b"\n\n")[0].split(b"data: ", 1)[1])
    assert first["message"]["model"] == "claude-opus-4-8"
    assert out.count(b"glm-4.6") == 0
    assert out.split(b"\n\n", 1)[1] == STREAM.split(b"\n\n", 1)[1]


def test_cutter_holds_partial_event() -> None:
    cutter = EventCutter()
    assert cutter.feed(b"event: ping\ndata: {}") == b""
    assert cutter.feed(b"\n\nevent: mess") == b"event: ping\ndata: {}\n\n"
    assert not cutter.ended


def test_cutter_crlf_boundaries() -> None:
    cutter = EventCutter()
    data = b"event: ping\r\ndata: {}\r\n\r\nevent: message_stop\r\ndata: {}\r\n\r\n"
    assert cutter.feed(data) == data
    assert cutter.ended


def test_cutter_upstream_error_event_ends_stream() -> None:
    cutter = EventCutter()
    cutter.feed(error_event("overloaded_error", "Overloaded"))
    assert cutter.ended


def test_error_event_is_nested_envelope() -> None:
    raw = error_event("api_error", "lost")
    name, data = raw.rstrip(b"\n").split(b"\n")
    assert name == b"event: error"
    assert orjson.loads(data[6:]) == {
        "type": "error",
        "error": {"type": "api_error", "message": "lost"},
    }
    assert raw.endswith(b"\n\n")
