"""The parser path without sockets: a connection fed by hand, in random pieces.

Hypothesis writes the answers (chunk splits, header sets, 1xx runs) and cuts the
wire bytes at random places; whatever the cuts, the response must be the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from cc_relay.http1 import BodyError, ClientConfig, InvalidHead, Response
from cc_relay.http1.connection import Connection
from cc_relay.http1.origin import Origin

ORIGIN = Origin("http", "upstream.test", 80)


class FakeTransport(asyncio.Transport):
    """Records what is written; says it is open until closed."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False
        self.paused = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def writelines(self, data: Iterable[bytes | bytearray | memoryview]) -> None:
        for piece in data:
            self.write(piece)

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


class FakeOwner:
    def __init__(self) -> None:
        self.pooled: list[Connection] = []

    def put(self, conn: Connection) -> None:
        self.pooled.append(conn)

    def forget(self, conn: Connection) -> None:
        pass


def exchange(
    wire: bytes, cuts: list[int], *, eof: bool = False, config: ClientConfig | None = None
) -> tuple[Response, FakeOwner, FakeTransport]:
    """Send a request on a fresh fake connection and feed ``wire`` cut at ``cuts``."""
    owner = FakeOwner()
    conn = Connection(ORIGIN, config or ClientConfig(), owner)
    transport = FakeTransport()
    conn.connection_made(transport)
    response = Response(conn)
    conn.send(b"POST / HTTP/1.1\r\n\r\n", b"{}", response, head_only=False)
    at = 0
    for cut in [*sorted({c for c in cuts if 0 < c < len(wire)}), len(wire)]:
        if wire[at:cut]:
            conn.data_received(wire[at:cut])
        at = cut
    if eof:
        conn.eof_received()
        conn.connection_lost(None)
    return response, owner, transport


def body_of(response: Response) -> bytes:
    async def read() -> bytes:
        return await response.read()

    return asyncio.run(read())


def chunked(pieces: list[bytes], extensions: bool) -> bytes:
    out = b""
    for piece in pieces:
        out += b"%x%s\r\n%s\r\n" % (len(piece), b";e=1" if extensions else b"", piece)
    return out + b"0\r\n\r\n"


cuts = st.lists(st.integers(min_value=0, max_value=5000), max_size=40)
pieces = st.lists(st.binary(min_size=1, max_size=300), max_size=20)
token = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1
)
value = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60
) | st.just("with inner  spaces")


@settings(max_examples=300, deadline=None)
@given(pieces=pieces, cuts=cuts, extensions=st.booleans())
def test_framing_chunked_body_any_split(
    pieces: list[bytes], cuts: list[int], extensions: bool
) -> None:
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(pieces, extensions)
    response, owner, _ = exchange(wire, cuts)
    assert response.status == 200 and response.complete
    assert body_of(response) == b"".join(pieces)
    assert len(owner.pooled) == 1


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=3000), cuts=cuts)
def test_framing_content_length_any_split(body: bytes, cuts: list[int]) -> None:
    wire = b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    response, owner, _ = exchange(wire, cuts)
    assert (response.status, body_of(response), len(owner.pooled)) == (201, body, 1)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=3000), cuts=cuts)
def test_framing_until_close_any_split(body: bytes, cuts: list[int]) -> None:
    wire = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body
    response, owner, _ = exchange(wire, cuts, eof=True)
    assert body_of(response) == body and not owner.pooled


@settings(max_examples=200, deadline=None)
@given(body=st.binary(min_size=1, max_size=3000), cuts=cuts, data=st.data())
def test_framing_cut_body_is_a_body_error(
    body: bytes, cuts: list[int], data: st.DataObject
) -> None:
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    head = wire.index(b"\r\n\r\n") + 4
    short = data.draw(st.integers(min_value=head, max_value=len(wire) - 1))
    response, owner, _ = exchange(wire[:short], cuts, eof=True)
    assert response.status == 200 and not owner.pooled

    async def drain() -> bytes:
        got = b""
        try:
            while chunk := await response.readany():
                got += chunk
        except BodyError:
            return got
        raise AssertionError("no error")

    assert asyncio.run(drain()) == body[: short - head]


