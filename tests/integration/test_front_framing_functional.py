"""The front server's framing under hypothesis: requests of any size, cut into any
pieces, sent one by one or pipelined, each reaches the upstream byte for byte and is
answered once, in order, by the front server itself."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import BinaryIO

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.background import Background
from tests.conftest import provider
from tests.emulators import AnthropicEmulator

MODEL = "claude-opus-4-8"
#: Seconds a read may wait: a framing bug shows as an answer that never comes.
WAIT = 3.0


@pytest.fixture(scope="module")
def served() -> Iterator[Background]:
    with Background(
        lambda: (AnthropicEmulator(),), lambda emus: [provider(emus[0])], source="framing"
    ) as running:
        yield running


def _request(stream: bool, prompt: str, extra: list[tuple[str, str]]) -> tuple[bytes, bytes]:
    body = orjson.dumps(
        {
            "model": MODEL,
            "max_tokens": 5,
            "stream": stream,
            "messages": [{"role": "user", "content": prompt}],
        }
    )
    headers = "".join(f"{name}: {value}\r\n" for name, value in extra).encode()
    head = (
        b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n%s\r\n" % (len(body), headers)
    )
    return head + body, body


def _answers(stream: BinaryIO, count: int) -> list[tuple[int, bytes]]:
    """``count`` answers off a blocking socket: status and (de-chunked) body."""
    answers = []
    for _ in range(count):
        status = int(stream.readline().split()[1])
        headers = {}
        while (line := stream.readline()) != b"\r\n":
            name, _, value = line.decode().partition(":")
            headers[name.lower()] = value.strip()
        if "content-length" in headers:
            body = stream.read(int(headers["content-length"]))
        else:
            parts = []
            while size := int(stream.readline().strip(), 16):
                parts.append(stream.read(size))
                stream.read(2)
            stream.read(2)
            body = b"".join(parts)
        answers.append((status, body))
    return answers


_header = st.tuples(
    st.sampled_from(["x-trace", "anthropic-beta", "x-stainless-lang", "user-agent"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_,. ", max_size=200),
)
_requests = st.lists(
    st.tuples(st.booleans(), st.integers(0, 40_000), st.lists(_header, max_size=6)),
    min_size=1,
    max_size=3,
)

#: Where the bytes are cut into separate writes (taken modulo their length).
_cuts = st.lists(st.integers(1, 1_000_000), max_size=12)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    # A failing case costs WAIT seconds; shrinking would try dozens of them.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    requests=_requests,
    cuts=st.lists(st.integers(1, 1_000_000), max_size=12),
    pipelined=st.booleans(),
)
def test_any_framing_of_plain_requests_is_served_by_the_front_whole_and_in_order(
    served: Background,
    requests: list[tuple[bool, int, list[tuple[str, str]]]],
    cuts: list[int],
    pipelined: bool,
) -> None:
    front, (emu,) = served.relay.front, served.emulators
    assert front is not None and isinstance(emu, AnthropicEmulator)
    built = [_request(stream, "x" * size, extra) for stream, size, extra in requests]
    seen_before = len(emu.messages_requests)
    answered, handed = front.answered, front.handed_over
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        reader = sock.makefile("rb")
        answers = []
        for batch in [b"".join(r for r, _ in built)] if pipelined else [r for r, _ in built]:
            points = sorted({cut % len(batch) for cut in cuts} - {0})
            for start, end in zip([0, *points], [*points, len(batch)], strict=True):
                sock.sendall(batch[start:end])
            if not pipelined:
                answers += _answers(reader, 1)
        if pipelined:
            answers = _answers(reader, len(built))
    assert [status for status, _ in answers] == [200] * len(built)
    for (stream, _, _), (_, body) in zip(requests, answers, strict=True):
        assert (b"event: message_stop" in body) if stream else (b'"pong"' in body)
    upstream = emu.messages_requests[seen_before:]
    assert [r.body for r in upstream] == [body for _, body in built]
    assert (front.answered - answered, front.handed_over - handed) == (len(built), 0)
