"""Adding replicas' stats up into one fleet view.

What can be added is added: every counter (requests, errors, tokens, cost, in flight,
requests per second) is the sum over replicas, and each latency distribution is the
sum of the replicas' histogram counts, bucket by bucket (they share
``routing.stats.HISTOGRAM_BOUNDS``). Percentiles are then read from the merged
histogram; they are never averaged, because the mean of two p95s is not the p95 of the
union (one slow replica's tail would vanish). What cannot be added (a provider's
config, circuit and keys: shared or the same on every replica) comes from the replica
answering, or from the first replica that has the provider when it has not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cc_relay.admin.v1 import admin_pb2 as pb

__all__ = ["merge_histograms", "merge_providers", "merge_status", "quantile", "relay_wide"]

_SUMMED_PROVIDER = (
    "in_flight", "requests", "errors", "requests_per_second", "input_tokens",
    "output_tokens", "cache_read_tokens",
)  # fmt: skip
_SUMMED_TOTALS = ("requests", "errors", "in_flight", "input_tokens", "output_tokens", "cost_usd")
_SUMMED_CONNECTIONS = ("open", "front_answered", "handed_over")
_SUMMED_LEDGER = ("written", "unwritten", "dropped")


def merge_histograms(histograms: Iterable[pb.Histogram]) -> pb.Histogram:
    """Bucket-wise sums of histograms that have samples; those with other bounds (a
    replica of another version) are left out rather than mis-added."""
    merged = pb.Histogram()
    for hist in histograms:
        if not hist.counts:
            continue
        if not merged.counts:
            merged.bounds.extend(hist.bounds)
            merged.counts.extend(hist.counts)
        elif list(hist.bounds) == list(merged.bounds) and len(hist.counts) == len(merged.counts):
            for i, count in enumerate(hist.counts):
                merged.counts[i] += count
    return merged


def quantile(hist: pb.Histogram, q: float) -> float | None:
    """The ``q`` quantile of a histogram, interpolated inside its bucket (the local
    views' rank: the sample at ``int(q * n)``); None without samples."""
    total = sum(hist.counts)
    if total == 0:
        return None
    rank = min(total - 1, int(q * total))
    seen = 0
    bounds = list(hist.bounds)
    for i, count in enumerate(hist.counts):
        if rank < seen + count:
            if i >= len(bounds):
                return bounds[-1] if bounds else None
            lower = bounds[i - 1] if i > 0 else 0.0
            return lower + (bounds[i] - lower) * (rank - seen + 0.5) / count
        seen += count
    return None


def relay_wide(histograms: Iterable[pb.Histogram]) -> pb.Percentiles:
    """p50 and p95 of every sample of ``histograms`` together: the relay's latency
    across its providers (the slowest provider's own p50 would show a fallback that
    took one request in a hundred)."""
    return _percentiles(merge_histograms(histograms))


def _percentiles(hist: pb.Histogram) -> pb.Percentiles:
    message = pb.Percentiles()
    p50, p95 = quantile(hist, 0.5), quantile(hist, 0.95)
    if p50 is not None:
        message.p50_seconds = p50
    if p95 is not None:
        message.p95_seconds = p95
    return message


def merge_providers(replicas: Sequence[Sequence[pb.Provider]]) -> list[pb.Provider]:
    """One entry per provider name, in the order the first replicas list them; see the
    module docstring for what is summed and what is taken from the first."""
    by_name: dict[str, list[pb.Provider]] = {}
    for providers in replicas:
        for provider in providers:
            by_name.setdefault(provider.name, []).append(provider)
    merged: list[pb.Provider] = []
    for group in by_name.values():
        entry = pb.Provider()
        entry.CopyFrom(group[0])
        for name in _SUMMED_PROVIDER:
            setattr(entry, name, sum(getattr(p, name) for p in group))
        entry.requests_per_second = round(entry.requests_per_second, 3)
        entry.latency_histogram.CopyFrom(merge_histograms(p.latency_histogram for p in group))
        entry.ttfb_histogram.CopyFrom(merge_histograms(p.ttfb_histogram for p in group))
        entry.latency.CopyFrom(_percentiles(entry.latency_histogram))
        entry.ttfb.CopyFrom(_percentiles(entry.ttfb_histogram))
        merged.append(entry)
    return merged


def merge_status(statuses: Sequence[pb.Status]) -> pb.Status:
    """The first status (the replica answering: version, addresses, config) with the
    totals, dropped events, connection and ledger counts of all of them summed.

    A fault anywhere shows: the ledger and shared-state errors are the first replica's
    that has one, and the shared state is connected only if every replica's is.
    """
    merged = pb.Status()
    merged.CopyFrom(statuses[0])
    for name in _SUMMED_TOTALS:
        setattr(merged.totals, name, sum(getattr(s.totals, name) for s in statuses))
    merged.totals.cost_usd = round(merged.totals.cost_usd, 6)
    merged.events_dropped = sum(s.events_dropped for s in statuses)
    for name in _SUMMED_CONNECTIONS:
        setattr(merged.connections, name, sum(getattr(s.connections, name) for s in statuses))
    ledgers = [s.ledger for s in statuses if s.HasField("ledger")]
    if ledgers:
        merged.ledger.CopyFrom(ledgers[0])
        for name in _SUMMED_LEDGER:
            setattr(merged.ledger, name, sum(getattr(ledger, name) for ledger in ledgers))
        merged.ledger.error = next((ledger.error for ledger in ledgers if ledger.error), "")
    states = [s.state for s in statuses if s.HasField("state")]
    if states:
        merged.state.CopyFrom(states[0])
        merged.state.fallbacks = sum(state.fallbacks for state in states)
        merged.state.connected = all(state.connected for state in states)
        merged.state.error = next((state.error for state in states if state.error), "")
    return merged
