"""The usage ledger through real sockets: every provider type's usage, priced exactly,
streamed or not, cut, failed over; totals across a restart; a ledger that cannot be
written does not stop the relay."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cc_relay.ledger import store
from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, provider, text_of
from tests.emulators import AnthropicEmulator, Fail, OllamaEmulator, Reply, text, thinking
from tests.integration._ledger import PRICES, expected_cost, ledger_rows
from tests.integration.test_azure_functional import KEY as AZURE_KEY
from tests.integration.test_azure_functional import azure, azure_entry
from tests.integration.test_bedrock_functional import aws_env, bedrock, bedrock_entry
from tests.integration.test_openai_functional import oai, openai_provider
from tests.integration.test_vertex_functional import key_file, tokens, vertex, vertex_entry

__all__ = ["aws_env", "azure", "bedrock", "key_file", "oai", "tokens", "vertex"]  # fixtures

MODEL = "claude-opus-4-8"
USER: list[Any] = [{"role": "user", "content": "hi"}]
PROVIDER_TYPES = ["anthropic", "bedrock", "vertex", "azure", "openai"]


@pytest.fixture(params=PROVIDER_TYPES)
def priced(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], Any]:
    """Each provider type: its name, an entry with PRICES, and its emulator."""
    kind: str = request.param
    return (kind, *_entry(request, kind))


def _entry(request: pytest.FixtureRequest, kind: str) -> tuple[dict[str, Any], Any]:
    if kind == "anthropic":
        emu = request.getfixturevalue("emu")
        return provider(emu, keys=["sk-up-1"], pricing=PRICES), emu
    if kind == "bedrock":
        emu = request.getfixturevalue("bedrock")
        return bedrock_entry(emu, pricing=PRICES), emu
    if kind == "vertex":
        emu = request.getfixturevalue("vertex")
        return vertex_entry(emu, request.getfixturevalue("key_file"), pricing=PRICES), emu
    if kind == "azure":
        emu = request.getfixturevalue("azure")
        return azure_entry(emu, keys=[AZURE_KEY], pricing=PRICES), emu
    emu = request.getfixturevalue("oai")
    return openai_provider(emu, pricing=PRICES), emu


async def _post(relay: RelayServer, body: dict[str, Any], **headers: str) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{relay.url}/v1/messages",
            json=body,
            headers={"x-api-key": "client-key", "anthropic-version": "2023-06-01", **headers},
        ) as response,
    ):
        return response.status, await response.read()


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
async def test_ledger_cost_is_usage_times_configured_prices(
    make_relay: RelayFactory, priced: tuple[str, dict[str, Any], Any], stream: bool
) -> None:
    kind, entry, emu = priced
    # OpenAI's usage has no cache writes: only reads come back from it.
    cache_write = 0 if kind == "openai" else 1_500
    emu.enqueue(
        Reply(
            text("counted"),
            input_tokens=1_234,
            output_tokens=321,
            cache_read_input_tokens=40_000,
            cache_creation_input_tokens=cache_write,
        )
    )
    relay = await make_relay(entry)
    body = {"model": MODEL, "max_tokens": 50, "messages": USER, "stream": stream}
    status, _ = await _post(relay, body, **{"x-claude-code-session-id": "sess-1"})
    assert status == 200

    [row] = await ledger_rows(relay)
    assert row["provider"] == entry["name"]
    assert (row["input_tokens"], row["output_tokens"]) == (1_234, 321)
    # A translated OpenAI stream does not report cache writes at all (None, not 0).
    assert (row["cache_read_tokens"], row["cache_write_tokens"] or 0) == (40_000, cache_write)
    assert row["cost_usd"] == expected_cost(1_234, 321, 40_000, cache_write)
    assert row["price_source"] == "config:pricing"
    assert row["stream"] == int(stream) and row["status"] == 200 and row["error_type"] is None
    assert row["session"] == "sess-1" and row["client_model"] == MODEL
    assert row["latency"] > 0 and row["attempts"] == 1


async def test_ledger_counts_what_a_cut_stream_used(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    emu.enqueue(
        Reply(
            text("a long answer that never ends " * 20),
            input_tokens=900,
            cache_read_input_tokens=5_000,
            cut_after_events=4,
        )
    )
    relay = await make_relay(provider(emu, pricing=PRICES))
    status, body = await _post(relay, {"model": MODEL, "max_tokens": 50, "messages": USER,
                                       "stream": True})  # fmt: skip
    assert status == 200 and b"event: error" in body

    [row] = await ledger_rows(relay)
    # message_start said 900 in, 5,000 from the cache and (so far) 1 out: all of it counts.
    assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"]) == (900, 5_000, 1)
    assert row["cost_usd"] == expected_cost(900, 1, 5_000)
    assert row["error_type"] == "stream_error"


async def test_ledger_charges_only_the_attempt_that_answered(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator
) -> None:
    emu.enqueue(Fail(529))
    emu2.enqueue(Reply(text("from the second"), input_tokens=50, output_tokens=7))
    relay = await make_relay(
        provider(emu, name="first", priority=1, keys=["sk-first"],
                 pricing={"input": 100.0, "output": 100.0}),
        provider(emu2, name="second", keys=["sk-second"], pricing=PRICES),
        routing={"strategy": "failover"},
    )  # fmt: skip
    status, _ = await _post(relay, {"model": MODEL, "max_tokens": 50, "messages": USER})
    assert status == 200

    [row] = await ledger_rows(relay)
    assert (row["provider"], row["attempts"]) == ("second", 2)
    assert row["cost_usd"] == expected_cost(50, 7)
    budgets = relay.holder.ledger.budgets
    assert budgets.spent("key:first:" + relay.runtime.key_fingerprint("sk-first")) == (0.0, 0.0)


async def test_ledger_unknown_price_is_null_not_zero(
    make_relay: RelayFactory, emu: AnthropicEmulator, ollama: OllamaEmulator
) -> None:
    ollama.enqueue(Reply(text("free?"), input_tokens=10, output_tokens=2))
    relay = await make_relay(provider(ollama, name="local", type="ollama", models=["mystery-1"]))
    emu.enqueue(Reply(text("known"), input_tokens=10, output_tokens=2))
    relay2 = await make_relay(provider(emu, name="claude"))  # built-in Claude prices
    await _post(relay, {"model": "mystery-1", "max_tokens": 5, "messages": USER})
    await _post(relay2, {"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": USER})

    await ledger_rows(relay)  # two relays, one file: each writer flushes its own rows
    rows = await ledger_rows(relay2)
    unknown = next(r for r in rows if r["provider"] == "local")
    known = next(r for r in rows if r["provider"] == "claude")
    assert unknown["cost_usd"] is None and unknown["price_source"] is None
    assert known["price_source"] == "builtin:anthropic/claude-sonnet-4-5"
    assert known["cost_usd"] == (10 * 3.0 + 2 * 15.0) / 1_000_000


async def test_ledger_totals_and_budgets_survive_a_restart(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, tmp_path: Path
) -> None:
    ledger = {"path": str(tmp_path / "kept.db")}
    auth = [{"key": "k-alice", "name": "alice", "budget": {"daily_usd": 1.0}}]
    entry = provider(emu, keys=["sk-up-1"], pricing={"input": 100_000.0, "output": 0.0})
    emu.script = lambda r: Reply(text("ok"), input_tokens=4, output_tokens=1)  # $0.40 each
    first = await make_relay(entry, server={"auth": auth}, ledger=ledger)
    for _ in range(2):
        await sdk(first, api_key="k-alice").messages.create(
            model=MODEL, max_tokens=5, messages=USER
        )
    await first.close()

    second = await make_relay(entry, server={"auth": auth}, ledger=ledger)
    alice = "client:" + second.runtime.key_fingerprint("k-alice")
    assert second.holder.ledger.budgets.spent(alice)[0] == pytest.approx(0.8)
    # $0.80 + $0.40 crosses $1.00: this one is served, the next one is refused.
    await sdk(second, api_key="k-alice").messages.create(model=MODEL, max_tokens=5, messages=USER)
    await second.holder.events.flush()
    status, body = await _post(second, {"model": MODEL, "max_tokens": 5, "messages": USER},
                               **{"x-api-key": "k-alice"})  # fmt: skip
    assert status == 429
    rows = await ledger_rows(second)
    assert len(rows) == 4 and sum(r["cost_usd"] for r in rows[:3]) == pytest.approx(1.2)
    assert rows[3]["status"] == 429 and rows[3]["client_name"] == "alice"
    assert b"rate_limit_error" in body and b"daily budget" in body


async def test_ledger_remembers_thinking_signatures_across_a_restart(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, tmp_path: Path
) -> None:
    ledger = {"path": str(tmp_path / "sig.db")}
    entries = (
        provider(emu, name="claude", models=["claude-*"]),
        provider(emu2, name="zai", type="zai", models=["glm-*"]),
    )
    emu2.enqueue(Reply(thinking("hmm", signature="sig-from-glm"), text("done")))
    first = await make_relay(*entries, ledger=ledger)
    await _post(first, {"model": "glm-4.6", "max_tokens": 50, "messages": USER})
    assert first.runtime.signatures.family_of("sig-from-glm") == "zai"
    await first.close()

    second = await make_relay(*entries, ledger=ledger)
    assert second.runtime.signatures.family_of("sig-from-glm") == "zai"


async def test_ledger_that_cannot_be_opened_does_not_stop_serving(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    relay = await make_relay(provider(emu), ledger={"path": str(blocker / "usage.db")})
    for _ in range(3):
        message = await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
        assert text_of(message.content[0]) == "pong"
    await relay.holder.events.flush()
    writer = relay.holder.ledger.writer
    assert writer is not None
    assert not await asyncio.to_thread(writer.flush, 2.0)
    status = relay.holder.snapshot().status.ledger
    assert status is not None and status.unwritten == 3 and status.error is not None


async def test_ledger_full_or_locked_keeps_serving_then_catches_up(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "busy.db"
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.05)
    relay = await make_relay(provider(emu), ledger={"path": str(path)})
    writer = relay.holder.ledger.writer
    assert writer is not None
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process holds the file
    await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    await relay.holder.events.flush()
    assert not await asyncio.to_thread(writer.flush, 2.0)
    assert "locked" in (writer.error or "") and writer.unwritten == 1
    locker.execute("ROLLBACK")
    locker.close()

    real_write = store.write

    def full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "write", full)
    message = await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "pong"
    await relay.holder.events.flush()
    assert not await asyncio.to_thread(writer.flush, 2.0)
    assert "full" in (writer.error or "") and writer.unwritten == 2

    monkeypatch.setattr(store, "write", real_write)
    rows = await ledger_rows(relay)
    assert len(rows) == 2 and writer.unwritten == 0 and writer.error is None
