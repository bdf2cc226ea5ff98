"""The admin service through a real grpc.aio client: each RPC and its refusals."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import grpc
import pytest
import yaml
from anthropic.types import MessageParam
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from cc_relay.admin.auth import LOCKOUT_TRIES
from cc_relay.admin.v1 import admin_pb2 as pb
from tests.admin.conftest import (
    Starter,
    StubFactory,
    open_circuit,
    post_json,
    settled,
    write_config,
)
from tests.conftest import SdkFactory, provider, text_of
from tests.emulators import AnthropicEmulator, Fail, Reply, text

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "claude-opus-4-8"


async def _ask(client: anthropic.AsyncAnthropic, model: str = MODEL) -> str:
    message = await client.messages.create(model=model, max_tokens=5, messages=USER)
    return text_of(message.content[0])


async def test_reflection_lists_the_service_and_health_serves(
    start: Starter, emu: AnthropicEmulator
) -> None:
    relay = await start(provider(emu, keys=["sk-up-1"]))
    async with grpc.aio.insecure_channel(relay.grpc_target) as aio_channel:
        # Their type stubs know only the blocking channel and its stubs.
        channel: Any = aio_channel
        reflect: Any = reflection_pb2_grpc.ServerReflectionStub(channel)
        answers = reflect.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        names: set[str] = set()
        async for answer in answers:
            names |= {s.name for s in answer.list_services_response.service}
        assert "cc_relay.admin.v1.Admin" in names
        health: Any = health_pb2_grpc.HealthStub(channel)
        checked = await health.Check(
            health_pb2.HealthCheckRequest(service="cc_relay.admin.v1.Admin")
        )
        assert checked.status == health_pb2.HealthCheckResponse.SERVING


async def test_status_and_providers_show_the_read_model(
    start: Starter, emu: AnthropicEmulator, stub: StubFactory, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a", keys=[{"key": "sk-up-1", "rpm_limit": 50}]))
    await _ask(sdk(relay))
    await settled(relay)
    admin = stub(relay)
    status = (await admin.GetStatus(pb.GetStatusRequest())).status
    assert status.listen == relay.url and status.grpc_listen == relay.grpc_target
    assert status.config_generation == 1 and status.config_hash == relay.holder.config_hash
    assert status.totals.requests == 1 and status.totals.input_tokens == 12
    connections = status.connections
    assert (connections.front_answered, connections.handed_over) == (1, 0)
    assert status.ledger.path.endswith("usage.db") and not status.ledger.error
    assert (status.state.backend, status.state.connected, status.state.replicas) == (
        "memory",
        True,
        1,
    )
    (entry,) = (await admin.ListProviders(pb.ListProvidersRequest())).providers
    assert entry.name == "a" and entry.enabled and entry.health == "healthy"
    assert entry.circuit.state == pb.CIRCUIT_STATE_CLOSED and entry.requests == 1
    (key,) = entry.keys
    assert key.fingerprint and "requests" in {b.kind for b in key.buckets}


async def test_unknown_provider_is_not_found(
    start: Starter, emu: AnthropicEmulator, stub: StubFactory
) -> None:
    relay = await start(provider(emu, name="a"))
    admin = stub(relay)
    for call in (
        admin.SetProviderEnabled(pb.SetProviderEnabledRequest(name="nope", enabled=False)),
        admin.ResetCircuit(pb.ResetCircuitRequest(name="nope")),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert "nope" in (caught.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.SetProviderEnabled(pb.SetProviderEnabledRequest(name="a", enabled=False))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # the only one


async def test_disabling_a_provider_fails_over_now_and_survives_reloads(
    start: Starter,
    emu: AnthropicEmulator,
    emu2: AnthropicEmulator,
    stub: StubFactory,
    sdk: SdkFactory,
    config_path: Path,
) -> None:
    providers = (provider(emu, name="a"), provider(emu2, name="b"))
    relay = await start(*providers, routing={"strategy": "failover"})
    admin, client = stub(relay), sdk(relay)
    emu.enqueue(Reply(text("from a")))
    assert await _ask(client) == "from a"
    answer = await admin.SetProviderEnabled(pb.SetProviderEnabledRequest(name="a", enabled=False))
    assert not answer.provider.enabled and answer.provider.enabled_overridden
    emu2.enqueue(Reply(text("from b")), Reply(text("from b again")))
    assert await _ask(client) == "from b"
    # A reload that does not touch a's `enabled` keeps the override.
    write_config(config_path, *providers, routing={"strategy": "failover"}, aliases={"x": MODEL})
    reloaded = await admin.ReloadConfig(pb.ReloadConfigRequest())
    assert reloaded.ok and reloaded.changes == ["aliases changed"]
    assert await _ask(client) == "from b again"
    assert len(emu.messages_requests) == 1 and relay.holder.overrides == {"a": False}
    # The file changing a's `enabled` has the last word.
    write_config(
        config_path, {**providers[0], "enabled": False}, providers[1],
        routing={"strategy": "failover"},
    )  # fmt: skip
    assert (await admin.ReloadConfig(pb.ReloadConfigRequest())).ok
    assert relay.holder.overrides == {}
    await admin.SetProviderEnabled(pb.SetProviderEnabledRequest(name="a", enabled=True))
    emu.enqueue(Reply(text("a is back")))
    assert await _ask(client) == "a is back"


async def test_reset_circuit_closes_an_open_circuit(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, stub: StubFactory,
    sdk: SdkFactory,
) -> None:  # fmt: skip
    relay = await open_circuit(start, emu, emu2, sdk)
    admin = stub(relay)
    before = (await admin.ListProviders(pb.ListProvidersRequest())).providers[0]
    assert before.circuit.state == pb.CIRCUIT_STATE_OPEN and before.health == "failing"
    after = (await admin.ResetCircuit(pb.ResetCircuitRequest(name="a"))).provider
    assert after.circuit.state == pb.CIRCUIT_STATE_CLOSED and after.health == "healthy"


async def test_models_and_explain(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, stub: StubFactory
) -> None:
    relay = await start(
        provider(emu, name="a", models=["claude-opus-4-8", "claude-haiku-4-5"]),
        provider(emu2, name="b", models=["claude-opus-4-8"]),
        routing={"strategy": "failover"},
    )
    admin = stub(relay)
    models = {
        m.id: list(m.providers) for m in (await admin.ListModels(pb.ListModelsRequest())).models
    }
    assert models["claude-opus-4-8"] == ["a", "b"] and models["claude-haiku-4-5"] == ["a"]
    explained = await admin.Explain(pb.ExplainRequest(model="claude-haiku-4-5"))
    assert [c.provider for c in explained.attempts] == ["a"]
    assert [c.provider for c in explained.skipped] == ["b"]
    assert "does not serve" in explained.skipped[0].reason
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.Explain(pb.ExplainRequest(model="gpt-9"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.Explain(pb.ExplainRequest())
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_config_get_validate_apply_history_rollback(
    start: Starter,
    emu: AnthropicEmulator,
    stub: StubFactory,
    config_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPSTREAM_KEY", "sk-up-from-env")
    relay = await start(provider(emu, name="a", keys=["${UPSTREAM_KEY}", "sk-literal"]))
    admin = stub(relay)
    shown = await admin.GetConfig(pb.GetConfigRequest())
    assert "sk-up-from-env" not in shown.yaml and "sk-literal" not in shown.yaml
    assert "[redacted:" in shown.yaml and shown.hash == relay.holder.config_hash

    bad = await admin.ValidateConfig(pb.ValidateConfigRequest(yaml="providers: [{name: a}]\n"))
    assert not bad.valid and [p.path for p in bad.problems] == ["providers[0].type"]
    typo = "aliases: {}\nroutng:\n  strategy: failover\n" + shown.yaml
    misspelt = await admin.ValidateConfig(pb.ValidateConfigRequest(yaml=typo))
    assert [(p.path, p.line) for p in misspelt.problems] == [("routng", 2)]
    broken = await admin.ValidateConfig(pb.ValidateConfigRequest(yaml="server: [unclosed\n"))
    assert not broken.valid and "not valid YAML" in broken.problems[0].message

    edited = yaml.safe_load(shown.yaml)
    edited["aliases"] = {"fast": "claude-opus-4-8"}
    text_ = yaml.safe_dump(edited)
    checked = await admin.ValidateConfig(pb.ValidateConfigRequest(yaml=text_))
    assert checked.valid and list(checked.changes) == ["aliases changed"]

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.ApplyConfig(pb.ApplyConfigRequest(yaml=text_, base_hash="0000"))
    assert caught.value.code() in (grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.ApplyConfig(
            pb.ApplyConfigRequest(yaml="providers: [{name: a}]\n", base_hash=shown.hash)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "providers[0].type" in (caught.value.details() or "")

    applied = await admin.ApplyConfig(pb.ApplyConfigRequest(yaml=text_, base_hash=shown.hash))
    assert applied.generation == 2 and list(applied.changes) == ["aliases changed"]
    written = config_path.read_text()
    # Secrets are put back as the file had them: the variable, not its value.
    assert "${UPSTREAM_KEY}" in written and "sk-up-from-env" not in written
    assert "sk-literal" in written
    assert relay.runtime.config.aliases == {"fast": "claude-opus-4-8"}

    kept = (await admin.ListConfigHistory(pb.ListConfigHistoryRequest())).versions
    assert [v.id for v in kept] == [applied.previous_version]
    back = await admin.RollbackConfig(pb.RollbackConfigRequest(id=kept[0].id))
    assert back.generation == 3 and relay.runtime.config.aliases == {}
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.RollbackConfig(pb.RollbackConfigRequest(id="nope"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_reload_config_reports_problems(
    start: Starter, emu: AnthropicEmulator, stub: StubFactory, config_path: Path
) -> None:
    relay = await start(provider(emu, name="a"))
    config_path.write_text("providers:\n  - name: a\n    type: anthropic\n    wieght: 2\n")
    answer = await stub(relay).ReloadConfig(pb.ReloadConfigRequest())
    assert not answer.ok and [p.path for p in answer.problems] == ["providers[0].wieght"]
    assert answer.problems[0].file == str(config_path)


async def test_requests_listed_filtered_paged_and_streamed(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, stub: StubFactory,
    sdk: SdkFactory,
) -> None:  # fmt: skip
    relay = await start(
        provider(emu, name="a", keys=["sk-up-1"]), provider(emu2, name="b"),
        routing={"strategy": "failover"},
    )  # fmt: skip
    client, admin = sdk(relay), stub(relay)
    emu.enqueue(Fail(529), Reply(text("1")), Reply(text("2")))
    emu2.enqueue(Reply(text("0")))
    for _ in range(3):
        await _ask(client)
    with pytest.raises(anthropic.NotFoundError):
        await _ask(client, "gpt-nothing")
    await settled(relay)
    listed = (await admin.ListRequests(pb.ListRequestsRequest())).requests
    assert len(listed) == 4 and listed[0].status == 404 and listed[0].client_model == "gpt-nothing"
    failed_over = listed[-1]
    assert failed_over.provider == "b"
    assert [(a.provider, a.status, a.error) for a in failed_over.attempts] == [
        ("a", 529, "status"), ("b", 200, ""),
    ]  # fmt: skip
    assert failed_over.usage.input_tokens == 12 and failed_over.attempts[0].key
    by_class = pb.RequestFilter(status_class="4xx")
    assert len((await admin.ListRequests(pb.ListRequestsRequest(filter=by_class))).requests) == 1
    by_error = pb.RequestFilter(error_contains="GPT-NOTHING")
    assert len((await admin.ListRequests(pb.ListRequestsRequest(filter=by_error))).requests) == 1
    first = await admin.ListRequests(pb.ListRequestsRequest(page_size=3))
    second = await admin.ListRequests(
        pb.ListRequestsRequest(page_size=3, page_token=first.next_page_token)
    )
    assert [r.id for r in [*first.requests, *second.requests]] == [r.id for r in listed]
    assert not second.next_page_token
    one = await admin.GetRequest(pb.GetRequestRequest(id=failed_over.id))
    assert one.request == failed_over
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await admin.GetRequest(pb.GetRequestRequest(id="req_nope"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND

    tail = admin.StreamRequests(pb.StreamRequestsRequest(filter=pb.RequestFilter(provider="a")))
    reader = asyncio.ensure_future(anext(aiter(tail)))
    await asyncio.sleep(0.1)  # the tail is open
    emu.enqueue(Reply(text("live")))
    assert await _ask(client) == "live"
    seen = await asyncio.wait_for(reader, 5)
    assert seen.request.provider == "a" and seen.request.status == 200
    assert seen.request.id not in {r.id for r in listed}
    tail.cancel()


async def test_stream_stats_sends_snapshots(
    start: Starter, emu: AnthropicEmulator, stub: StubFactory, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a"))
    quiet = await anext(aiter(stub(relay).StreamStats(pb.StreamStatsRequest())))
    assert not quiet.latency.HasField("p50_seconds")  # no request in the window yet
    emu.enqueue(Reply(text("timed")))
    await sdk(relay).messages.create(
        model="claude-opus-4-8", max_tokens=5, messages=[{"role": "user", "content": "x"}]
    )
    await settled(relay)
    stats = stub(relay).StreamStats(pb.StreamStatsRequest(interval_seconds=0.1))
    got = []
    async for snapshot in stats:
        got.append(snapshot)
        if len(got) == 2:
            break
    stats.cancel()
    assert [p.name for p in got[1].providers] == ["a"]
    assert got[1].status.uptime_seconds > got[0].status.uptime_seconds
    # The relay-wide latency is the one request's, within a histogram bucket (25%).
    (timed,) = (await stub(relay).ListRequests(pb.ListRequestsRequest())).requests
    assert got[1].latency.p50_seconds == pytest.approx(timed.latency_seconds, rel=0.25)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in stub(relay).StreamStats(pb.StreamStatsRequest(interval_seconds=0.01)):
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ((), grpc.StatusCode.UNAUTHENTICATED),
        ((("authorization", "Bearer wrong"),), grpc.StatusCode.UNAUTHENTICATED),
        ((("authorization", "Bearer adm-1"),), grpc.StatusCode.OK),
    ],
)
async def test_admin_keys_are_required_when_configured(
    start: Starter,
    emu: AnthropicEmulator,
    stub: StubFactory,
    metadata: tuple[tuple[str, str], ...],
    code: grpc.StatusCode,
) -> None:
    relay = await start(provider(emu, name="a"), admin={"keys": ["adm-1"]}, server={"auth": ["c"]})
    call = stub(relay).GetStatus(pb.GetStatusRequest(), metadata=metadata)
    if code == grpc.StatusCode.OK:
        assert (await call).status.version
        return
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code
    assert "wrong" not in (caught.value.details() or "")


async def test_requests_older_than_the_memory_log_come_from_the_ledger(
    start: Starter, stub: StubFactory, emu: AnthropicEmulator, sdk: SdkFactory, tmp_path: Path
) -> None:
    ledger = {"path": str(tmp_path / "usage.db")}
    entry = provider(emu, name="a", keys=["k1"])
    relay = await start(entry, ledger=ledger)
    for _ in range(3):
        await _ask(sdk(relay))
    await settled(relay)
    before = (await stub(relay).ListRequests(pb.ListRequestsRequest())).requests
    await relay.close()  # flushes the ledger; the next relay's memory log starts empty
    again = await start(entry, ledger=ledger)
    admin = stub(again)
    first = await admin.ListRequests(pb.ListRequestsRequest(page_size=2))
    assert first.next_page_token.startswith("ledger:")
    second = await admin.ListRequests(
        pb.ListRequestsRequest(page_size=2, page_token=first.next_page_token)
    )
    listed = [*first.requests, *second.requests]
    assert [r.id for r in listed] == [r.id for r in before] and not second.next_page_token
    assert all(r.provider == "a" and r.status == 200 for r in listed)
    assert [r.usage.input_tokens for r in listed] == [r.usage.input_tokens for r in before]
    one = await admin.GetRequest(pb.GetRequestRequest(id=before[-1].id))
    assert one.request.id == before[-1].id and one.request.client_model == MODEL
    assert not one.request.attempts, "the ledger keeps the attempt count, not each attempt"


async def test_wrong_admin_keys_lock_the_address_out_on_every_transport(
    start: Starter, emu: AnthropicEmulator, stub: StubFactory
) -> None:
    """Five wrong keys over the JSON twin; then even the right key is refused for the rest
    of the minute, over the JSON twin, gRPC and the dashboard's sign-in alike."""
    relay = await start(provider(emu, name="a"), admin={"keys": ["adm-1"]}, server={"auth": ["c"]})
    for n in range(LOCKOUT_TRIES):
        status, answer = await post_json(
            relay, "GetStatus", headers={"Authorization": f"Bearer guess-{n}"}
        )
        assert status == 401 and answer["code"] == "unauthenticated"
    status, answer = await post_json(relay, "GetStatus", headers={"Authorization": "Bearer adm-1"})
    assert status == 429 and answer["code"] == "resource_exhausted"
    assert "try again in" in answer["message"] and "adm-1" not in answer["message"]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub(relay).GetStatus(
            pb.GetStatusRequest(), metadata=(("authorization", "Bearer adm-1"),)
        )
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{relay.url}/ui/session", json={"key": "adm-1"}) as sign_in:
            assert sign_in.status == 429
            assert "set-cookie" not in sign_in.headers