@settings(max_examples=300, deadline=None)
@given(fields=st.lists(st.tuples(token, value), max_size=30), cuts=cuts)
def test_framing_header_sets(fields: list[tuple[str, str]], cuts: list[int]) -> None:
    fields = [(n, v) for n, v in fields if n.lower() not in ("content-length", "transfer-encoding")]
    lines = "".join(f"{name}: {text}\r\n" for name, text in fields)
    wire = f"HTTP/1.1 200 OK\r\n{lines}Content-Length: 0\r\n\r\n".encode()
    response, _, _ = exchange(wire, cuts)
    assert list(response.headers.items()) == [*fields, ("Content-Length", "0")]
    for name, text in fields:
        first = next(v for n, v in fields if n.lower() == name.lower())
        assert response.headers[name.upper()] == first and name.swapcase() in response.headers
        assert text in response.headers.getall(name)


@settings(max_examples=150, deadline=None)
@given(
    informational=st.lists(
        st.tuples(st.sampled_from([100, 102, 103]), st.lists(st.tuples(token, value), max_size=3)),
        max_size=4,
    ),
    cuts=cuts,
)
def test_framing_1xx_answers_are_skipped(
    informational: list[tuple[int, list[tuple[str, str]]]], cuts: list[int]
) -> None:
    wire = b"".join(
        f"HTTP/1.1 {status} Info\r\n".encode()
        + "".join(f"{n}: {v}\r\n" for n, v in fields).encode()
        + b"\r\n"
        for status, fields in informational
    )
    wire += b"HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 2\r\n\r\nok"
    response, owner, _ = exchange(wire, cuts)
    assert response.status == 200
    assert list(response.headers.items()) == [("X-Final", "yes"), ("Content-Length", "2")]
    assert body_of(response) == b"ok" and len(owner.pooled) == 1


@settings(max_examples=100, deadline=None)
@given(pieces=pieces, cuts=cuts)
def test_framing_readany_between_pieces_loses_nothing(pieces: list[bytes], cuts: list[int]) -> None:
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(pieces, False)

    async def run() -> bytes:
        owner = FakeOwner()
        conn = Connection(ORIGIN, ClientConfig(high_water=64), owner)
        transport = FakeTransport()
        conn.connection_made(transport)
        response = Response(conn)
        conn.send(b"GET / HTTP/1.1\r\n\r\n", b"", response, head_only=False)
        got = b""
        at = 0
        for cut in [*sorted({c for c in cuts if 0 < c < len(wire)}), len(wire)]:
            conn.data_received(wire[at:cut])
            at = cut
            if response.status and response._chunks:
                got += await response.readany()
                assert not transport.paused
        while chunk := await response.readany():
            got += chunk
        return got

    assert asyncio.run(run()) == b"".join(pieces)


def test_framing_pauses_above_high_water_and_resumes_when_drained() -> None:
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"a" * 1000
    response, _, transport = exchange(wire[:600], [], config=ClientConfig(high_water=100))
    assert transport.paused

    async def one() -> bytes:
        return await response.readany()

    assert len(asyncio.run(one())) == 600 - wire.index(b"\r\n\r\n") - 4
    assert not transport.paused


def test_framing_limits_on_header_fields() -> None:
    config = ClientConfig(max_field_size=10, max_headers=2)
    for wire in (
        b"HTTP/1.1 200 OK\r\nX-Long: 12345678901\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
    ):
        response, _, transport = exchange(wire, [], config=config)
        assert isinstance(response._error, InvalidHead) and transport.closed
    response, _, _ = exchange(
        b"HTTP/1.1 200 OK\r\n" + b"X" * 2000, [], config=ClientConfig(max_head_size=1000)
    )
    assert isinstance(response._error, InvalidHead)


def test_framing_bytes_while_idle_close_the_connection() -> None:
    wire = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    _response, owner, transport = exchange(wire, [])
    [conn] = owner.pooled
    conn.data_received(b"HTTP/1.1 200 OK\r\n")
    assert transport.closed and not conn.usable
