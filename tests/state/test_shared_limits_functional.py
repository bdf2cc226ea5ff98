"""Key rate limits shared by two relays through one real redis-server."""

from __future__ import annotations

import aiohttp
import anthropic

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator
from tests.state._redis import RedisServer

MODEL = "claude-opus-4-8"


def redis_state(server: RedisServer, prefix: str = "t") -> dict[str, str]:
    return {"backend": "redis", "url": server.url, "prefix": prefix}


async def two_relays(
    make_relay: RelayFactory, emu: AnthropicEmulator, server: RedisServer, rpm: int
) -> tuple[RelayServer, RelayServer]:
    entry = provider(emu, keys=[{"key": "sk-shared", "rpm_limit": rpm}])
    first = await make_relay(entry, state=redis_state(server))
    second = await make_relay(entry, state=redis_state(server))
    return first, second


async def send(sdk: SdkFactory, relay: RelayServer) -> int:
    """The status the client saw for one small request."""
    try:
        await sdk(relay).messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    except anthropic.APIStatusError as exc:
        return exc.status_code
    return 200


async def test_shared_rpm_limit_holds_across_two_relays(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, redis_server: RedisServer
) -> None:
    relays = await two_relays(make_relay, emu, redis_server, rpm=10)
    statuses = [await send(sdk, relays[i % 2]) for i in range(20)]
    assert statuses.count(200) == 10, statuses
    assert set(statuses) == {200, 429}
    assert len(emu.messages_requests) == 10
    # Both relays took their share: the limit is the fleet's, not each one's.
    assert 200 in statuses[0::2] and 200 in statuses[1::2]


async def test_memory_backend_limits_each_relay_alone(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    entry = provider(emu, keys=[{"key": "sk-shared", "rpm_limit": 10}])
    relays = (await make_relay(entry), await make_relay(entry))
    statuses = [await send(sdk, relays[i % 2]) for i in range(20)]
    assert statuses.count(200) == 20  # why the fleet needs shared state


async def test_shared_status_reports_redis_and_replicas(
    make_relay: RelayFactory, emu: AnthropicEmulator, redis_server: RedisServer
) -> None:
    first, _ = await two_relays(make_relay, emu, redis_server, rpm=10)
    view = first.holder.snapshot().status.state
    assert view is not None
    assert view.backend == "redis" and view.connected
    assert view.replicas >= 1


async def test_shared_state_in_metrics(
    make_relay: RelayFactory, emu: AnthropicEmulator, redis_server: RedisServer
) -> None:
    first, _ = await two_relays(make_relay, emu, redis_server, rpm=10)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{first.url}/metrics") as resp:
            text = await resp.text()
    assert 'cc_relay_state_connected{backend="redis"} 1.0' in text
    assert "cc_relay_state_fallbacks_total 0.0" in text
