"""The front server (cc_relay.front) through raw sockets: what it answers, what it hands
to aiohttp, and that both answer the same request alike."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from cc_relay.admin.requests import RequestQuery
from cc_relay.api.info import ROOT_BODY
from cc_relay.front import Front
from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, provider
from tests.emulators import AnthropicEmulator, Fail, Reply, text

MODEL = "claude-opus-4-8"
PATIENCE = 5.0


def _body(stream: bool = False, model: str = MODEL, prompt: str = "hi") -> bytes:
    return orjson.dumps(
        {
            "model": model,
            "max_tokens": 5,
            "stream": stream,
            "messages": [{"role": "user", "content": prompt}],
        }
    )


def _request(
    body: bytes,
    *,
    target: str = "/v1/messages",
    extra: bytes = b"",
    host: bytes = b"127.0.0.1",
    content_type: bytes = b"application/json",
) -> bytes:
    return b"POST %s HTTP/1.1\r\nHost: %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n%s\r\n%s" % (
        target.encode(),
        host,
        content_type,
        len(body),
        extra,
        body,
    )


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    """One HTTP/1.1 response: a Content-Length or chunked body."""
    async with asyncio.timeout(PATIENCE):
        status_line = await reader.readline()
        assert status_line.startswith(b"HTTP/1.1 "), status_line
        if status_line.startswith(b"HTTP/1.1 100 "):  # an answer to Expect: 100-continue
            assert await reader.readline() == b"\r\n"
            status_line = await reader.readline()
        headers: dict[str, str] = {}
        while (line := await reader.readline()) != b"\r\n":
            name, _, value = line.decode().partition(":")
            assert name.lower() not in headers, f"{name} sent twice"
            headers[name.lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            assert headers.get("transfer-encoding") == "chunked", headers
            parts = []
            while size := int((await reader.readline()).strip(), 16):
                parts.append(await reader.readexactly(size))
                assert await reader.readexactly(2) == b"\r\n"
            assert await reader.readexactly(2) == b"\r\n"
            body = b"".join(parts)
    return Answer(int(status_line.split()[1]), headers, body)


async def _exchange(relay: RelayServer, *requests: bytes) -> list[Answer]:
    """Send the requests one after another on one connection; their answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    try:
        answers = []
        for request in requests:
            writer.write(request)
            answers.append(await _read_answer(reader))
        return answers
    finally:
        writer.close()


def _front(relay: RelayServer) -> Front:
    assert relay.front is not None
    return relay.front


async def test_hot_requests_are_answered_by_the_front_server_on_one_connection(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("one")), Reply(text("two")))
    emu.enqueue_count(42)
    whole, stream, count = await _exchange(
        relay,
        _request(_body()),
        _request(_body(stream=True)),
        _request(_body(), target="/v1/messages/count_tokens"),
    )
    assert whole.status == 200 and orjson.loads(whole.body)["content"][0]["text"] == "one"
    assert stream.status == 200 and stream.headers["content-type"].startswith("text/event-stream")
    assert b"event: message_stop" in stream.body and b'"two"' in stream.body
    assert count.status == 200 and orjson.loads(count.body) == {"input_tokens": 42}
    assert (_front(relay).answered, _front(relay).handed_over) == (3, 0)


async def test_another_route_moves_the_connection_to_aiohttp_and_both_answer(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("front")), Reply(text("aiohttp")))
    first, models, last = await _exchange(
        relay,
        _request(_body()),
        b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        _request(_body()),
    )
    assert orjson.loads(first.body)["content"][0]["text"] == "front"
    assert models.status == 200 and orjson.loads(models.body)["data"]
    assert orjson.loads(last.body)["content"][0]["text"] == "aiohttp"
    assert (_front(relay).answered, _front(relay).handed_over) == (1, 1)


#: Refusals: how each request differs from a good one, its status and error type.
_REFUSALS: dict[str, tuple[dict[str, Any], int, str]] = {
    "foreign-host": ({"host": b"evil.example"}, 403, "permission_error"),
    "bad-json": ({"body": b'{"model": "x",'}, 400, "invalid_request_error"),
    "not-an-object": ({"body": b"[]"}, 400, "invalid_request_error"),
    "no-model": ({"body": b'{"max_tokens": 5, "messages": []}'}, 400, "invalid_request_error"),
    "text-plain": ({"content_type": b"text/plain"}, 415, "invalid_request_error"),
    "cross-site": ({"extra": b"Origin: https://evil.example\r\n"}, 403, "permission_error"),
    "count-bad-json": (
        {"body": b"{", "target": "/v1/messages/count_tokens"},
        400,
        "invalid_request_error",
    ),
}


def _refused(target: str = "/v1/messages", body: bytes | None = None, **options: Any) -> bytes:
    return _request(_body() if body is None else body, target=target, **options)


