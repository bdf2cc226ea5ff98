"""Failover before the first byte, and well-formed endings after it."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import anthropic
import pytest
from anthropic.types import MessageParam

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, body_of, provider, text_of
from tests.emulators import AnthropicEmulator, Behaviour, Drop, Fail, Raw, Reply, text

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "claude-opus-4-8"


def _dead_url() -> str:
    """A loopback URL nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def _two(
    make_relay: RelayFactory,
    first: AnthropicEmulator | str,
    second: AnthropicEmulator,
    **extra: Any,
) -> RelayServer:
    # round-robin starts with the first candidate, so the order is known.
    return await make_relay(
        provider(first, name="first", **extra),
        provider(second, name="second"),
        routing={"strategy": "round-robin"},
    )


@pytest.mark.parametrize(
    "failure",
    [
        Fail(529),
        Fail(500),
        Fail(503),
        Fail(429, retry_after=30),
        Fail(408),
        Drop(),
        Reply(text("never"), cut_after_events=0),
        Raw(b'event: message_start\ndata: {"type":"mess', cut=True),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
async def test_failure_before_first_byte_moves_to_next_provider(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    emu2: AnthropicEmulator,
    sdk: SdkFactory,
    failure: Behaviour,
    stream: bool,
) -> None:
    relay = await _two(make_relay, emu, emu2)
    emu.enqueue(failure)
    emu2.enqueue(Reply(text("from the second")))
    client = sdk(relay)
    message: anthropic.types.Message
    if stream:
        async with client.messages.stream(model=MODEL, max_tokens=5, messages=USER) as s:
            message = await s.get_final_message()
    else:
        message = await client.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "from the second"
    assert len(emu.messages_requests) == 1 and len(emu2.messages_requests) == 1


async def test_connection_refused_moves_to_next_provider(
    make_relay: RelayFactory, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await _two(make_relay, _dead_url(), emu2)
    message = await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "pong"


async def test_stall_past_first_byte_timeout_moves_on(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await _two(make_relay, emu, emu2, timeouts={"first_byte": 0.3})
    emu.enqueue(Reply(text("late"), stall_before_headers=5))
    async with sdk(relay).messages.stream(model=MODEL, max_tokens=5, messages=USER) as s:
        message = await s.get_final_message()
    assert text_of(message.content[0]) == "pong"
    await asyncio.wait_for(emu.disconnected.wait(), 2)


async def test_client_error_is_not_retried(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await _two(make_relay, emu, emu2)
    emu.enqueue(Fail(400, message="prompt is too long"))
    with pytest.raises(anthropic.BadRequestError, match="prompt is too long"):
        await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert emu2.messages_requests == []


async def test_all_failing_returns_last_upstream_error(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await _two(make_relay, emu, emu2)
    emu.enqueue(Fail(529, message="first overloaded"))
    emu2.enqueue(Fail(429, message="second rate limited", retry_after=12))
    with pytest.raises(anthropic.RateLimitError) as caught:
        await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert body_of(caught.value)["error"]["message"] == "second rate limited"
    assert caught.value.response.headers["retry-after"] == "12"


async def test_all_unreachable_is_anthropic_error(
    make_relay: RelayFactory, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(_dead_url(), name="a"), provider(_dead_url(), name="b"))
    with pytest.raises(anthropic.APIStatusError) as caught:
        await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert caught.value.status_code == 502
    assert body_of(caught.value)["error"]["type"] == "api_error"
    assert "cannot connect" in body_of(caught.value)["error"]["message"]


async def test_cut_mid_stream_ends_with_error_event(
    relay: RelayServer, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    emu.enqueue(Reply(text("a long answer that will be cut"), cut_after_events=4))
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={"model": MODEL, "max_tokens": 5, "messages": USER, "stream": True},
        ) as resp:
            raw = await resp.read()
    events = [e for e in raw.split(b"\n\n") if e]
    assert events[0].startswith(b"event: message_start")
    assert events[-1].startswith(b"event: error\ndata: ")
    assert b'"type":"api_error"' in events[-1]
    assert all(e.startswith(b"event: ") for e in events), "no half events"
    with pytest.raises(anthropic.APIStatusError):
        emu.enqueue(Reply(text("a long answer that will be cut"), cut_after_events=4))
        async with sdk(relay).messages.stream(model=MODEL, max_tokens=5, messages=USER) as stream:
            await stream.get_final_message()


async def test_half_event_before_cut_is_not_forwarded(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    start = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1",'
        b'"type":"message","role":"assistant","model":"claude-opus-4-8","content":[],'
        b'"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,'
        b'"output_tokens":1}}}\n\n'
    )
    emu.enqueue(Raw(start, b'event: content_block_start\ndata: {"type":"content_blo', cut=True))
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={"model": MODEL, "max_tokens": 5, "messages": USER, "stream": True},
        ) as resp:
            raw = await resp.read()
    assert raw.startswith(start)
    assert b"content_blo" not in raw
    assert raw[len(start) :].startswith(b"event: error\n")


async def test_upstream_error_event_passes_through(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(
        Reply(text("hello there"), error_after_events=(3, "overloaded_error", "Overloaded"))
    )
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={"model": MODEL, "max_tokens": 5, "messages": USER, "stream": True},
        ) as resp:
            raw = await resp.read()
    assert raw.count(b"event: error") == 1
    assert b'"overloaded_error"' in raw


async def test_client_disconnect_cancels_upstream(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("a slow answer " * 20), drip=0.2))
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={"model": MODEL, "max_tokens": 5, "messages": USER, "stream": True},
        ) as resp:
            await resp.content.readany()
            resp.close()
    await asyncio.wait_for(emu.disconnected.wait(), 2)


async def test_client_disconnect_while_waiting_cancels_upstream(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(Reply(text("late"), stall_before_headers=30))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(asyncio.TimeoutError):
            async with session.post(
                f"{relay.url}/v1/messages",
                json={"model": MODEL, "max_tokens": 5, "messages": USER},
                timeout=aiohttp.ClientTimeout(total=0.3),
            ):
                pass
    await asyncio.wait_for(emu.disconnected.wait(), 2)
