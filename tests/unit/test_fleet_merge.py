"""Adding replicas' stats up: counters summed, histograms merged, never percentiles averaged."""

from __future__ import annotations

import pytest

from cc_relay.admin import merge
from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.routing.stats import HISTOGRAM_BOUNDS, Window


def window_of(values: list[float]) -> Window:
    window = Window(clock=lambda: 0.0)
    for value in values:
        window.add(value)
    return window


def hist(values: list[float]) -> pb.Histogram:
    return pb.Histogram(bounds=HISTOGRAM_BOUNDS, counts=window_of(values).histogram())


def test_window_histogram_counts_every_sample_in_its_bucket() -> None:
    counts = window_of([0.0005, 0.001, 0.0011, 2.0, 10_000.0]).histogram()
    assert len(counts) == len(HISTOGRAM_BOUNDS) + 1 and sum(counts) == 5
    assert counts[0] == 2  # at most the first bound
    assert counts[1] == 1 and counts[-1] == 1  # above the last bound
    assert window_of([]).histogram() == ()


def test_merge_histograms_adds_bucket_by_bucket_and_skips_other_bounds() -> None:
    merged = merge.merge_histograms(
        [hist([0.1, 0.2]), pb.Histogram(), hist([0.1]), pb.Histogram(bounds=[1.0], counts=[1, 1])]
    )
    assert sum(merged.counts) == 3
    assert list(merged.counts) == [
        a + b for a, b in zip(hist([0.1, 0.2]).counts, hist([0.1]).counts, strict=True)
    ]


def test_merged_percentiles_come_from_the_union_not_an_average() -> None:
    fast = [0.1] * 90  # one replica: p95 0.1 s
    slow = [5.0] * 10  # the other: p95 5 s
    a = pb.Provider(name="p", requests=90, errors=1, input_tokens=10, latency_histogram=hist(fast))
    b = pb.Provider(name="p", requests=10, errors=2, input_tokens=5, latency_histogram=hist(slow))
    (merged,) = merge.merge_providers([[a], [b]])
    assert (merged.requests, merged.errors, merged.input_tokens) == (100, 3, 15)
    assert sum(merged.latency_histogram.counts) == 100
    # The union's p95 is the slow tail (5 s), where averaging p95s would say ~2.5 s;
    # a bucket's interpolation stays within its 25% width.
    assert merged.latency.p95_seconds == pytest.approx(5.0, rel=0.25)
    assert merged.latency.p50_seconds == pytest.approx(0.1, rel=0.25)
    assert not merged.ttfb.HasField("p50_seconds")  # no samples, no percentile


def test_merge_providers_keeps_each_name_once_in_first_seen_order() -> None:
    merged = merge.merge_providers(
        [
            [pb.Provider(name="a", base_url="http://a")],
            [pb.Provider(name="b"), pb.Provider(name="a")],
        ]
    )
    assert [(p.name, p.base_url) for p in merged] == [("a", "http://a"), ("b", "")]


def test_merge_status_sums_totals_and_keeps_the_answering_replica_rest() -> None:
    first = pb.Status(
        version="1",
        totals=pb.Totals(requests=2, cost_usd=0.5, in_flight=1),
        connections=pb.Connections(open=2, front_answered=10, handed_over=1),
    )
    second = pb.Status(
        version="0",
        totals=pb.Totals(requests=3, cost_usd=0.25),
        events_dropped=4,
        connections=pb.Connections(open=1, front_answered=5),
    )
    merged = merge.merge_status([first, second])
    assert merged.version == "1"
    assert (merged.totals.requests, merged.totals.cost_usd, merged.totals.in_flight) == (5, 0.75, 1)
    assert merged.events_dropped == 4
    connections = merged.connections
    assert (connections.open, connections.front_answered, connections.handed_over) == (3, 15, 1)


def test_merge_status_adds_ledger_counts_and_shows_any_replicas_fault() -> None:
    first = pb.Status(
        ledger=pb.Ledger(path="/a/usage.db", written=10),
        state=pb.SharedState(backend="redis", connected=True, replicas=2),
    )
    second = pb.Status(
        ledger=pb.Ledger(path="/b/usage.db", written=5, unwritten=3, error="disk full"),
        state=pb.SharedState(backend="redis", replicas=2, fallbacks=1, error="refused"),
    )
    merged = merge.merge_status([first, second, pb.Status()])
    ledger = merged.ledger
    assert (ledger.path, ledger.written, ledger.unwritten, ledger.error) == (
        "/a/usage.db",
        15,
        3,
        "disk full",
    )
    state = merged.state
    assert (state.connected, state.fallbacks, state.error) == (False, 1, "refused")
    assert not merge.merge_status([pb.Status(), pb.Status()]).HasField("ledger")


def test_quantile_of_an_empty_histogram_is_none() -> None:
    assert merge.quantile(pb.Histogram(bounds=[1.0], counts=[0, 0]), 0.5) is None


def test_relay_wide_latency_is_every_requests_not_the_slowest_providers() -> None:
    """A fallback that took one request in a hundred does not set the relay's p50."""
    primary, fallback = hist([0.01] * 99), hist([0.8])
    overall = merge.relay_wide([primary, fallback])
    assert overall.p50_seconds == pytest.approx(0.01, rel=0.25)
    assert merge.relay_wide([]).HasField("p50_seconds") is False