@pytest.mark.parametrize("case", list(_REFUSALS))
async def test_refusals_are_answered_by_the_front_as_the_middleware_answers_them(
    relay: RelayServer, emu: AnthropicEmulator, case: str
) -> None:
    given, status, error_type = _REFUSALS[case]
    options = dict(given)
    target = options.pop("target", "/v1/messages")
    (front,) = await _exchange(relay, _refused(target, **options))
    assert (_front(relay).answered, _front(relay).handed_over) == (1, 0)
    # "%6D" is "m": aiohttp routes the path to the same handler; the front never takes it.
    (aiohttp,) = await _exchange(
        relay, _refused(target.replace("/messages", "/%6Dessages"), **options)
    )
    assert _front(relay).handed_over == 1
    assert front.status == status
    error = orjson.loads(front.body)
    assert error["type"] == "error" and error["error"]["type"] == error_type
    assert error["request_id"] == front.headers["request-id"]
    assert _comparable(front) == _comparable(aiohttp)
    assert emu.messages_requests == []


async def test_a_refused_connection_stays_on_the_front_and_a_wrong_key_is_refused_alike(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await make_relay(provider(emu), server={"auth": ["relay-key-1"]})
    emu.enqueue(Reply(text("ok")))
    wrong, right = await _exchange(
        relay,
        _request(_body(), extra=b"x-api-key: nope\r\n"),
        _request(_body(), extra=b"x-api-key: relay-key-1\r\n"),
    )
    assert (
        wrong.status == 401 and orjson.loads(wrong.body)["error"]["type"] == "authentication_error"
    )
    assert b"nope" not in wrong.body
    assert right.status == 200
    assert (_front(relay).answered, _front(relay).handed_over) == (2, 0)
    # A wrong key and a foreign Host: the key is judged first, by either server.
    both = _request(_body(), host=b"evil.example", extra=b"x-api-key: nope\r\n")
    (front,) = await _exchange(relay, both)
    (aiohttp,) = await _exchange(relay, both.replace(b"/v1/messages", b"/v1/%6Dessages", 1))
    assert front.status == 401
    assert _comparable(front) == _comparable(aiohttp)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"transfer-encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(_body()), _body()),
        _request(_body(), extra=b"Expect: 100-continue\r\n"),
        _request(_body(), target="/v1/%6Dessages"),
        _request(_body(), target="/v1/messages?beta=%74rue"),
        _request(
            _body(), extra=b"".join(b"x-long-%d: %s\r\n" % (n, b"y" * 900) for n in range(20))
        ),
    ],
    ids=["chunked", "expect", "encoded-path", "encoded-query", "big-head"],
)
async def test_unusual_requests_are_answered_by_aiohttp(
    relay: RelayServer, emu: AnthropicEmulator, request_bytes: bytes
) -> None:
    emu.enqueue(Reply(text("ok")))
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(request_bytes)
    answer = await _read_answer(reader)
    writer.close()
    assert answer.status == 200, answer
    assert orjson.loads(answer.body)["content"][0]["text"] == "ok"
    assert (_front(relay).answered, _front(relay).handed_over) == (0, 1)


async def test_http_1_0_is_answered_by_aiohttp(relay: RelayServer, emu: AnthropicEmulator) -> None:
    emu.enqueue(Reply(text("ok")))
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(_request(_body()).replace(b"HTTP/1.1", b"HTTP/1.0", 1))
    async with asyncio.timeout(PATIENCE):
        data = await reader.read()
    writer.close()
    assert data.startswith(b"HTTP/1.0 200 ") and b'"ok"' in data
    assert _front(relay).handed_over == 1


async def test_pipelined_requests_are_answered_in_order(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("first")), Reply(text("second")), Reply(text("third")))
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(_request(_body()) + _request(_body(stream=True)) + _request(_body()))
    answers = [await _read_answer(reader) for _ in range(3)]
    writer.close()
    assert orjson.loads(answers[0].body)["content"][0]["text"] == "first"
    assert b'"second"' in answers[1].body
    assert orjson.loads(answers[2].body)["content"][0]["text"] == "third"
    assert _front(relay).answered == 3


async def test_connection_close_from_the_client_is_honoured(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("bye")))
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(_request(_body(), extra=b"Connection: close\r\n"))
    answer = await _read_answer(reader)
    async with asyncio.timeout(PATIENCE):
        rest = await reader.read()
    writer.close()
    assert answer.status == 200 and answer.headers["connection"] == "close"
    assert rest == b""
    assert _front(relay).answered == 1


async def test_a_body_split_across_many_writes_is_read_whole(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("ok")))
    body = _body(prompt="x" * 200_000)
    request = _request(body)
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    for at in range(0, len(request), 7_000):
        writer.write(request[at : at + 7_000])
        await writer.drain()
    answer = await _read_answer(reader)
    writer.close()
    assert answer.status == 200
    assert emu.messages_requests[-1].body == body
    assert _front(relay).answered == 1


