"""Slow and greedy clients, through raw sockets: every one is cut off in bounded time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, provider
from tests.emulators import AnthropicEmulator

BODY = orjson.dumps(
    {"model": "claude-opus-4-8", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
)
#: Short limits so the suite stays fast; the defaults are 10 s, 60 s and 75 s. The
#: head timeout must be the shorter: aiohttp's keep-alive timer also runs from connect.
FAST: dict[str, Any] = {"head": 0.4, "body": 0.4, "body_min_rate": 2000, "keepalive": 1.0}
#: Longest a test waits for the relay to act (timeouts above plus scheduling slack).
PATIENCE = 5.0


async def _open(relay: RelayServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", relay.port)


def _head(length: int) -> bytes:
    return (
        b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % length
    )


async def _until_closed(reader: asyncio.StreamReader) -> tuple[bytes, float]:
    """Everything the relay sends until it closes, and how long that took."""
    started = time.monotonic()
    async with asyncio.timeout(PATIENCE):
        data = await reader.read()
    return data, time.monotonic() - started


async def _fast_relay(
    make_relay: RelayFactory, emu: AnthropicEmulator, **server: Any
) -> RelayServer:
    return await make_relay(provider(emu), server={"timeouts": FAST, **server})


async def test_limits_silent_connection_is_closed(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await _fast_relay(make_relay, emu)
    reader, writer = await _open(relay)
    data, took = await _until_closed(reader)
    writer.close()
    assert data == b"" and took < 2.0


async def _trickle(writer: asyncio.StreamWriter, data: bytes, answer: asyncio.Task[Any]) -> int:
    """Write ``data`` a byte every 50 ms until the relay answers; the bytes sent."""
    for sent in range(len(data)):
        if answer.done():
            return sent
        writer.write(data[sent : sent + 1])
        await asyncio.sleep(0.05)
    return len(data)


async def test_limits_head_sent_byte_by_byte_gets_408(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await _fast_relay(make_relay, emu)
    reader, writer = await _open(relay)
    head = _head(len(BODY))
    answer = asyncio.create_task(_until_closed(reader))
    sent = await _trickle(writer, head, answer)
    data, took = await answer
    writer.close()
    assert data.startswith(b"HTTP/1.1 408 ")
    assert b'"timeout_error"' in data and b"server.timeouts.head" in data
    assert took < 2.0 and sent < len(head)


async def test_limits_trickled_body_gets_408(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await _fast_relay(make_relay, emu)
    reader, writer = await _open(relay)
    writer.write(_head(len(BODY)))
    answer = asyncio.create_task(_until_closed(reader))
    sent = await _trickle(writer, BODY, answer)
    data, took = await answer
    writer.close()
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert b'"timeout_error"' in data and b"body_min_rate" in data
    assert took < 3.0 and sent < len(BODY)
    assert emu.messages_requests == []


async def test_limits_slow_but_steady_body_is_served(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    # 6 KB at ~4 KB/s takes ~1.5 s, past the 0.4 s base but within what the bytes earn.
    relay = await _fast_relay(make_relay, emu)
    body = orjson.dumps(
        {
            "model": "claude-opus-4-8",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "x" * 6000}],
        }
    )
    reader, writer = await _open(relay)
    writer.write(_head(len(body)))
    for at in range(0, len(body), 400):
        writer.write(body[at : at + 400])
        await asyncio.sleep(0.1)
    async with asyncio.timeout(PATIENCE):
        status = await reader.readline()
    writer.close()
    assert status.startswith(b"HTTP/1.1 200 "), status


async def test_limits_idle_keepalive_connection_is_closed(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await _fast_relay(make_relay, emu)
    reader, writer = await _open(relay)
    writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    async with asyncio.timeout(PATIENCE):
        assert (await reader.readline()).startswith(b"HTTP/1.1 200 ")
        await reader.readuntil(b"}")
    data, took = await _until_closed(reader)
    writer.close()
    assert data == b"" and took < 2.0


async def test_limits_front_keepalive_outlives_its_first_head_deadline_then_closes_idle(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    """The front server keeps one timer per connection and moves only its deadline: a
    second request past the first head deadline is served, and the idle connection
    still closes at its keep-alive deadline, not at a stale one."""
    relay = await _fast_relay(make_relay, emu)
    reader, writer = await _open(relay)
    for pause in (0.0, 0.6):  # 0.6 s: past the 0.4 s head deadline of the connect
        await asyncio.sleep(pause)
        writer.write(_head(len(BODY)) + BODY)
        async with asyncio.timeout(PATIENCE):
            assert (await reader.readline()).startswith(b"HTTP/1.1 200 ")
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
    data, took = await _until_closed(reader)
    writer.close()
    assert data == b"" and 0.8 < took < 2.0  # keep-alive is 1.0 s
    assert relay.front is not None and relay.front.handed_over == 0


async def test_limits_connections_past_the_cap_get_503(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await make_relay(
        provider(emu), server={"max_connections": 3, "timeouts": {**FAST, "head": 5}}
    )
    held = [await _open(relay) for _ in range(3)]
    reader, writer = await _open(relay)
    writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data, _ = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 503 "), data
    assert b'"overloaded_error"' in data and b"server.max_connections" in data
    for _, held_writer in held:
        held_writer.close()
    async with asyncio.timeout(PATIENCE):
        while relay.open_connections:
            await asyncio.sleep(0.02)
    reader, writer = await _open(relay)
    writer.write(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data, _ = await _until_closed(reader)
    writer.close()
    assert data.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize("count", [60])
async def test_limits_many_slow_sockets_all_go_away(
    make_relay: RelayFactory, emu: AnthropicEmulator, count: int
) -> None:
    relay = await _fast_relay(make_relay, emu)
    sockets = [await _open(relay) for _ in range(count)]
    for index, (_, writer) in enumerate(sockets):
        if index % 3 == 1:
            writer.write(b"POST /v1/mess")  # a head that never ends
        elif index % 3 == 2:
            writer.write(_head(len(BODY)) + BODY[:5])  # a body that never ends
    async with asyncio.timeout(PATIENCE):
        while relay.open_connections:
            await asyncio.sleep(0.05)
    for _, writer in sockets:
        writer.close()
