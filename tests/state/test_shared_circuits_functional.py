"""Circuits shared by two relays: opened by one, open in the other; one trial for all."""

from __future__ import annotations

import asyncio

import pytest

from cc_relay.server import RelayServer
from cc_relay.state import redis_state
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator, Fail, Reply, text
from tests.state._redis import RedisServer
from tests.state.test_shared_limits_functional import redis_state as state_section
from tests.state.test_shared_limits_functional import send

PATIENCE = 10.0
COOLDOWN = 0.6


@pytest.fixture(autouse=True)
def _fast_heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_state, "HEARTBEAT_INTERVAL", 0.1)
    monkeypatch.setattr(redis_state, "RETRY_INTERVAL", 0.1)


async def circuit(relay: RelayServer, want: str) -> None:
    async with asyncio.timeout(PATIENCE):
        while relay.runtime.router.breakers["anthropic"].snapshot()["state"] != want:
            await asyncio.sleep(0.01)


async def pair(
    make_relay: RelayFactory, emu: AnthropicEmulator, server: RedisServer, *, probe: bool = False
) -> tuple[RelayServer, RelayServer]:
    entry = provider(
        emu,
        keys=["sk-up-1"],
        circuit={"failure_threshold": 1, "cooldown": COOLDOWN},
        health_probe={"enabled": probe, "interval": 0.1},
    )
    relays = (
        await make_relay(entry, state=state_section(server)),
        await make_relay(entry, state=state_section(server)),
    )
    for relay in relays:
        async with asyncio.timeout(PATIENCE):
            while not relay.holder.state.view().connected:
                await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # both listeners subscribed
    return relays


async def opened_by_first(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    server: RedisServer,
    *,
    probe: bool = False,
) -> tuple[RelayServer, RelayServer]:
    """Two relays whose shared circuit one failure through the first opened."""
    first, second = await pair(make_relay, emu, server, probe=probe)
    emu.enqueue(Fail(500))
    assert await send(sdk, first) == 500
    await circuit(first, "open")
    await circuit(second, "open")
    return first, second


async def test_circuit_opened_by_one_relay_is_open_in_the_other(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, redis_server: RedisServer
) -> None:
    _, second = await opened_by_first(make_relay, emu, sdk, redis_server)
    before = len(emu.messages_requests)
    assert await send(sdk, second) == 529  # never sent to the provider the fleet found dead
    assert len(emu.messages_requests) == before


async def test_only_one_relay_sends_the_half_open_trial(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, redis_server: RedisServer
) -> None:
    first, second = await opened_by_first(make_relay, emu, sdk, redis_server)
    await asyncio.sleep(COOLDOWN + 0.1)
    emu.enqueue(Reply(text("trial"), stall_before_headers=0.5))
    before = len(emu.messages_requests)
    trial = asyncio.create_task(send(sdk, first))
    await asyncio.sleep(0.2)
    assert await send(sdk, second) == 529  # the trial is the first relay's
    assert await trial == 200
    assert len(emu.messages_requests) == before + 1
    await circuit(second, "closed")  # the trial's success closed it for everyone
    assert await send(sdk, second) == 200


async def test_only_one_relay_probes_a_half_open_circuit(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, redis_server: RedisServer
) -> None:
    first, second = await opened_by_first(make_relay, emu, sdk, redis_server, probe=True)
    before = len(emu.messages_requests)
    emu.enqueue(Reply(text("probe"), stall_before_headers=0.3))
    await circuit(first, "closed")
    await circuit(second, "closed")
    assert len(emu.messages_requests) == before + 1  # one probe for the fleet
