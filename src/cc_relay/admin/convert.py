"""From the read model (``views``) and the request log to the service's messages.

Every message is built field by field from typed values; nothing here writes JSON (the
JSON twin renders these messages with ``google.protobuf.json_format``).
"""

from __future__ import annotations

import time
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from cc_relay.admin.requests import RequestQuery, RequestRecord
from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.events import AttemptFinished
from cc_relay.routing.stats import HISTOGRAM_BOUNDS
from cc_relay.views import ModelView, Percentiles, ProviderView, RelayStatus

CIRCUIT_STATES = {
    "closed": pb.CIRCUIT_STATE_CLOSED,
    "half_open": pb.CIRCUIT_STATE_HALF_OPEN,
    "open": pb.CIRCUIT_STATE_OPEN,
}


def timestamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp


def seconds_of(stamp: Timestamp) -> float:
    return stamp.ToNanoseconds() / 1e9


def status(view: RelayStatus) -> pb.Status:
    message = pb.Status(
        version=view.version,
        started_at=timestamp(view.started_at),
        uptime_seconds=view.uptime,
        listen=view.listen,
        grpc_listen=view.grpc_listen,
        config_path=view.config_path or "",
        config_generation=view.generation,
        config_hash=view.config_hash,
        totals=pb.Totals(
            requests=view.requests,
            errors=view.errors,
            in_flight=view.in_flight,
            input_tokens=view.input_tokens,
            output_tokens=view.output_tokens,
            cost_usd=view.cost_usd,
        ),
        events_dropped=view.events_dropped,
    )
    connections = view.connections
    if connections is not None:
        message.connections.CopyFrom(
            pb.Connections(
                open=connections.open,
                front_answered=connections.front_answered,
                handed_over=connections.handed_over,
            )
        )
    ledger = view.ledger
    if ledger is not None:
        message.ledger.CopyFrom(
            pb.Ledger(
                path=ledger.path,
                written=ledger.written,
                unwritten=ledger.unwritten,
                dropped=ledger.dropped,
                error=ledger.error or "",
            )
        )
    state = view.state
    if state is not None:
        message.state.CopyFrom(
            pb.SharedState(
                backend=state.backend,
                connected=state.connected,
                replicas=state.replicas,
                fallbacks=state.fallbacks,
                error=state.error or "",
            )
        )
    last = view.last_reload
    if last is not None:
        message.last_reload.CopyFrom(
            pb.Reload(
                at=timestamp(last.at), ok=last.ok, error=last.error or "", changes=last.changes
            )
        )
    return message


def _percentiles(view: Percentiles) -> pb.Percentiles:
    message = pb.Percentiles()
    if view.p50 is not None:
        message.p50_seconds = view.p50
    if view.p95 is not None:
        message.p95_seconds = view.p95
    return message


def histogram(view: Percentiles) -> pb.Histogram:
    """The window's bucket counts (empty without samples)."""
    if not view.counts:
        return pb.Histogram()
    return pb.Histogram(bounds=HISTOGRAM_BOUNDS, counts=view.counts)


def provider(view: ProviderView) -> pb.Provider:
    now = time.time()
    message = pb.Provider(
        name=view.name,
        type=view.type,
        base_url=view.base_url,
        enabled=view.enabled,
        enabled_overridden=view.overridden,
        health=view.health,
        in_flight=view.in_flight,
        requests=view.requests,
        errors=view.errors,
        requests_per_second=view.requests_per_second,
        latency=_percentiles(view.latency),
        ttfb=_percentiles(view.ttfb),
        input_tokens=view.input_tokens,
        output_tokens=view.output_tokens,
        cache_read_tokens=view.cache_read_tokens,
        models=view.models,
        model_patterns=view.model_patterns,
        latency_histogram=histogram(view.latency),
        ttfb_histogram=histogram(view.ttfb),
    )
    circuit = view.circuit
    if circuit is not None:
        message.circuit.CopyFrom(
            pb.Circuit(
                state=CIRCUIT_STATES[circuit.state],
                consecutive_failures=circuit.consecutive_failures,
                cause=circuit.cause or "",
            )
        )
        if circuit.retry_in is not None:
            message.circuit.retry_in_seconds = circuit.retry_in
    for key in view.keys:
        entry = message.keys.add(
            fingerprint=key.fingerprint,
            priority=key.priority,
            weight=key.weight,
            in_flight=key.in_flight,
            buckets=[
                pb.Bucket(
                    kind=b.kind, capacity=b.capacity, remaining=b.remaining, learned=b.learned
                )
                for b in key.buckets
            ],
        )
        if key.cooldown_left > 0:
            entry.cooldown_until.CopyFrom(timestamp(now + key.cooldown_left))
    return message


def model(view: ModelView) -> pb.Model:
    return pb.Model(
        id=view.id,
        display_name=view.display_name,
        created_at=view.created_at,
        providers=view.providers,
    )


def explanation(answer: dict[str, Any]) -> pb.ExplainResponse:
    """``Router.explain``'s answer as a message."""

    def candidate(entry: dict[str, Any]) -> pb.Candidate:
        return pb.Candidate(
            provider=entry["provider"],
            type=entry.get("type") or "",
            upstream_model=entry.get("upstream_model") or "",
            circuit=entry.get("circuit") or "",
            keys=entry.get("keys") or 0,
            reason=entry.get("reason") or "",
            why=entry.get("why") or "",
        )

    return pb.ExplainResponse(
        model=answer["model"],
        resolved_model=answer["resolved_model"],
        strategy=answer["strategy"],
        session_affinity=answer["session_affinity"],
        estimated_input_tokens=answer["estimated_input_tokens"],
        attempts=[candidate(e) for e in answer["attempts"]],
        skipped=[candidate(e) for e in answer["skipped"]],
    )


def _attempt(event: AttemptFinished) -> pb.Attempt:
    message = pb.Attempt(
        provider=event.provider,
        key=event.key or "",
        status=event.status or 0,
        duration_seconds=event.duration,
        error=event.error or "",
        detail=event.detail or "",
        at=timestamp(event.at),
    )
    if event.ttfb is not None:
        message.ttfb_seconds = event.ttfb
    return message


def request(record: RequestRecord) -> pb.Request:
    s = record.settled
    usage = s.usage
    message = pb.Request(
        id=s.request_id,
        at=timestamp(s.at),
        method=s.method,
        path=s.path,
        status=s.status,
        latency_seconds=s.latency,
        client_model=s.client_model or "",
        upstream_model=s.upstream_model or "",
        provider=s.provider or "",
        key=s.key or "",
        stream=s.stream,
        usage=pb.Usage(
            input_tokens=usage.input_tokens or 0,
            output_tokens=usage.output_tokens or 0,
            cache_read_tokens=usage.cache_read_input_tokens or 0,
            cache_write_tokens=usage.cache_creation_input_tokens or 0,
        ),
        cost_usd=record.cost_usd,
        error=s.error or "",
        attempts=[_attempt(a) for a in record.attempts],
        replica=record.replica,
    )
    if s.ttfb is not None:
        message.ttfb_seconds = s.ttfb
    return message


def query(message: pb.RequestFilter) -> RequestQuery:
    return RequestQuery(
        provider=message.provider,
        model=message.model,
        status_class=message.status_class,
        key=message.key,
        error_contains=message.error_contains,
        since=seconds_of(message.since) if message.HasField("since") else None,
        until=seconds_of(message.until) if message.HasField("until") else None,
    )
