"""The same exchanges through aiohttp's client and the lean one, compared.

Each case runs against a real server on 127.0.0.1: an aiohttp app for ordinary answers
of every size and shape, raw asyncio servers for exact bytes (1xx, cuts, resets,
drips, malformed framing). Both clients sit behind the same API (aiohttp's through
the fallback adapter, made as ``Provider.start`` makes its session), so status,
headers, content type, body bytes and the phase of any error must agree.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from cc_relay.http1 import AiohttpClient, Client
from tests.http1.servers import (
    Outcome,
    RawServer,
    answer_once,
    fetch,
    provider_session,
    reset,
)

SIZES = [0, 1, 1000, 65_535, 65_536, 76_061, 1_000_000, 3_000_000]
Both = tuple[Client, AiohttpClient]


@pytest.fixture
async def clients() -> AsyncIterator[Both]:
    session = provider_session()
    async with Client() as lean:
        yield lean, AiohttpClient(session)
    await session.close()


async def _compare(clients: Both, url: str, **kwargs: object) -> Outcome:
    lean, reference = clients
    expected = await fetch(reference, url, **kwargs)  # type: ignore[arg-type]
    got = await fetch(lean, url, **kwargs)  # type: ignore[arg-type]
    if expected.error == "body" and got.error == "body":
        # aiohttp drops what it buffered when the body breaks; the lean client hands
        # it over first. Both must be a prefix of the same bytes.
        assert got.body.startswith(expected.body) or expected.body.startswith(got.body)
        got = Outcome(got.status, got.headers, got.content_type, b"", got.error)
        expected = Outcome(expected.status, expected.headers, expected.content_type, b"", "body")
    assert got == expected
    return got


# -- an aiohttp server -----------------------------------------------------------------


def _body(size: int) -> bytes:
    return bytes(range(256)) * (size // 256) + bytes(range(size % 256))


async def _sized(request: web.Request) -> web.StreamResponse:
    data = await request.read()
    size = int(request.query["size"])
    digest = hashlib.sha256(data).hexdigest()
    headers = {"X-Request-Sha": digest, "X-Request-Length": str(len(data))}
    if request.query.get("chunked"):
        response = web.StreamResponse(headers=headers)
        response.enable_chunked_encoding()
        response.content_type = "application/json"
        await response.prepare(request)
        payload, step = _body(size), int(request.query.get("step", "16384"))
        for at in range(0, size, step):
            await response.write(payload[at : at + step])
        await response.write_eof()
        return response
    return web.Response(body=_body(size), headers=headers, content_type="application/json")


async def _sse(request: web.Request) -> web.StreamResponse:
    await request.read()
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    for i in range(int(request.query.get("events", "300"))):
        event = f'event: content_block_delta\ndata: {{"index":0,"n":{i}}}\n\n'.encode()
        for piece in (event[:7], event[7:19], event[19:]):
            await response.write(piece)
        if i % 50 == 0:
            await asyncio.sleep(0)
    await response.write_eof()
    return response


async def _headers(request: web.Request) -> web.Response:
    count, size = int(request.query["count"]), int(request.query["size"])
    fields = {f"X-Field-{i:03d}": "v" * size for i in range(count)}
    return web.Response(text="ok", headers=fields)


async def _close(request: web.Request) -> web.Response:
    return web.Response(text="bye", headers={"Connection": "close"})


async def _status(request: web.Request) -> web.Response:
    status = int(request.query["status"])
    return web.Response(status=status, body=None if status in (204, 304) else b"x" * 10)


async def _echo_head(request: web.Request) -> web.Response:
    # aiohttp adds Accept: */* and, for a body, Content-Type: application/octet-stream
    # when none is given; the lean client writes only what it is given.
    seen = sorted(
        f"{k.lower()}: {v}"
        for k, v in request.headers.items()
        if k.lower() not in ("accept", "content-type")
    )
    return web.Response(text="\n".join([request.method, request.path_qs, *seen]))


@pytest.fixture
async def app_url() -> AsyncIterator[str]:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/sized", _sized)
    app.router.add_post("/sse", _sse)
    app.router.add_post("/headers", _headers)
    app.router.add_post("/close", _close)
    app.router.add_route("*", "/status", _status)
    app.router.add_route("*", "/echo", _echo_head)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=0.3)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("stream", [False, True])
async def test_differential_sizes(
    clients: Both, app_url: str, size: int, chunked: bool, stream: bool
) -> None:
    url = f"{app_url}/sized?size={size}" + ("&chunked=1&step=7919" if chunked else "")
    got = await _compare(clients, url, body=_body(size), stream=stream)
    assert got.status == 200 and got.body == _body(size)
    assert dict(got.headers or ())["X-Request-Sha"] == hashlib.sha256(_body(size)).hexdigest()


async def test_differential_sse_written_in_small_pieces(clients: Both, app_url: str) -> None:
    got = await _compare(clients, f"{app_url}/sse?events=500", body=b"{}", stream=True)
    assert got.body.count(b"\n\n") == 500 and got.content_type == "text/event-stream"


@pytest.mark.parametrize(("count", "size"), [(100, 60), (3, 8000), (1, 9000), (130, 4)])
async def test_differential_huge_headers(
    clients: Both, app_url: str, count: int, size: int
) -> None:
    got = await _compare(clients, f"{app_url}/headers?count={count}&size={size}")
    # Both clients refuse a field over 8190 bytes and more than 128 fields.
    assert (got.error is None) == (size <= 8190 and count <= 120)


async def test_differential_connection_close(clients: Both, app_url: str) -> None:
    for _ in range(3):
        got = await _compare(clients, f"{app_url}/close")
        assert got.body == b"bye"
    assert clients[0].pool.idle_count == 0


@pytest.mark.parametrize("status", [200, 201, 204, 304, 400, 404, 429, 500, 529])
async def test_differential_statuses(clients: Both, app_url: str, status: int) -> None:
    await _compare(clients, f"{app_url}/status?status={status}")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
async def test_differential_request_head_seen_by_the_server(
    clients: Both, app_url: str, method: str
) -> None:
    headers = {"anthropic-version": "2023-06-01", "x-api-key": "k", "Accept-Encoding": "identity"}
    body = b"" if method in ("GET", "DELETE") else b'{"a":1}'
    url = f"{app_url}/echo?q=1&r=%20"
    got = await _compare(clients, url, body=body, headers=headers, method=method)
    assert got.body.startswith(f"{method}\n/echo?q=1&r=%20\n".encode())


async def test_differential_keep_alive_reuse_and_idle_close(clients: Both, app_url: str) -> None:
    for _ in range(5):
        await _compare(clients, f"{app_url}/sized?size=100", body=b"x")
    assert clients[0].pool.open_count == 1
    # The server closes idle connections after 0.3 s; both clients notice and reconnect.
    await asyncio.sleep(0.6)
    assert clients[0].pool.open_count == 0
    for _ in range(2):
        await _compare(clients, f"{app_url}/sized?size=100", body=b"x")


# -- raw servers: exact bytes ------------------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, RawServer], Awaitable[None]]

OK_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

RAW_ANSWERS: dict[str, bytes] = {
    "informational": (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 102 Processing\r\n\r\n" + OK_HEAD + b"Content-Length: 2\r\n\r\nok"
    ),
    "until_close": OK_HEAD + b"\r\n" + b"streamed until the end" * 100,
    "http10": b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    "http10_until_close": b"HTTP/1.0 200 OK\r\n\r\nabcdef",
    "cut_content_length": OK_HEAD + b"Content-Length: 1000\r\n\r\n" + b"x" * 500,
    "cut_mid_chunk": OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n10\r\n01234567",
    "cut_between_chunks": OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n",
    "cut_mid_head": b"HTTP/1.1 200 OK\r\nContent-Ty",
    "cut_before_head": b"",
    "chunked_with_trailers": (
        OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
    ),
    "bad_status_line": b"HTTP/1.1 abc OK\r\n\r\n",
    "not_http": b"SSH-2.0-OpenSSH_9.6\r\n",
    "header_without_colon": b"HTTP/1.1 200 OK\r\nBroken header\r\nContent-Length: 0\r\n\r\n",
    "nul_in_header": b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n",
    "length_and_chunked": (
        OK_HEAD + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    ),
    "two_lengths": OK_HEAD + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "lf_only": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
    "trailing_blanks": b"HTTP/1.1 200 OK\r\nX-A: padded  \t\r\nContent-Length: 0\r\n\r\n",
    "no_reason": b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    "utf8_header": "HTTP/1.1 200 OK\r\nX-Name: café\r\nContent-Length: 0\r\n\r\n".encode(),
}


def _head_then_rest(answer: bytes) -> Handler:
    """Write up to the end of the last head, then the rest a moment later, as a real
    upstream does (aiohttp parses a packet whole, so a bad body arriving with the head
    would fail its request before any response: a timing artefact, not a difference)."""
    end = answer.find(b"\r\n\r\n", answer.rfind(b"HTTP/1."))
    split = end + 4 if end >= 0 else len(answer)

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        if await server.next_request(reader) is not None:
            writer.write(answer[:split])
            await writer.drain()
            await asyncio.sleep(0.01)
            writer.write(answer[split:])

    return handle


@pytest.mark.parametrize("case", sorted(RAW_ANSWERS))
@pytest.mark.parametrize("stream", [False, True])
async def test_differential_raw_answers(clients: Both, case: str, stream: bool) -> None:
    async with RawServer(_head_then_rest(RAW_ANSWERS[case])) as server:
        await _compare(clients, server.url(), body=b"{}", stream=stream)


@pytest.mark.parametrize("split", [False, True])
async def test_differential_all_in_one_packet(clients: Both, split: bool) -> None:
    answer = RAW_ANSWERS["chunked_with_trailers"]
    handler = _head_then_rest(answer) if split else answer_once(answer)
    async with RawServer(handler) as server:
        got = await _compare(clients, server.url(), body=b"{}")
    assert got.body == b"abc" and ("X-T", "1") not in (got.headers or ())


# -- where the two differ on purpose ---------------------------------------------------


async def test_lean_bytes_after_the_end_keep_the_answer_not_the_connection(
    clients: Both,
) -> None:
    # aiohttp fails the whole request; the answer itself was complete and well formed,
    # so the lean client returns it and closes the connection instead of pooling it.
    lean, reference = clients
    answer = OK_HEAD + b"Content-Length: 2\r\n\r\nokGARBAGE"
    async with RawServer(answer_once(answer)) as server:
        assert (await fetch(reference, server.url())).error == "answer"
        got = await fetch(lean, server.url())
    assert (got.status, got.body, got.error) == (200, b"ok", None)
    assert lean.pool.idle_count == 0


async def test_lean_fails_a_bad_chunk_size_where_aiohttp_hangs(clients: Both) -> None:
    # aiohttp 3.14 never completes nor fails a body whose chunk size is malformed when
    # it arrives after the head (the relay would wait out its idle timeout); the lean
    # client fails it at once.
    lean, reference = clients
    answer = OK_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    async with RawServer(_head_then_rest(answer)) as server:
        got = await fetch(lean, server.url())
        assert (got.status, got.error) == (200, "body")
        try:
            async with asyncio.timeout(0.5):
                expected = await fetch(reference, server.url())
        except TimeoutError:
            return
        assert expected.error in ("answer", "body")


async def test_lean_refuses_101_switching_protocols(clients: Both) -> None:
    # aiohttp hands back a 101 "response" the relay would take for a success.
    lean, reference = clients
    answer = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"
    async with RawServer(answer_once(answer)) as server:
        assert (await fetch(reference, server.url())).status == 101
        assert (await fetch(lean, server.url())).error == "answer"


def _resetting(after: bytes) -> Handler:
    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        if await server.next_request(reader) is not None:
            writer.write(after)
            await writer.drain()
            await asyncio.sleep(0.05)
            reset(writer)

    return handle


@pytest.mark.parametrize(
    "sent",
    [b"", b"HTTP/1.1 200 OK\r\nContent-", OK_HEAD + b"Content-Length: 100\r\n\r\nabc"],
    ids=["before_head", "mid_head", "mid_body"],
)
async def test_differential_connection_reset(clients: Both, sent: bytes) -> None:
    async with RawServer(_resetting(sent)) as server:
        got = await _compare(clients, server.url(), body=b"{}", stream=True)
        assert got.error is not None


def _dripping(answer: bytes, pause: float) -> Handler:
    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        if await server.next_request(reader) is not None:
            for at in range(0, len(answer), 3):
                writer.write(answer[at : at + 3])
                await writer.drain()
                await asyncio.sleep(pause)

    return handle


@pytest.mark.parametrize("case", ["informational", "chunked_with_trailers", "until_close"])
async def test_differential_slow_drip(clients: Both, case: str) -> None:
    answer = RAW_ANSWERS[case][:400]
    async with RawServer(_dripping(answer, 0.001)) as server:
        await _compare(clients, server.url(), body=b"{}", stream=True)


async def test_differential_connect_refused(clients: Both) -> None:
    async with RawServer(answer_once(b"")) as server:
        url = server.url()
    got = await _compare(clients, url)
    assert got.error == "connect"
