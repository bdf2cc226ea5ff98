"""Budgets through real sockets: a relay key's budget refuses the request after the one
that spent it; a provider key's budget sends requests to the next provider, and a
reload that raises it lets the key back in."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from tests.conftest import RelayFactory, SdkFactory, body_of, provider
from tests.emulators import AnthropicEmulator, Reply, text

MODEL = "claude-opus-4-8"
USER: list[Any] = [{"role": "user", "content": "hi"}]
#: $1 per input token: a request of 12 input tokens (the emulator's default) costs $12.
DEAR = {"input": 1_000_000.0, "output": 0.0}


async def test_client_budget_refuses_the_request_after_the_one_that_spent_it(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    auth = ["k-open", {"key": "k-bob", "name": "bob", "budget": {"monthly_usd": 20}}]
    relay = await make_relay(provider(emu, pricing=DEAR), server={"auth": auth})
    bob = sdk(relay, api_key="k-bob")
    for _ in range(2):  # $12, then $24: the second one crosses $20 and is still served
        await bob.messages.create(model=MODEL, max_tokens=5, messages=USER)
        await relay.holder.events.flush()

    with pytest.raises(anthropic.RateLimitError) as refused:
        await bob.messages.create(model=MODEL, max_tokens=5, messages=USER)
    error = body_of(refused.value)["error"]
    assert error["type"] == "rate_limit_error"
    message = error["message"]
    assert "monthly budget" in message and "'bob'" in message
    assert "$24.0000 of $20.00" in message and "resets at" in message and "UTC" in message
    assert int(refused.value.response.headers["retry-after"]) > 0
    assert len(emu.messages_requests) == 2
    # Only what costs money is refused: bob can still list models.
    assert [m.id async for m in bob.models.list()]
    # Another key, without a budget, is not affected.
    await sdk(relay, api_key="k-open").messages.create(model=MODEL, max_tokens=5, messages=USER)


async def test_provider_key_budget_fails_over_until_a_reload_raises_it(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    emu.script = lambda r: Reply(text("first"))
    emu2.script = lambda r: Reply(text("second"))

    def config(daily: float) -> list[dict[str, Any]]:
        return [
            provider(emu, name="first", priority=1, pricing=DEAR,
                     keys=[{"key": "sk-first", "budget": {"daily_usd": daily}}]),
            provider(emu2, name="second", keys=["sk-second"], pricing=DEAR),
        ]  # fmt: skip

    relay = await make_relay(*config(10.0), routing={"strategy": "failover"})
    client = sdk(relay)
    await client.messages.create(model=MODEL, max_tokens=5, messages=USER)  # $12 > $10
    await relay.holder.events.flush()
    for _ in range(2):
        await client.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert (len(emu.messages_requests), len(emu2.messages_requests)) == (1, 2)
    keys = relay.holder.snapshot().providers[0].keys
    assert keys[0].budget_held_for > 0

    from cc_relay.config.loading import validate

    raised = validate(
        {"server": {"listen": "127.0.0.1:0"}, "providers": config(100.0),
         "routing": {"strategy": "failover"}, "ledger": relay.runtime.config.ledger.model_dump()},
        source="test",
    )  # fmt: skip
    await relay.holder.swap(raised)
    await client.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert len(emu.messages_requests) == 2