async def test_a_client_gone_mid_stream_is_recorded_as_499(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("slow " * 50), drip=0.05))
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(_request(_body(stream=True)))
    async with asyncio.timeout(PATIENCE):
        await reader.readuntil(b"event: message_start")
    writer.transport.abort()
    async with asyncio.timeout(PATIENCE):
        await emu.disconnected.wait()
        while relay.holder.totals.requests == 0:
            await asyncio.sleep(0.01)
    (record,) = relay.admin.requests.newest(RequestQuery())
    assert record.settled.status == 499 and record.settled.error == "client disconnected"


# -- the same requests through both servers ------------------------------------------------

#: Header values that differ between any two answers (ids, clocks, the server's name).
_VARYING = ("date", "server", "request-id", "x-request-id", "anthropic-organization-id")
_IDS = re.compile(rb"(msg|req|toolu)_[0-9A-Za-z_]+")


def _comparable(answer: Answer) -> tuple[int, dict[str, str], bytes]:
    headers = {
        name: value
        for name, value in answer.headers.items()
        if name not in _VARYING and "reset" not in name
    }
    return answer.status, headers, _IDS.sub(rb"\1_X", answer.body)


#: Each case: what the upstream does, and the request (stream or not, path, model).
_CASES: dict[str, tuple[list[Any], bool, str, str]] = {
    "whole": ([Reply(text("hello"), input_tokens=9)], False, "/v1/messages", MODEL),
    "stream": ([Reply(text("hello there"))], True, "/v1/messages", MODEL),
    "rate-limited": ([Fail(429, retry_after=7)], False, "/v1/messages", MODEL),
    "overloaded-stream": ([Fail(529)], True, "/v1/messages", MODEL),
    "cut-stream": ([Reply(text("a b c d"), cut_after_events=3)], True, "/v1/messages", MODEL),
    "count": ([], False, "/v1/messages/count_tokens", MODEL),
    "unknown-model": ([], False, "/v1/messages", "no-such-model"),
}


@pytest.mark.parametrize("case", list(_CASES))
async def test_front_and_aiohttp_answer_the_same_request_alike(
    make_relay: RelayFactory, emu: AnthropicEmulator, case: str
) -> None:
    behaviours, stream, path, model = _CASES[case]
    relay = await make_relay(provider(emu, models=[MODEL]))
    answers = []
    # "%6D" is "m": aiohttp routes the path to the same handler; the front never takes it.
    for target in (path, path.replace("/messages", "/%6Dessages", 1)):
        if path.endswith("count_tokens"):
            emu.enqueue_count(17)
        emu.enqueue(*behaviours)
        (answer,) = await _exchange(relay, _request(_body(stream, model), target=target))
        answers.append(answer)
    front, aiohttp = answers
    assert _comparable(front) == _comparable(aiohttp)
    assert (_front(relay).answered, _front(relay).handed_over) == (1, 1)


async def test_a_head_with_bare_line_feeds_is_judged_by_aiohttp_at_once(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("ok")))
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(_request(_body()).replace(b"\r\n", b"\n"))
    async with asyncio.timeout(PATIENCE):
        status_line = await reader.readline()
    writer.close()
    # Whatever aiohttp makes of it, it answers now, not at the head timeout (408).
    assert status_line.startswith(b"HTTP/1.") and b" 408 " not in status_line
    assert _front(relay).handed_over == 1


async def test_claude_codes_head_probe_keeps_the_connection_on_the_front(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    # Claude Code (Bun) sends HEAD / first, then its requests on the same connection.
    emu.enqueue(Reply(text("after the probe")))
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    async with asyncio.timeout(PATIENCE):
        head = await reader.readuntil(b"\r\n\r\n")
    writer.write(_request(_body()))
    answer = await _read_answer(reader)
    writer.close()
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"content-length: %d\r\n" % len(ROOT_BODY) in head.lower()
    assert orjson.loads(answer.body)["content"][0]["text"] == "after the probe"
    assert (_front(relay).answered, _front(relay).handed_over) == (2, 0)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_the_root_is_answered_alike_by_both_servers(relay: RelayServer, method: str) -> None:
    answers = []
    # "?a+b": the front leaves a query with "+" to aiohttp, which routes it to "/".
    for target in ("/", "/?a+b"):
        reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
        writer.write(
            b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (method.encode(), target.encode())
        )
        async with asyncio.timeout(PATIENCE):
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            body = b"" if method == "HEAD" else await reader.readexactly(length)
        writer.close()
        lines = sorted(
            line.lower()
            for line in head.split(b"\r\n")[1:]
            if not line.lower().startswith((b"date:", b"server:"))
        )
        answers.append((head.split(b"\r\n")[0], lines, body))
    assert answers[0] == answers[1]
    assert answers[0][0] == b"HTTP/1.1 200 OK"
    assert method == "HEAD" or orjson.loads(answers[0][2])["name"] == "cc-relay"
    assert (_front(relay).answered, _front(relay).handed_over) == (1, 1)
