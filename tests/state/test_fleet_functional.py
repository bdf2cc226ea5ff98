"""Fleet views: two relays sharing one real redis-server, asked through gRPC and JSON."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import grpc
import pytest

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.admin.v1 import admin_pb2_grpc
from cc_relay.server import RelayServer
from cc_relay.state import fleet, redis_state
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator
from tests.state._redis import RedisServer, _free_port
from tests.state.test_shared_limits_functional import send
from tests.state.test_workers_functional import listening, serve, write_config

if TYPE_CHECKING:
    from cc_relay.admin.v1.admin_pb2_grpc import AdminAsyncStub

PATIENCE = 10.0


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_state, "HEARTBEAT_INTERVAL", 0.1)
    monkeypatch.setattr(redis_state, "RETRY_INTERVAL", 0.1)
    monkeypatch.setattr(fleet, "FLUSH_INTERVAL", 0.05)
    monkeypatch.setattr(fleet, "BEAT_INTERVAL", 0.1)
    monkeypatch.setattr(fleet, "BEAT_TTL", 1.0)


@pytest.fixture
async def channels() -> AsyncIterator[list[grpc.aio.Channel]]:
    opened: list[grpc.aio.Channel] = []
    yield opened
    for channel in opened:
        async with asyncio.timeout(PATIENCE):  # a hang here fails at this line
            await channel.close()


async def pair(
    make_relay: RelayFactory, emu: AnthropicEmulator, server: RedisServer
) -> tuple[RelayServer, RelayServer]:
    entry = provider(emu, keys=["sk-fleet"])
    relays = []
    for name in ("alpha", "beta"):
        state = {"backend": "redis", "url": server.url, "prefix": "f", "replica": name}
        # No ledger: each replica's own file would be apart; one shared file is not a fleet.
        relays.append(await make_relay(entry, state=state, ledger={"enabled": False}))
    return relays[0], relays[1]


def admin(relay: RelayServer, opened: list[grpc.aio.Channel]) -> AdminAsyncStub:
    channel = grpc.aio.insecure_channel(relay.grpc_target)
    opened.append(channel)
    return admin_pb2_grpc.AdminStub(channel)


async def replicas_of(stub: AdminAsyncStub, want: set[str]) -> pb.ListReplicasResponse:
    """ListReplicas once it lists exactly ``want``."""
    async with asyncio.timeout(PATIENCE):
        while True:
            answer = await stub.ListReplicas(pb.ListReplicasRequest())
            if {r.id for r in answer.replicas} == want:
                return answer
            await asyncio.sleep(0.05)


async def fleet_requests(
    stub: AdminAsyncStub, count: int, scope: str = "fleet"
) -> pb.ListRequestsResponse:
    """ListRequests once it answers from the fleet stream (not degraded: a Redis call
    that timed out on a loaded machine answers locally) with ``count`` requests."""
    async with asyncio.timeout(PATIENCE):
        while True:
            answer = await stub.ListRequests(pb.ListRequestsRequest(scope=scope, page_size=100))
            if len(answer.requests) >= count and not answer.scope.degraded:
                return answer
            await asyncio.sleep(0.05)


async def test_fleet_scope_shows_both_replicas_requests_and_summed_stats(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    redis_server: RedisServer,
    channels: list[grpc.aio.Channel],
) -> None:
    a, b = await pair(make_relay, emu, redis_server)
    assert [await send(sdk, r) for r in (a, a, b)] == [200, 200, 200]
    stub = admin(a, channels)
    listed = await replicas_of(stub, {"alpha", "beta"})
    assert [(r.id, r.answering, r.redis) for r in listed.replicas] == [
        ("alpha", True, "connected"), ("beta", False, "connected"),
    ]  # fmt: skip
    assert not listed.scope.degraded

    every = await fleet_requests(stub, 3)
    assert sorted(r.replica for r in every.requests) == ["alpha", "alpha", "beta"]
    assert set(every.scope.replicas) == {"alpha", "beta"}
    assert all(r.key and "sk-fleet" not in r.key for r in every.requests)  # fingerprints
    mine = await stub.ListRequests(pb.ListRequestsRequest(scope="local"))
    assert [r.replica for r in mine.requests] == ["alpha", "alpha"]
    theirs = await stub.ListRequests(pb.ListRequestsRequest(scope="bet"))  # a unique prefix
    assert [r.replica for r in theirs.requests] == ["beta"] and theirs.scope.scope == "beta"
    detail = await stub.GetRequest(pb.GetRequestRequest(id=theirs.requests[0].id))
    assert detail.request.replica == "beta" and detail.request.attempts

    async with asyncio.timeout(PATIENCE):
        while True:  # beta's next beat carries its request
            stats = await anext(aiter(stub.StreamStats(pb.StreamStatsRequest(scope="fleet"))))
            if stats.status.totals.requests == 3:
                break
            await asyncio.sleep(0.05)
    (entry,) = stats.providers
    assert entry.requests == 3 and sum(entry.latency_histogram.counts) == 3
    assert entry.latency.HasField("p50_seconds")
    local = await stub.GetStatus(pb.GetStatusRequest())
    assert local.status.totals.requests == 2 and local.scope.replicas == ["alpha"]

    # The JSON twin answers the same, scope and all.
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{a.url}/cc_relay.admin.v1.Admin/ListRequests", json={"scope": "fleet"}
        ) as resp:
            body = await resp.json()
        assert sorted(r["replica"] for r in body["requests"]) == ["alpha", "alpha", "beta"]
        async with session.get(f"{a.url}/cc_relay.admin.v1.Admin/StreamStats?scope=fleet") as resp:
            line = await resp.content.readline()
        assert line.startswith(b"data: ") and b'"fleet"' in line


async def test_fleet_tail_follows_the_other_replica(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    redis_server: RedisServer,
    channels: list[grpc.aio.Channel],
) -> None:
    a, b = await pair(make_relay, emu, redis_server)
    tail = admin(a, channels).StreamRequests(pb.StreamRequestsRequest(scope="fleet"))
    await asyncio.sleep(0.3)  # the tail has read the stream's end
    assert await send(sdk, b) == 200
    async with asyncio.timeout(PATIENCE):
        seen = await anext(aiter(tail))
    assert seen.request.replica == "beta" and seen.scope.scope == "fleet"
    tail.cancel()


async def test_redis_down_degrades_fleet_answers_and_publishing_resumes(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    redis_server: RedisServer,
    channels: list[grpc.aio.Channel],
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, b = await pair(make_relay, emu, redis_server)
    stub = admin(a, channels)
    await replicas_of(stub, {"alpha", "beta"})
    redis_server.stop()
    assert [await send(sdk, r) for r in (a, b, a)] == [200, 200, 200]  # none fails
    answer = await stub.ListRequests(pb.ListRequestsRequest(scope="fleet"))
    assert answer.scope.degraded and "redis" in answer.scope.reason
    assert [r.replica for r in answer.requests] == ["alpha", "alpha"]
    stats = await anext(aiter(stub.StreamStats(pb.StreamStatsRequest(scope="fleet"))))
    assert stats.scope.degraded and stats.status.totals.requests == 2
    listed = await stub.ListReplicas(pb.ListReplicasRequest())
    assert [r.id for r in listed.replicas] == ["alpha"] and listed.scope.degraded
    assert listed.replicas[0].redis == "down" and listed.replicas[0].dropped >= 2

    redis_server.start()  # empty
    await replicas_of(stub, {"alpha", "beta"})
    assert await send(sdk, b) == 200
    after = await fleet_requests(stub, 1)  # from the fleet stream again
    assert [r.replica for r in after.requests] == ["beta"]  # what was dropped stays dropped
    said = [r.getMessage() for r in caplog.records if "fleet request stream" in r.getMessage()]
    assert sum("paused" in m for m in said) == 2  # once per replica, not per summary
    assert sum("resumes" in m for m in said) == 2


async def test_a_killed_replica_drops_out_after_its_ttl(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    redis_server: RedisServer,
    channels: list[grpc.aio.Channel],
    tmp_path: Path,
) -> None:
    state = {"backend": "redis", "url": redis_server.url, "prefix": "k"}
    a = await make_relay(provider(emu), state={**state, "replica": "alpha"})
    port = _free_port()
    proc = serve(
        write_config(tmp_path / "b.yaml", port, emu, {**state, "replica": "beta"}), tmp_path
    )
    try:
        await listening(port, proc)
        stub = admin(a, channels)
        await replicas_of(stub, {"alpha", "beta"})
    finally:
        proc.kill()  # no goodbye: only the TTL removes it
        await asyncio.to_thread(proc.wait, 10)
    # The child beats with the default interval and TTL; it is gone within that TTL.
    async with asyncio.timeout(fleet.BEAT_TTL * 5 + PATIENCE):
        while True:
            answer = await stub.ListReplicas(pb.ListReplicasRequest())
            if [r.id for r in answer.replicas] == ["alpha"]:
                break
            await asyncio.sleep(0.2)
    assert not answer.scope.degraded


async def test_memory_backend_fleet_is_this_replica(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    channels: list[grpc.aio.Channel],
) -> None:
    a = await make_relay(provider(emu), state={"replica": "solo"})
    assert await send(sdk, a) == 200
    await a.holder.events.flush()
    stub = admin(a, channels)
    listed = await stub.ListReplicas(pb.ListReplicasRequest())
    assert [(r.id, r.redis) for r in listed.replicas] == [("solo", "memory")]
    answer = await stub.ListRequests(pb.ListRequestsRequest(scope="fleet"))
    assert [r.replica for r in answer.requests] == ["solo"] and not answer.scope.degraded
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ListRequests(pb.ListRequestsRequest(scope="nobody"))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert "solo" in (refused.value.details() or "")
