"""Learning from anthropic-ratelimit-* headers: tighten, park until reset, learn limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.config import KeyConfig
from cc_relay.keypool import KeyPool, Lease
from cc_relay.keypool.headers import MAX_RESET_WAIT

EPOCH = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return EPOCH + timedelta(seconds=self.now - 500.0)


def _setup(**limits: int) -> tuple[KeyPool, Lease, FakeClock]:
    clock = FakeClock()
    pool = KeyPool(
        [KeyConfig(key="sk-ant-api03-secret", **limits)], clock=clock, wall_clock=clock.wall
    )
    lease = pool.acquire(100)
    assert lease is not None
    return pool, lease, clock


def _rfc3339(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _buckets(pool: KeyPool) -> dict[str, tuple[int, float, bool]]:
    return {
        name: (b.limit, b.remaining, b.learned) for name, b in pool.snapshot()[0].buckets.items()
    }


def test_learn_lowers_buckets_to_reported_remaining() -> None:
    pool, lease, _ = _setup(rpm_limit=50, itpm_limit=30_000, otpm_limit=8_000)
    lease.learn(
        {
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "12",
            "anthropic-ratelimit-requests-reset": _rfc3339(45),
            "anthropic-ratelimit-input-tokens-limit": "30000",
            "anthropic-ratelimit-input-tokens-remaining": "1000",
            "anthropic-ratelimit-input-tokens-reset": _rfc3339(58),
            "anthropic-ratelimit-output-tokens-limit": "8000",
            "anthropic-ratelimit-output-tokens-remaining": "8000",
            "anthropic-ratelimit-output-tokens-reset": _rfc3339(0),
        }
    )
    assert _buckets(pool) == {
        "requests": (50, 12, False),
        "input_tokens": (30_000, 1000, False),
        "output_tokens": (8_000, 8_000, False),
    }
    assert pool.acquire(1001) is None  # paced before the upstream would say 429
    assert pool.acquire(1000) is not None


def test_learn_never_raises_a_level() -> None:
    pool, lease, _ = _setup(rpm_limit=50)
    lease.learn({"anthropic-ratelimit-requests-remaining": "50"})
    assert _buckets(pool)["requests"][1] == 49  # our own reservation stands


def test_learn_remaining_zero_parks_the_key_until_reset() -> None:
    pool, lease, clock = _setup(rpm_limit=50)
    lease.learn(
        {
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": _rfc3339(20),
        }
    )
    assert pool.snapshot()[0].cooldown_left == 20
    assert pool.available_at() == clock.now + 20
    clock.now += 19.99  # the bucket alone would have refilled after 1.2 s
    assert pool.acquire(1) is None
    clock.now = 520.0
    assert pool.acquire(1) is not None


def test_learn_caps_a_far_reset_and_ignores_a_past_one() -> None:
    pool, lease, clock = _setup(rpm_limit=50)
    lease.learn(
        {
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": _rfc3339(3600),
        }
    )
    assert pool.snapshot()[0].cooldown_left == MAX_RESET_WAIT
    pool, lease, clock = _setup(rpm_limit=60)
    lease.learn(
        {
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": _rfc3339(-5),
        }
    )
    assert pool.snapshot()[0].cooldown_left == 0
    assert pool.available_at() == pytest.approx(clock.now + 1.0)  # refill alone


def test_learn_gives_an_unlimited_key_the_reported_limit() -> None:
    pool, lease, clock = _setup()
    assert _buckets(pool) == {}
    lease.learn(
        {
            "Anthropic-RateLimit-Requests-Limit": "4000",
            "ANTHROPIC-RATELIMIT-REQUESTS-REMAINING": "3990",
            "anthropic-ratelimit-input-tokens-limit": "2000000",
            "anthropic-ratelimit-output-tokens-limit": "400000",
            "anthropic-ratelimit-output-tokens-remaining": "0",
        }
    )
    assert _buckets(pool) == {
        "requests": (4000, 3990, True),
        "input_tokens": (2_000_000, 2_000_000, True),
        "output_tokens": (400_000, 0, True),
    }
    assert pool.acquire(1) is None  # no output capacity left (no reset: refill only)
    clock.now += 60 / 400_000
    assert pool.acquire(1) is not None
    # A learned limit follows the upstream both ways.
    lease.learn({"anthropic-ratelimit-requests-limit": "5000"})
    assert _buckets(pool)["requests"][0] == 5000


def test_learn_lowers_a_configured_limit_but_never_raises_it() -> None:
    pool, lease, _ = _setup(rpm_limit=50, itpm_limit=30_000)
    lease.learn(
        {
            "anthropic-ratelimit-requests-limit": "1000",
            "anthropic-ratelimit-input-tokens-limit": "20000",
        }
    )
    assert _buckets(pool) == {"requests": (50, 49, False), "input_tokens": (20_000, 20_000, False)}


def test_learn_tokens_headers_are_no_total_limit_but_zero_still_parks() -> None:
    # "tokens" is Anthropic's most restrictive limit in effect, not input + output.
    pool, lease, _ = _setup()
    lease.learn(
        {"anthropic-ratelimit-tokens-limit": "8000", "anthropic-ratelimit-tokens-remaining": "3000"}
    )
    assert _buckets(pool) == {}
    lease.learn(
        {
            "anthropic-ratelimit-tokens-remaining": "0",
            "anthropic-ratelimit-tokens-reset": _rfc3339(7),
        }
    )
    assert pool.snapshot()[0].cooldown_left == 7
    pool, lease, _ = _setup(tpm_limit=100_000)
    lease.learn(
        {"anthropic-ratelimit-tokens-limit": "8000", "anthropic-ratelimit-tokens-remaining": "3000"}
    )
    assert _buckets(pool) == {"tokens": (100_000, 3000, False)}


def test_learn_ignores_garbage_and_other_headers() -> None:
    pool, lease, _ = _setup(rpm_limit=50)
    lease.learn(
        {
            "anthropic-ratelimit-requests-limit": "lots",
            "anthropic-ratelimit-requests-remaining": "-3",
            "anthropic-ratelimit-requests-reset": "tomorrow",
            "anthropic-ratelimit-input-tokens-limit": "nan",
            "anthropic-ratelimit-output-tokens-remaining": "inf",
            "anthropic-ratelimit-unified-status": "rejected",
            "anthropic-ratelimit-widgets-remaining": "0",
            "x-ratelimit-remaining-requests": "0",
            "content-type": "application/json",
        }
    )
    assert _buckets(pool) == {"requests": (50, 49, False)}
    assert pool.snapshot()[0].cooldown_left == 0


def test_learn_after_the_lease_ended_still_teaches_the_key() -> None:
    pool, lease, _ = _setup(rpm_limit=50)
    lease.settle(100, 10)
    lease.learn({"anthropic-ratelimit-requests-remaining": "5"})
    assert _buckets(pool)["requests"][1] == 5


families = st.sampled_from(["requests", "input-tokens", "output-tokens", "tokens"])
values = st.one_of(
    st.integers(-5, 10**7).map(str), st.text(max_size=8), st.floats(allow_nan=True).map(str)
)


@given(
    st.dictionaries(
        st.tuples(families, st.sampled_from(["limit", "remaining", "reset"])),
        values | st.integers(-100, 100).map(_rfc3339),
        max_size=12,
    )
)
def test_learn_only_ever_tightens(raw: dict[tuple[str, str], str]) -> None:
    pool, lease, clock = _setup(rpm_limit=50, itpm_limit=30_000, otpm_limit=8_000, tpm_limit=40_000)
    before = pool.snapshot()[0]
    ready_before = pool.available_at()
    lease.learn(
        {f"anthropic-ratelimit-{family}-{field}": value for (family, field), value in raw.items()}
    )
    after = pool.snapshot()[0]
    assert after.buckets.keys() == before.buckets.keys()
    for name, bucket in after.buckets.items():
        assert bucket.limit <= before.buckets[name].limit
        assert bucket.remaining <= before.buckets[name].remaining
    assert after.cooldown_left <= MAX_RESET_WAIT
    assert pool.available_at() >= ready_before == clock.now
