"""A relay key's budget shared by two relays through one real redis-server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anthropic
import pytest

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator
from tests.state._redis import RedisServer
from tests.state.test_shared_limits_functional import MODEL, redis_state

USER: list[Any] = [{"role": "user", "content": "hi"}]
#: $1 per input token: a request of 12 input tokens (the emulator's default) costs $12.
DEAR = {"input": 1_000_000.0, "output": 0.0}
AUTH = [{"key": "k-bob", "name": "bob", "budget": {"monthly_usd": 20}}]
PATIENCE = 5.0


async def spent(relay: RelayServer, usd: float) -> None:
    """Until the relay knows the fleet spent ``usd`` on bob this month."""
    fp = relay.runtime.clients[0][0]
    async with asyncio.timeout(PATIENCE):
        while relay.holder.ledger.budgets.spent(f"client:{fp}")[1] < usd:
            await asyncio.sleep(0.01)


async def test_client_budget_is_the_fleets(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    relays = [
        await make_relay(
            provider(emu, pricing=DEAR),
            server={"auth": AUTH},
            state=redis_state(redis_server),
            ledger={"path": str(tmp_path / f"usage-{i}.db")},
        )
        for i in range(2)
    ]
    await asyncio.sleep(0.2)  # both listeners subscribed
    for relay in relays:  # $12 on each: $24 for the fleet, over its $20
        await sdk(relay, api_key="k-bob").messages.create(model=MODEL, max_tokens=5, messages=USER)
        await relay.holder.events.flush()
    for relay in relays:
        await spent(relay, 24.0)
        with pytest.raises(anthropic.RateLimitError) as refused:
            await sdk(relay, api_key="k-bob").messages.create(
                model=MODEL, max_tokens=5, messages=USER
            )
        assert "$24.0000 of $20.00" in str(refused.value)
    assert len(emu.messages_requests) == 2


async def test_costs_reach_redis_summed_not_one_round_trip_per_request(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    redis_server: RedisServer,
    tmp_path: Path,
) -> None:
    """Ten requests settling together are one INCRBYFLOAT per counter, and the fleet's
    total is still every cent of them."""
    relay = await make_relay(
        provider(emu, pricing=DEAR),
        server={"auth": [{"key": "k-bob", "name": "bob", "budget": {"monthly_usd": 1000}}]},
        state=redis_state(redis_server),
        ledger={"path": str(tmp_path / "usage.db")},
    )
    redis_server.command("CONFIG", "RESETSTAT")
    client = sdk(relay, api_key="k-bob")
    await asyncio.gather(
        *(client.messages.create(model=MODEL, max_tokens=5, messages=USER) for _ in range(10))
    )
    await relay.holder.events.flush()
    await spent(relay, 120.0)
    async with asyncio.timeout(PATIENCE):
        while b"cmdstat_incrbyfloat" not in redis_server.command("INFO", "commandstats"):
            await asyncio.sleep(0.05)
    stats = redis_server.command("INFO", "commandstats").decode()
    calls = int(stats.split("cmdstat_incrbyfloat:calls=")[1].split(",")[0])
    assert calls < 10, stats
    fp = relay.runtime.clients[0][0]
    month = int(relay.holder.ledger.budgets.month.start)
    total = redis_server.command("GET", f"t:budget:m:{month}:client:{fp}")
    assert b"120" in total, total
