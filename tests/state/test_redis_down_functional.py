"""Redis dies mid-run and comes back: no request is lost, limits hold all along."""

from __future__ import annotations

import asyncio

import pytest

from cc_relay.observability.redact import fingerprint
from cc_relay.server import RelayServer
from cc_relay.state import redis_state
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator, Reply, text
from tests.state._redis import RedisServer
from tests.state.test_shared_limits_functional import send, two_relays

PATIENCE = 10.0


@pytest.fixture(autouse=True)
def _fast_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_state, "HEARTBEAT_INTERVAL", 0.1)
    monkeypatch.setattr(redis_state, "RETRY_INTERVAL", 0.1)


async def until(relay: RelayServer, *, connected: bool, replicas: int = 1) -> None:
    async with asyncio.timeout(PATIENCE):
        while True:
            view = relay.holder.snapshot().status.state
            assert view is not None
            if view.connected == connected and view.replicas >= replicas:
                return
            await asyncio.sleep(0.02)


async def seen_pair(
    make_relay: RelayFactory, emu: AnthropicEmulator, server: RedisServer
) -> tuple[RelayServer, RelayServer]:
    """Two relays sharing a 10 RPM key, each having seen the other's heartbeat."""
    relays = await two_relays(make_relay, emu, server, rpm=10)
    for relay in relays:
        await until(relay, connected=True, replicas=2)
    return relays


async def alternate(sdk: SdkFactory, relays: tuple[RelayServer, RelayServer], n: int) -> list[int]:
    return [await send(sdk, relays[i % 2]) for i in range(n)]


async def test_redis_down_loses_no_request_and_limits_hold_locally(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, redis_server: RedisServer
) -> None:
    relays = await seen_pair(make_relay, emu, redis_server)
    assert await alternate(sdk, relays, 4) == [200] * 4
    # One request is upstream when Redis dies; it must still be answered.
    emu.enqueue(Reply(text("slow"), stall_before_headers=0.5))
    slow = asyncio.create_task(send(sdk, relays[0]))
    await asyncio.sleep(0.2)
    redis_server.stop()
    during = await alternate(sdk, relays, 20)
    assert await slow == 200
    assert set(during) <= {200, 429}, during  # never a 5xx because Redis is gone
    # Each relay keeps to half of what Redis last said was left: the fleet stays under 10.
    assert 1 <= during.count(200) <= 10 - 5, during
    for relay in relays:
        view = relay.holder.snapshot().status.state
        assert view is not None
        assert not view.connected and view.fallbacks == 1 and view.error


async def test_redis_restart_resynchronises(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, redis_server: RedisServer
) -> None:
    relays = await seen_pair(make_relay, emu, redis_server)
    assert await alternate(sdk, relays, 2) == [200, 200]
    redis_server.stop()
    during = await alternate(sdk, relays, 6)
    local = during.count(200)
    assert local >= 2
    redis_server.start()  # empty: it lost every bucket
    for relay in relays:
        await until(relay, connected=True)
    # What the relays took locally was charged back to the fresh server.
    level = redis_server.command("HGET", f"t:key:{fingerprint('sk-shared')}", "r_l")
    left = float(level.split(b"\r\n")[1])
    assert left <= 10 - local + 1, (level, local)
    after = await alternate(sdk, relays, 12)
    assert after.count(200) <= int(left) + 1, (after, left)
    assert 2 + local + after.count(200) <= 10 + 1


async def test_a_cancel_turned_into_a_timeout_does_not_keep_the_relay_from_closing(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay = await make_relay(provider(emu), state={"backend": "redis", "url": redis_server.url})
    state = relay.holder.state
    assert isinstance(state, redis_state.RedisState)
    beating = asyncio.Event()

    async def heartbeat(*args: object, **kwargs: object) -> int:
        beating.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            # What redis-py can make of a cancel that meets its socket timeout.
            raise TimeoutError("Timeout reading from socket") from None
        return 1

    monkeypatch.setattr(state, "_heartbeat", heartbeat)
    async with asyncio.timeout(PATIENCE):
        await beating.wait()
    async with asyncio.timeout(PATIENCE):
        await state.close()
