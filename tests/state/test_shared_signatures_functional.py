"""Thinking-signature families shared by two replicas through one real redis-server."""

from __future__ import annotations

import asyncio

from cc_relay.config.schema import StateConfig
from cc_relay.state.redis_state import RedisState
from cc_relay.thinking.ledger import DEFAULT_FAMILY, SignatureLedger
from tests.state._redis import RedisServer

PATIENCE = 5.0


async def replica(server: RedisServer) -> tuple[RedisState, SignatureLedger]:
    state = RedisState(StateConfig(backend="redis", url=server.url, prefix="s"))
    ledger = SignatureLedger()
    state.share_signatures(ledger)
    await state.start()
    return state, ledger


async def known(ledger: SignatureLedger, signature: str, family: str) -> None:
    async with asyncio.timeout(PATIENCE):
        while ledger.family_of(signature) != family:
            await asyncio.sleep(0.01)


async def test_signature_recorded_on_one_replica_is_known_to_another(
    redis_server: RedisServer,
) -> None:
    (first, mine), (second, theirs) = await replica(redis_server), await replica(redis_server)
    try:
        await asyncio.sleep(0.2)  # both subscribed
        mine.record("sig-from-glm", "zai")
        await known(theirs, "sig-from-glm", "zai")
        # A replica that starts later reads what was stored, with its expiry.
        third, late = await replica(redis_server)
        try:
            await known(late, "sig-from-glm", "zai")
            assert late.family_of("never-seen") == DEFAULT_FAMILY
        finally:
            await third.close()
        ttl = redis_server.command("TTL", f"s:sig:{_hex('sig-from-glm')}")
        assert 0 < int(ttl[1:].split(b"\r\n")[0]) <= 24 * 3600
    finally:
        await first.close()
        await second.close()


def _hex(signature: str) -> str:
    from cc_relay.thinking.ledger import signature_key

    return signature_key(signature).hex()
