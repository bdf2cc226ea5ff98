"""Key pools, circuit breakers, strategies and waiting, through real sockets."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiohttp
import anthropic
import pytest
from anthropic.types import MessageParam

from tests.conftest import RelayFactory, SdkFactory, body_of, provider, text_of
from tests.emulators import AnthropicEmulator, Fail, OllamaEmulator, Reply, text

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "claude-opus-4-8"
#: Leaves only retry-after to say how long to wait (the emulator's default rate-limit
#: headers report zero remaining until their own reset).
NO_RATE_HEADERS = {
    f"anthropic-ratelimit-{family}-{field}": None
    for family in ("requests", "tokens", "input-tokens", "output-tokens")
    for field in ("limit", "remaining", "reset")
}


async def _ask(client: anthropic.AsyncAnthropic, **extra: Any) -> anthropic.types.Message:
    message: anthropic.types.Message = await client.messages.create(
        model=MODEL, max_tokens=5, messages=USER, **extra
    )
    return message


async def test_429_rotates_keys_invisibly(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(emu, keys=["key-a", "key-b"], key_selection="round-robin"))
    emu.enqueue(Fail(429, retry_after=30))
    message = await _ask(sdk(relay))
    assert text_of(message.content[0]) == "pong"
    used = [r.headers["x-api-key"] for r in emu.messages_requests]
    assert used[0] != used[1] and set(used) == {"key-a", "key-b"}
    # The limited key cools down: the next requests all go to the other one.
    for _ in range(3):
        await _ask(sdk(relay))
    assert {r.headers["x-api-key"] for r in emu.messages_requests[2:]} == {used[1]}


async def test_all_keys_exhausted_is_429_with_retry_after(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(emu, keys=[{"key": "only", "rpm_limit": 1}]))
    await _ask(sdk(relay))
    with pytest.raises(anthropic.RateLimitError) as caught:
        await _ask(sdk(relay))
    retry_after = int(caught.value.response.headers["retry-after"])
    assert 55 <= retry_after <= 60
    assert body_of(caught.value)["error"]["type"] == "rate_limit_error"
    assert len(emu.messages_requests) == 1, "the relay paced; upstream never saw a 429"


async def test_upstream_retry_after_sets_the_wait(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(emu, keys=["only"]))
    emu.enqueue(Fail(429, retry_after=20, headers=NO_RATE_HEADERS))
    with pytest.raises(anthropic.RateLimitError):
        await _ask(sdk(relay))
    with pytest.raises(anthropic.RateLimitError) as caught:
        await _ask(sdk(relay))
    assert 18 <= int(caught.value.response.headers["retry-after"]) <= 20
    assert len(emu.messages_requests) == 1


async def test_queue_holds_until_a_key_frees_up_with_pings(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await make_relay(
        provider(emu, keys=["only"]), routing={"queue_timeout": 5, "ping_interval": 0.2}
    )
    emu.enqueue(Fail(429, retry_after=1, headers=NO_RATE_HEADERS))
    body = {"model": MODEL, "max_tokens": 5, "messages": USER, "stream": True}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{relay.url}/v1/messages", json=body) as resp:
            assert resp.status == 200
            raw = await resp.read()
    assert raw.startswith(b"event: ping\n")
    assert raw.count(b"event: ping") >= 3
    assert b"event: message_start" in raw and raw.rstrip().endswith(b'{"type":"message_stop"}')
    assert len(emu.messages_requests) == 2


async def test_529s_open_the_circuit_and_traffic_moves(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        provider(
            emu,
            name="primary",
            priority=10,
            circuit={"failure_threshold": 5, "cooldown": 60},
            health_probe={"enabled": False},
        ),
        provider(emu2, name="backup"),
        routing={"strategy": "failover"},
    )
    emu.enqueue(*[Fail(529)] * 5)
    client = sdk(relay)
    for _ in range(5):
        assert text_of((await _ask(client)).content[0]) == "pong"
    assert len(emu.messages_requests) == 5
    for _ in range(3):
        await _ask(client)
    assert len(emu.messages_requests) == 5, "an open circuit gets no traffic"
    assert len(emu2.messages_requests) == 8
    providers = await _providers(relay.url)
    assert providers["primary"]["health"] == "failing"
    assert providers["primary"]["circuit"]["state"] == "open"
    assert providers["primary"]["circuit"]["cause"] == "status 529"


async def test_recovery_through_half_open(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        provider(
            emu,
            name="primary",
            priority=10,
            circuit={"failure_threshold": 2, "cooldown": 0.3},
            health_probe={"enabled": False},
        ),
        provider(emu2, name="backup"),
        routing={"strategy": "failover"},
    )
    emu.enqueue(Fail(500), Fail(500))
    client = sdk(relay)
    await _ask(client)
    await _ask(client)
    assert (await _providers(relay.url))["primary"]["health"] == "failing"
    await asyncio.sleep(0.4)
    await _ask(client)  # the half-open trial succeeds
    assert (await _providers(relay.url))["primary"]["health"] == "healthy"
    assert len(emu.messages_requests) == 3


async def test_active_probe_recovers_without_traffic(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        provider(
            emu,
            name="primary",
            priority=10,
            circuit={"failure_threshold": 1, "cooldown": 0.2},
            health_probe={"interval": 0.1},
        ),
        provider(emu2, name="backup"),
        routing={"strategy": "failover"},
    )
    emu.enqueue(Fail(503))
    await _ask(sdk(relay))
    for _ in range(50):
        if (await _providers(relay.url))["primary"]["health"] == "healthy":
            break
        await asyncio.sleep(0.05)
    assert (await _providers(relay.url))["primary"]["health"] == "healthy"
    probes = [r for r in emu.messages_requests[1:]]
    assert probes and probes[0].json["max_tokens"] == 1


async def test_cost_based_picks_cheapest_and_honours_cap(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        provider(emu, name="pricey", pricing={"input": 15, "output": 75}),
        provider(emu2, name="cheap", pricing={"input": 3, "output": 15}),
        routing={"strategy": "cost-based"},
    )
    for _ in range(3):
        await _ask(sdk(relay))
    assert len(emu2.messages_requests) == 3 and not emu.messages_requests
    explained = await _explain(relay.url, MODEL)
    assert [a["provider"] for a in explained["attempts"]] == ["cheap", "pricey"]
    capped = await make_relay(
        provider(emu, name="pricey", pricing={"input": 15, "output": 75}),
        provider(emu2, name="cheap", pricing={"input": 3, "output": 15}),
        routing={"strategy": "cost-based", "max_cost_per_million_tokens": 20},
    )
    explained = await _explain(capped.url, MODEL)
    assert [a["provider"] for a in explained["attempts"]] == ["cheap"]
    assert explained["skipped"][0]["provider"] == "pricey"


async def test_latency_based_prefers_the_fast_provider(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    # Slow enough that a loaded machine's noise on the fast one (its first request opens
    # a connection) cannot make it look slower.
    emu.script = lambda r: Reply(text("slow"), stall_before_headers=0.5)
    relay = await make_relay(
        provider(emu, name="slow"),
        provider(emu2, name="fast"),
        routing={"strategy": "latency-based", "exploration": 0},
    )
    client = sdk(relay)
    for _ in range(12):
        await _ask(client)
    # Each is measured once (unmeasured go first, in config order); afterwards the fast
    # one always leads, since exploration is off.
    assert (len(emu.messages_requests), len(emu2.messages_requests)) == (1, 11)


async def test_session_affinity_holds_and_counts_cache_reads(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    for upstream in (emu, emu2):
        upstream.script = lambda r: Reply(text("cached"), cache_read_input_tokens=900)
    relay = await make_relay(
        provider(emu, name="one", keys=["k1", "k2"]),
        provider(emu2, name="two", keys=["k3", "k4"]),
        routing={"strategy": "round-robin"},
    )
    client = sdk(relay, default_headers={"x-claude-code-session-id": "session-42"})
    for _ in range(6):
        await _ask(client)
    seen = [(r.headers["x-api-key"]) for r in emu.messages_requests + emu2.messages_requests]
    assert len(set(seen)) == 1, f"one session, one provider and key: {seen}"
    stats = await _providers(relay.url)
    assert sum(s["cache_read_tokens"] for s in stats.values()) == 6 * 900
    assert sum(s["affinity_hits"] for s in stats.values()) >= 5


async def test_routing_debug_headers(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(emu, keys=["key-a"]), routing={"debug": True})
    raw = await sdk(relay).messages.with_raw_response.create(
        model=MODEL, max_tokens=5, messages=USER
    )
    assert raw.headers["x-cc-relay-provider"] == "anthropic"
    assert raw.headers["x-cc-relay-attempts"] == "1"
    assert raw.headers["x-cc-relay-strategy"] == "simple-shuffle"
    assert len(raw.headers["x-cc-relay-key"]) == 8 and "key-a" not in str(raw.headers)


async def test_explain_shows_attempts_and_skips(
    make_relay: RelayFactory, emu: AnthropicEmulator, ollama: OllamaEmulator
) -> None:
    relay = await make_relay(
        provider(emu, name="a", priority=1, keys=["sk-secret-1"]),
        provider(emu, name="b"),
        provider(ollama, name="local", type="ollama", models=["qwen3-coder"]),
        routing={"strategy": "failover"},
    )
    answer = await _explain(relay.url, MODEL)
    assert answer["strategy"] == "failover"
    assert [a["provider"] for a in answer["attempts"]] == ["a", "b"]
    assert "priority 1" in answer["attempts"][0]["why"]
    assert any(
        s["provider"] == "local" and "does not serve" in s["reason"] for s in answer["skipped"]
    )
    assert "sk-secret-1" not in str(answer)


async def test_retry_budget_limits_attempts(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        provider(emu, keys=["k1", "k2", "k3", "k4"]), routing={"retry": {"max_attempts": 2}}
    )
    emu.enqueue(*[Fail(429, retry_after=5)] * 4)
    with pytest.raises(anthropic.RateLimitError):
        await _ask(sdk(relay))
    assert len(emu.messages_requests) == 2


async def _providers(url: str) -> dict[str, dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/v1/providers") as resp:
            return {p["name"]: p for p in (await resp.json())["data"]}


async def _explain(url: str, model: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/v1/relay/explain", json={"model": model, "max_tokens": 100}
        ) as resp:
            assert resp.status == 200, await resp.text()
            return cast(dict[str, Any], await resp.json())
