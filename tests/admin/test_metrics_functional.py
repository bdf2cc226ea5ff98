"""``GET /metrics``, parsed with prometheus_client's own parser: counters move by exactly
the requests sent, streamed ones included, and tokens are the emulator's usage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import anthropic
import pytest
from prometheus_client.parser import text_string_to_metric_families

from cc_relay import __version__
from cc_relay.server import RelayServer
from tests.admin.conftest import Starter, settled
from tests.conftest import SdkFactory, provider
from tests.emulators import AnthropicEmulator, Fail, Reply, text

MODEL = "claude-opus-4-8"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(relay: RelayServer) -> Samples:
    await settled(relay)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{relay.url}/metrics") as resp:
            assert resp.status == 200
            body = await resp.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_requests_tokens_streams_and_failovers(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await start(
        provider(emu, name="a", keys=["sk-up-1"],
                 pricing={"input": 3.0, "output": 15.0}),
        provider(emu2, name="b"),
        routing={"strategy": "failover"},
    )  # fmt: skip
    client = sdk(relay)
    before = await scrape(relay)
    emu.enqueue(
        Reply(text("one"), input_tokens=100, output_tokens=7, cache_read_input_tokens=40),
        Reply(text("two"), input_tokens=200, output_tokens=9, cache_creation_input_tokens=5),
        Reply(text("three"), input_tokens=300, output_tokens=11),
        Fail(529),
    )
    emu2.enqueue(Reply(text("four"), input_tokens=50, output_tokens=3))
    user: list[anthropic.types.MessageParam] = [{"role": "user", "content": "hi"}]
    await client.messages.create(model=MODEL, max_tokens=50, messages=user)
    for _ in range(2):
        async with client.messages.stream(model=MODEL, max_tokens=50, messages=user) as s:
            await s.get_final_message()
    await client.messages.create(model=MODEL, max_tokens=50, messages=user)  # 529 -> b
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.create(model="made-up-model", max_tokens=5, messages=user)
    after = await scrape(relay)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"model": MODEL, "status_class": "2xx"}
    assert moved("cc_relay_requests_total", provider="a", **ok) == 3
    assert moved("cc_relay_requests_total", provider="b", **ok) == 1
    assert moved("cc_relay_requests_total", provider="none", model="other", status_class="4xx") == 1
    tokens = {t: moved("cc_relay_tokens_total", provider="a", model=MODEL, type=t)
              for t in ("input", "output", "cache_read", "cache_write")}  # fmt: skip
    assert tokens == {"input": 600, "output": 27, "cache_read": 40, "cache_write": 5}
    assert moved("cc_relay_tokens_total", provider="b", model=MODEL, type="input") == 50
    cost = (600 * 3.0 + 27 * 15.0 + 40 * 3.0 + 5 * 3.0) / 1e6
    assert moved("cc_relay_cost_usd_total", provider="a", model=MODEL) == pytest.approx(cost)
    assert moved("cc_relay_request_duration_seconds_count", provider="a", model=MODEL) == 3
    assert moved("cc_relay_time_to_first_token_seconds_count", provider="a", model=MODEL) == 2
    assert moved("cc_relay_upstream_attempts_total", provider="a", outcome="ok") == 3
    assert moved("cc_relay_upstream_attempts_total", provider="a", outcome="status_529") == 1
    assert (
        moved("cc_relay_failovers_total", **{"from": "a", "to": "b", "reason": "status_529"}) == 1
    )
    assert value(after, "cc_relay_circuit_state", provider="a") == 0
    assert value(after, "cc_relay_inflight_requests", provider="a") == 0
    assert value(after, "cc_relay_config_generation") == 1
    # The SDK's five requests were the front server's; only the scrape went to aiohttp.
    assert moved("cc_relay_front_answered_total") == 5
    assert moved("cc_relay_connections_handed_over_total") == 1
    assert value(after, "cc_relay_connections_open") >= 1  # the scrape's own
    fingerprints = [
        labels for (name, labels) in after if name == "cc_relay_key_ratelimit_remaining"
    ]
    assert fingerprints and all(("key", "sk-up-1") not in labels for labels in fingerprints)


async def test_metrics_name_the_replica(start: Starter, emu: AnthropicEmulator) -> None:
    relay = await start(provider(emu, name="a"), state={"replica": "relay-7"})
    samples = await scrape(relay)
    assert value(samples, "cc_relay_replica_info", replica="relay-7", version=__version__) == 1
    assert value(samples, "cc_relay_state_replicas") == 1


#: Run in a fresh interpreter: the relay starts and serves without prometheus_client, and
#: loads it at the first scrape.
_LAZY_PROBE = """
import asyncio, sys
import aiohttp
from cc_relay.config.loading import validate
from cc_relay.server import RelayServer

async def main():
    config = validate({"server": {"listen": "127.0.0.1:0", "watch_config": False},
                       "admin": {"metrics": True}, "providers": []}, source="probe")
    relay = RelayServer(config)
    await relay.start()
    try:
        print("before", "prometheus_client" in sys.modules)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{relay.url}/metrics") as resp:
                text = await resp.text()
        print("after", "prometheus_client" in sys.modules, resp.status,
              "cc_relay_config_generation 1.0" in text)
    finally:
        await relay.close()

asyncio.run(main())
"""


def test_prometheus_client_is_loaded_at_the_first_scrape_not_at_start(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", _LAZY_PROBE], capture_output=True, text=True, timeout=60,
        env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["before False", "after True 200 True"], result.stdout
