"""Session affinity shared by two relays through one real redis-server."""

from __future__ import annotations

import asyncio

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator, Fail
from tests.state._redis import RedisServer
from tests.state.test_shared_limits_functional import MODEL, redis_state

SESSION = "5f0c6c1e-session"
PATIENCE = 10.0
FAILOVER = {"strategy": "failover"}


async def ask(sdk: SdkFactory, relay: RelayServer) -> None:
    await sdk(relay).messages.create(
        model=MODEL,
        max_tokens=5,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-claude-code-session-id": SESSION},
    )


async def test_affinity_holds_across_relays(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    emu2: AnthropicEmulator,
    sdk: SdkFactory,
    redis_server: RedisServer,
) -> None:
    entries = (
        provider(emu, "a", keys=["sk-a"], priority=2),
        provider(emu2, "b", keys=["sk-b"], priority=1),
    )
    first = await make_relay(*entries, state=redis_state(redis_server), routing=FAILOVER)
    second = await make_relay(*entries, state=redis_state(redis_server), routing=FAILOVER)
    emu.enqueue(Fail(500))  # the session fails over to b on the first relay
    await ask(sdk, first)
    assert len(emu2.messages_requests) == 1
    async with asyncio.timeout(PATIENCE):
        while not redis_server.command("EXISTS", f"t:session:{SESSION}").startswith(b":1"):
            await asyncio.sleep(0.01)
    await ask(sdk, second)  # a is healthy, but the session lives on b
    assert len(emu2.messages_requests) == 2
    assert len(emu.messages_requests) == 1


async def test_without_shared_state_the_session_moves(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    entries = (
        provider(emu, "a", keys=["sk-a"], priority=2),
        provider(emu2, "b", keys=["sk-b"], priority=1),
    )
    first = await make_relay(*entries, routing=FAILOVER)
    second = await make_relay(*entries, routing=FAILOVER)
    emu.enqueue(Fail(500))
    await ask(sdk, first)
    await ask(sdk, second)
    assert len(emu.messages_requests) == 2  # the second relay never heard of the session
