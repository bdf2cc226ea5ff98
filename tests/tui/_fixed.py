"""Fixed data for the snapshot tests: a Source that never touches the network."""

from __future__ import annotations

from collections.abc import AsyncIterator

from google.protobuf.timestamp_pb2 import Timestamp

from cc_relay.admin.v1 import admin_pb2 as pb

#: The instant every fixed timestamp counts from (2026-01-02 03:04:05 UTC).
EPOCH = 1767323045.0


def _at(offset: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMilliseconds(round((EPOCH + offset) * 1000))
    return stamp


def _provider(n: int, step: int) -> pb.Provider:
    names = ("anthropic", "bedrock", "zai")
    states = (pb.CIRCUIT_STATE_CLOSED, pb.CIRCUIT_STATE_HALF_OPEN, pb.CIRCUIT_STATE_OPEN)
    healths = ("healthy", "recovering", "failing")
    requests = 100 * (n + 1) + 7 * step
    return pb.Provider(
        name=names[n], type="anthropic", base_url=f"http://127.0.0.1:{9000 + n}",
        enabled=n != 2, health=healths[n],
        circuit=pb.Circuit(state=states[n], consecutive_failures=n),
        in_flight=n + step % 3, requests=requests, errors=n * 3 + step // 4,
        requests_per_second=(n + 1) * (1.5 + (step % 5) / 2),
        latency=pb.Percentiles(p50_seconds=0.2 + n * 0.1 + step * 0.01, p95_seconds=0.9 + n * 0.2),
        ttfb=pb.Percentiles(p50_seconds=0.05 + step * 0.005),
        input_tokens=requests * 1200, output_tokens=requests * 300, cache_read_tokens=requests * 50,
        keys=[
            pb.Key(
                fingerprint=f"sk-…{n}a1{k}", priority=k, weight=1.0, in_flight=k,
                cooldown_until=_at(42) if k == 1 else None,
                buckets=[
                    pb.Bucket(kind="requests", capacity=50, remaining=50 - 10 * k - n),
                    pb.Bucket(kind="input_tokens", capacity=400000, remaining=250000, learned=True),
                ],
            )
            for k in range(2)
        ],
    )  # fmt: skip


def stats(step: int) -> pb.StreamStatsResponse:
    """The ``step``-th snapshot of a relay with three providers."""
    providers = [_provider(n, step) for n in range(3)]
    return pb.StreamStatsResponse(
        status=pb.Status(
            version="0.1.0", uptime_seconds=600 + step, config_generation=3,
            last_reload=pb.Reload(at=_at(-60), ok=True, changes=["provider zai added"]),
            totals=pb.Totals(
                requests=sum(p.requests for p in providers),
                errors=sum(p.errors for p in providers), in_flight=step % 4,
                input_tokens=sum(p.input_tokens for p in providers),
                output_tokens=sum(p.output_tokens for p in providers), cost_usd=12.3456,
            ),
            connections=pb.Connections(
                open=4 + step % 2, front_answered=sum(p.requests for p in providers) - 3,
                handed_over=3,
            ),
        ),
        providers=providers,
        # Relay-wide, as the service adds the histograms up: here the last provider's.
        latency=providers[-1].latency,
        ttfb=providers[-1].ttfb,
    )  # fmt: skip


def request(n: int) -> pb.Request:
    """The ``n``-th settled request: every seventh failed over, every eleventh failed."""
    failed = n % 11 == 10
    attempts = [pb.Attempt(provider="anthropic", key="sk-…0a10", status=200, duration_seconds=0.4)]
    if n % 7 == 3:
        attempts.insert(
            0,
            pb.Attempt(provider="zai", key="sk-…2a10", status=529, duration_seconds=0.1,
                       error="status", detail="overloaded"),
        )  # fmt: skip
    return pb.Request(
        id=f"req_{n:04d}", at=_at(n), method="POST", path="/v1/messages",
        status=502 if failed else 200, latency_seconds=0.4 + n % 5 / 10, ttfb_seconds=0.12,
        client_model="claude-sonnet-4-5" if n % 2 else "claude-opus-4-8",
        upstream_model="claude-sonnet-4-5" if n % 2 else "claude-opus-4-8",
        provider="anthropic", key="sk-…0a10", stream=True,
        usage=pb.Usage(input_tokens=1000 + n, output_tokens=200 + n),
        cost_usd=0.0123, error="upstream: every provider failed" if failed else "",
        attempts=attempts,
    )  # fmt: skip


class FixedSource:
    """The Source protocol over the fixed data; streams are fed by the test itself."""

    address = "fixed:8788"

    def __init__(self) -> None:
        self.requests_by_id = {r.id: r for r in map(request, range(40))}

    async def stats(self, scope: str = "") -> AsyncIterator[pb.StreamStatsResponse]:
        yield stats(0)

    async def requests(self, scope: str = "") -> AsyncIterator[pb.Request]:
        yield request(0)

    async def replicas(self) -> pb.ListReplicasResponse:
        return pb.ListReplicasResponse(
            replicas=[pb.Replica(id="fixed:1", answering=True), pb.Replica(id="fixed:2")]
        )

    async def get_request(self, request_id: str) -> pb.Request:
        return self.requests_by_id.get(request_id) or pb.Request(id=request_id)

    async def set_enabled(self, name: str, enabled: bool) -> pb.Provider:
        return pb.Provider(name=name, enabled=enabled)

    async def reset_circuit(self, name: str) -> pb.Provider:
        return pb.Provider(name=name)

    async def reload(self) -> pb.ReloadConfigResponse:
        return pb.ReloadConfigResponse(ok=True, generation=4, changes=["aliases changed"])

    async def explain(self, model: str) -> pb.ExplainResponse:
        return pb.ExplainResponse(model=model, resolved_model=model, strategy="failover")

    async def usage(self, group_by: str, since: float) -> pb.GetUsageResponse:
        names = ("anthropic", "bedrock") if group_by == "provider" else ("claude-opus-4-8",)
        return pb.GetUsageResponse(
            timezone="Europe/Berlin",
            groups=[
                pb.UsageGroup(
                    group=name,
                    requests=120 * (n + 1),
                    errors=n,
                    input_tokens=1_500_000,
                    output_tokens=80_000 * (n + 1),
                    cache_read_tokens=900_000,
                    cost_usd=4.5 * (n + 1),
                    unpriced=n,
                )
                for n, name in enumerate(names)
            ],
        )

    async def close(self) -> None:
        pass
