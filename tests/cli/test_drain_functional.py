"""SIGTERM on a real ``cc-relay serve``: refuse new work, drain within the grace, never
cut a stream silently, exit 0."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import orjson

from tests.cli._process import Cli, RelayProcess
from tests.emulators import AnthropicEmulator, Reply, text

GRACE = 1.5
#: What the drain may add to the grace: the final error write, closing sockets, exit.
SLACK = 2.5
BODY = {
    "model": "claude-opus-4-8",
    "max_tokens": 5,
    "stream": True,
    "messages": [{"role": "user", "content": "hi"}],
}


def _config(cli: Cli, emu: AnthropicEmulator) -> Path:
    path = cli.cwd / "cc-relay.yaml"
    path.write_text(
        f"server:\n  shutdown_grace: {GRACE}\n"
        "logging:\n  level: info\n"
        f"providers:\n  - name: emu\n    type: anthropic\n    base_url: {emu.base_url}\n"
        "    keys: [sk-up-drain]\n"
    )
    return path


async def _serve(cli: Cli, emu: AnthropicEmulator) -> RelayProcess:
    relay = cli.start("--config", str(_config(cli, emu)))
    await asyncio.to_thread(relay.wait_listening)
    return relay


async def _exit_code(relay: RelayProcess, within: float) -> int:
    deadline = time.monotonic() + within
    while (code := relay.proc.poll()) is None and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert code is not None, f"serve still running {within} s after SIGTERM:\n{relay.stderr}"
    return code


async def test_sigterm_ends_a_held_stream_with_an_error_event_within_the_grace(
    cli: Cli,
) -> None:
    async with AnthropicEmulator() as emu:
        emu.enqueue(Reply(text("held open by the upstream"), stall_after_events=(3, 60)))
        relay = await _serve(cli, emu)
        url = f"http://127.0.0.1:{relay.port}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{url}/v1/messages", json=BODY) as stream,
        ):
            assert stream.status == 200
            first = await stream.content.readuntil(b"\n\n")
            assert first.startswith(b"event: message_start")
            # An idle keep-alive connection from before the signal sees the drain.
            async with aiohttp.ClientSession() as other:
                async with other.get(f"{url}/health") as resp:
                    assert resp.status == 200
                sent = time.monotonic()
                relay.proc.send_signal(signal.SIGTERM)
                await asyncio.sleep(0.3)
                async with other.get(f"{url}/health") as resp:
                    assert resp.status == 503
                    error = await resp.json()
                assert error["error"]["type"] == "overloaded_error"
            async with asyncio.timeout(GRACE + SLACK):
                rest = await stream.content.read()
        code = await _exit_code(relay, GRACE + SLACK)
        drained = time.monotonic() - sent
    assert code == 0, relay.stderr
    assert GRACE - 0.2 <= drained <= GRACE + SLACK, drained
    last = rest.rstrip().rsplit(b"\n\n", 1)[-1]
    assert last.startswith(b"event: error\ndata: "), rest
    data = orjson.loads(last.split(b"data: ", 1)[1])
    assert data["error"]["type"] == "overloaded_error"
    assert "restarting" in data["error"]["message"]
    print(f"drain with a held stream: {drained:.2f} s (grace {GRACE} s)")


async def test_sigterm_lets_a_stream_that_finishes_in_time_finish(cli: Cli) -> None:
    async with AnthropicEmulator() as emu:
        emu.enqueue(Reply(text("slow but done in time"), stall_after_events=(3, 0.5)))
        relay = await _serve(cli, emu)
        url = f"http://127.0.0.1:{relay.port}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{url}/v1/messages", json=BODY) as stream,
        ):
            await stream.content.readuntil(b"\n\n")
            sent = time.monotonic()
            relay.proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(GRACE + SLACK):
                rest = await stream.content.read()
        code = await _exit_code(relay, GRACE + SLACK)
        drained = time.monotonic() - sent
    assert code == 0
    assert rest.rstrip().endswith(b'{"type":"message_stop"}')
    assert b"event: error" not in rest
    assert drained < GRACE, "an idle relay exits as soon as its last request is done"


async def test_sigterm_with_nothing_in_flight_exits_at_once(cli: Cli) -> None:
    async with AnthropicEmulator() as emu:
        relay = await _serve(cli, emu)
        sent = time.monotonic()
        relay.proc.send_signal(signal.SIGTERM)
        code = await _exit_code(relay, GRACE + SLACK)
    assert code == 0
    assert time.monotonic() - sent < GRACE
