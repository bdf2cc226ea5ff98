"""TokenBucket: refill math, debt, the per-window bound and exact ready times."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.keypool import TokenBucket

limits = st.integers(min_value=1, max_value=100_000)
steps = st.floats(min_value=0.0, max_value=90.0, allow_nan=False)


def test_bucket_starts_full_and_refills_at_limit_per_minute() -> None:
    bucket = TokenBucket(60, now=0.0)
    assert bucket.level(0.0) == 60
    bucket.take(60, 0.0)
    assert bucket.level(0.0) == 0
    assert bucket.level(1.0) == pytest.approx(1.0)
    assert bucket.level(30.0) == pytest.approx(30.0)
    assert bucket.level(500.0) == 60  # never above capacity


@given(limits, st.floats(min_value=0, max_value=1), steps)
def test_bucket_refill_is_linear_and_capped(limit: int, share: float, dt: float) -> None:
    bucket = TokenBucket(limit, now=10.0)
    taken = share * limit
    bucket.take(taken, 10.0)
    expected = min(limit, limit - taken + dt * limit / 60.0)
    assert bucket.level(10.0 + dt) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(limits, st.lists(st.tuples(steps, st.floats(min_value=0, max_value=1)), max_size=60))
def test_bucket_never_admits_more_than_limit_plus_burst_per_window(
    limit: int, plan: list[tuple[float, float]]
) -> None:
    # Whatever a client asks for and whenever, what the bucket admits in any window of
    # w seconds is at most its capacity (the burst) plus w * limit / 60: 2 * limit per
    # minute at the very most, the limit per minute on average.
    bucket = TokenBucket(limit, now=0.0)
    now = 0.0
    admitted: list[tuple[float, float]] = []
    for dt, share in plan:
        now += dt
        amount = max(1.0, share * limit)
        if bucket.can_take(amount, now):
            bucket.take(amount, now)
            admitted.append((now, amount))
    for i, (start, _) in enumerate(admitted):
        total = 0.0
        for when, amount in admitted[i:]:
            total += amount
            window = when - start
            assert total <= limit + window * limit / 60.0 + 1e-6 * limit
            if window <= 60.0:
                assert total <= 2 * limit + 1e-6 * limit


def test_bucket_greedy_client_gets_exactly_the_rate() -> None:
    # 50 requests per minute, asked for every 10 ms for ten minutes: the burst of 50 plus
    # 50 more per minute, and not one more.
    bucket = TokenBucket(50, now=0.0)
    admitted = 0
    for step in range(60_001):
        now = step / 100
        if bucket.can_take(1, now):
            bucket.take(1, now)
            admitted += 1
    assert admitted in (549, 550, 551)


@given(limits, st.floats(min_value=-3, max_value=1), st.floats(min_value=0, max_value=2))
def test_bucket_ready_at_is_exact(limit: int, used: float, need_share: float) -> None:
    bucket = TokenBucket(limit, now=5.0)
    bucket.take(used * limit + limit, 5.0)  # anywhere from full to deep in debt
    need = max(1.0, need_share * limit)
    ready = bucket.ready_at(need)
    assert bucket.can_take(need, ready)
    if ready > 5.0:
        assert not bucket.can_take(need, ready - max(1e-9, ready * 1e-12))
        # The level really does reach the need at that time (or a full bucket).
        assert bucket.level(ready) == pytest.approx(min(need, limit), rel=1e-9)


def test_bucket_debt_blocks_until_paid_back() -> None:
    bucket = TokenBucket(600, now=0.0)  # 10 per second
    bucket.take(100, 0.0)
    bucket.take(800, 0.0)  # settled above the estimate: 300 in debt
    assert bucket.level(0.0) == -300
    assert not bucket.can_take(1, 30.0)
    assert bucket.ready_at(1) == pytest.approx(30.1)
    assert bucket.can_take(1, 30.1)


def test_bucket_oversized_amount_waits_for_a_full_bucket_then_goes_into_debt() -> None:
    bucket = TokenBucket(1000, now=0.0)
    bucket.take(1, 0.0)
    assert not bucket.can_take(5000, 0.0)
    assert bucket.ready_at(5000) == pytest.approx(0.06)
    bucket = TokenBucket(1000, now=0.0)
    assert bucket.can_take(5000, 0.0)
    bucket.take(5000, 0.0)
    assert bucket.level(0.0) == -4000
    assert bucket.ready_at(1) == pytest.approx(4001 * 60 / 1000)


def test_bucket_give_back_never_overfills() -> None:
    bucket = TokenBucket(100, now=0.0)
    bucket.take(10, 0.0)
    bucket.take(-50, 0.0)
    assert bucket.level(0.0) == 100


@given(limits, st.floats(min_value=0, max_value=200_000), st.floats(min_value=0, max_value=1))
def test_bucket_tighten_only_lowers(limit: int, remaining: float, used: float) -> None:
    bucket = TokenBucket(limit, now=0.0)
    bucket.take(used * limit, 0.0)
    before = bucket.level(1.0)
    bucket.tighten(remaining, 1.0)
    assert bucket.level(1.0) == min(before, remaining)


def test_bucket_relimit_configured_only_tightens_learned_follows() -> None:
    configured = TokenBucket(100, now=0.0)
    configured.relimit(500, 0.0)
    assert configured.capacity == 100
    configured.relimit(40, 0.0)
    assert (configured.capacity, configured.level(0.0), configured.rate) == (40, 40, 40 / 60)
    learned = TokenBucket(100, now=0.0, configured=False)
    learned.relimit(500, 0.0)
    assert learned.capacity == 500
    assert learned.level(0.0) == 100  # a bigger limit is not free capacity


def test_bucket_rejects_non_positive_limit() -> None:
    with pytest.raises(ValueError, match="keypool"):
        TokenBucket(0, now=0.0)
