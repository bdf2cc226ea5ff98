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
