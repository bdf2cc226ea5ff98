"""KeyPool and Lease: reservations, settling, releases, 429 cooldowns, exact wake-up times,
priority tiers and secret-free snapshots."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.config import KeyConfig
from cc_relay.keypool import (
    DEFAULT_COOLDOWN,
    SPEND_CAP_COOLDOWN,
    KeyPool,
    KeyPoolError,
    UnknownSelection,
)
from cc_relay.observability import fingerprint


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _key(name: str, **limits: int | float) -> KeyConfig:
    return KeyConfig.model_validate({"key": f"sk-ant-{name}-0123456789", **limits})


def _pool(*keys: KeyConfig, **options: object) -> tuple[KeyPool, FakeClock]:
    clock = FakeClock()
    return KeyPool(keys, clock=clock, **options), clock  # type: ignore[arg-type]


def _remaining(pool: KeyPool, index: int = 0) -> dict[str, float]:
    return {name: b.remaining for name, b in pool.snapshot()[index].buckets.items()}


def test_pool_acquire_reserves_a_request_and_the_estimate() -> None:
    pool, _ = _pool(_key("a", rpm_limit=10, itpm_limit=1000, tpm_limit=5000, otpm_limit=300))
    lease = pool.acquire(400)
    assert lease is not None and lease.key.key == "sk-ant-a-0123456789"
    assert _remaining(pool) == {
        "requests": 9,
        "input_tokens": 600,
        "output_tokens": 300,
        "tokens": 4600,
    }
    assert pool.snapshot()[0].in_flight == 1


def test_pool_acquire_refuses_when_the_request_bucket_is_empty_until_it_refills() -> None:
    pool, clock = _pool(_key("a", rpm_limit=2))
    assert pool.acquire(1) and pool.acquire(1)
    assert pool.acquire(1) is None
    assert pool.available_at() == pytest.approx(clock.now + 30.0)
    clock.now += 29.9
    assert pool.acquire(1) is None
    clock.now += 0.1
    assert pool.acquire(1) is not None


def test_pool_acquire_refuses_an_estimate_the_input_or_total_bucket_cannot_hold() -> None:
    pool, _ = _pool(_key("a", itpm_limit=1000), _key("b", tpm_limit=1000))
    first = pool.acquire(800)
    second = pool.acquire(800)
    assert (
        first
        and second
        and {first.fingerprint, second.fingerprint}
        == {fingerprint("sk-ant-a-0123456789"), fingerprint("sk-ant-b-0123456789")}
    )
    assert pool.acquire(300) is None
    assert pool.acquire(200) is not None


def test_pool_output_debt_blocks_the_key() -> None:
    pool, clock = _pool(_key("a", otpm_limit=600))  # 10 output tokens per second
    lease = pool.acquire(10)
    assert lease is not None
    lease.settle(10, 1000)  # 400 in debt
    assert pool.acquire(1) is None
    assert pool.available_at() == pytest.approx(clock.now + 40.1)


@given(
    st.integers(min_value=1, max_value=5000),
    st.lists(
        st.tuples(st.none() | st.integers(0, 20_000), st.none() | st.integers(0, 9000)),
        min_size=1,
        max_size=5,
    ),
)
def test_pool_settle_charges_the_last_figures_once(
    estimate: int, settles: list[tuple[int | None, int | None]]
) -> None:
    pool, _ = _pool(_key("a", itpm_limit=50_000, otpm_limit=20_000, tpm_limit=80_000))
    lease = pool.acquire(estimate)
    assert lease is not None
    charged_in, charged_out = estimate, 0
    for input_tokens, output_tokens in settles:
        lease.settle(input_tokens, output_tokens)
        charged_in = charged_in if input_tokens is None else input_tokens
        charged_out = charged_out if output_tokens is None else output_tokens
    assert _remaining(pool) == pytest.approx(
        {
            "input_tokens": 50_000 - charged_in,
            "output_tokens": 20_000 - charged_out,
            "tokens": 80_000 - charged_in - charged_out,
        }
    )
    assert pool.snapshot()[0].in_flight == 0


def test_pool_settle_twice_does_not_double_charge() -> None:
    pool, _ = _pool(_key("a", itpm_limit=10_000, otpm_limit=10_000))
    lease = pool.acquire(100)
    assert lease is not None
    lease.settle(300, 50)
    lease.settle(300, 50)
    assert _remaining(pool) == {"input_tokens": 9700, "output_tokens": 9950}


def test_pool_release_gives_everything_back_once() -> None:
    pool, _ = _pool(_key("a", rpm_limit=5, itpm_limit=1000, tpm_limit=1000))
    lease = pool.acquire(600)
    other = pool.acquire(100)
    assert lease is not None and other is not None
    lease.release()
    lease.release()
    assert _remaining(pool) == {"requests": 4, "input_tokens": 900, "tokens": 900}
    assert pool.snapshot()[0].in_flight == 1
    lease.settle(5000, 5000)  # too late: the lease is over
    assert _remaining(pool) == {"requests": 4, "input_tokens": 900, "tokens": 900}


def test_pool_release_after_settle_is_a_no_op() -> None:
    pool, _ = _pool(_key("a", rpm_limit=5, itpm_limit=1000))
    lease = pool.acquire(100)
    assert lease is not None
    lease.settle(200, 10)
    lease.release()
    assert _remaining(pool) == {"requests": 4, "input_tokens": 800}
    assert pool.snapshot()[0].in_flight == 0


@pytest.mark.parametrize(
    ("retry_after", "spend_cap", "rest"),
    [
        (None, False, DEFAULT_COOLDOWN),
        (7.0, False, 7.0),
        (0.0, False, 1.0),
        (None, True, SPEND_CAP_COOLDOWN),
        (5.0, True, SPEND_CAP_COOLDOWN),
        (3600.0, True, 3600.0),
        (math.inf, False, DEFAULT_COOLDOWN),
    ],
)
def test_pool_rate_limited_rests_the_key(
    retry_after: float | None, spend_cap: bool, rest: float
) -> None:
    pool, clock = _pool(_key("a", rpm_limit=100, itpm_limit=1000))
    lease = pool.acquire(500)
    assert lease is not None
    lease.rate_limited(retry_after, spend_cap=spend_cap)
    assert pool.snapshot()[0].cooldown_left == rest
    assert pool.snapshot()[0].in_flight == 0
    # Tokens come back (nothing was processed); the request counted upstream.
    assert _remaining(pool) == {"requests": 99, "input_tokens": 1000}
    assert pool.acquire(1) is None
    assert pool.available_at() == clock.now + rest
    clock.now += rest
    assert pool.acquire(1) is not None


def test_pool_rate_limited_never_shortens_a_longer_cooldown() -> None:
    pool, _ = _pool(_key("a"))
    first, second = pool.acquire(1), pool.acquire(1)
    assert first is not None and second is not None
    first.rate_limited(None, spend_cap=True)
    second.rate_limited(2.0)
    assert pool.snapshot()[0].cooldown_left == SPEND_CAP_COOLDOWN


def test_pool_skips_a_cooling_key_for_the_next() -> None:
    pool, _ = _pool(_key("a"), _key("b"), selection="round-robin")
    lease = pool.acquire(1)
    assert lease is not None
    lease.rate_limited(10.0)
    leases = [pool.acquire(1) for _ in range(3)]
    assert {lease.fingerprint for lease in leases if lease} == {fingerprint("sk-ant-b-0123456789")}


def test_pool_higher_priority_keys_first_lower_only_as_overflow() -> None:
    pool, clock = _pool(
        _key("low", priority=0),
        _key("high1", rpm_limit=1, priority=5),
        _key("high2", rpm_limit=1, priority=5),
        _key("mid", priority=2),
    )
    names = []
    for _ in range(4):
        lease = pool.acquire(1)
        assert lease is not None
        names.append(lease.key.key.split("-")[2])
    assert sorted(names[:2]) == ["high1", "high2"]
    assert names[2:] == ["mid", "mid"]
    clock.now += 60
    lease = pool.acquire(1)
    assert lease is not None and lease.key.key.split("-")[2].startswith("high")


def test_pool_available_at_is_now_when_a_key_is_free_and_inf_when_empty() -> None:
    pool, clock = _pool(_key("a", rpm_limit=1))
    assert pool.available_at() == clock.now
    assert KeyPool([], clock=clock).available_at() == math.inf
    assert KeyPool([], clock=clock).acquire(1) is None


def test_pool_available_at_is_the_earliest_key() -> None:
    pool, clock = _pool(_key("a", rpm_limit=1), _key("b", rpm_limit=2))
    while pool.acquire(1):
        pass
    assert pool.available_at() == pytest.approx(clock.now + 30.0)  # b refills first


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["acquire", "settle", "release", "429", "wait"]),
            st.integers(0, 3000),
            st.floats(0, 40),
        ),
        max_size=40,
    )
)
def test_pool_available_at_is_exact(ops: list[tuple[str, int, float]]) -> None:
    # Whatever happened before: just before available_at() a 1-token request finds no key,
    # at available_at() it finds one.
    pool, clock = _pool(
        _key("a", rpm_limit=3, itpm_limit=2000, otpm_limit=500),
        _key("b", rpm_limit=2, tpm_limit=3000, priority=1),
        _key("c", itpm_limit=1500),
    )
    leases = []
    for op, amount, dt in ops:
        if op == "acquire" and (lease := pool.acquire(amount)):
            leases.append(lease)
        elif op == "settle" and leases:
            leases.pop().settle(amount, amount // 2)
        elif op == "release" and leases:
            leases.pop().release()
        elif op == "429" and leases:
            leases.pop().rate_limited(dt)
        elif op == "wait":
            clock.now += dt
    ready = pool.available_at()
    if ready > clock.now:
        clock.now = math.nextafter(ready, -math.inf)
        assert pool.acquire(1) is None
        clock.now = ready
    assert pool.acquire(1) is not None


def test_pool_counts_a_repeated_key_once() -> None:
    pool, _ = _pool(_key("a"), _key("a", rpm_limit=5), _key("b"))
    assert len(pool) == 2
    assert len(KeyPool([])) == 0


def test_pool_rejects_an_unknown_selection() -> None:
    with pytest.raises(UnknownSelection, match=r"^keypool: unknown selection 'fastest'"):
        KeyPool([_key("a")], selection="fastest")
    with pytest.raises(ValueError):
        KeyPool([], selection="")
    assert issubclass(UnknownSelection, KeyPoolError)


@given(
    st.text(alphabet=st.characters(codec="ascii", categories=["L", "N"]), min_size=12, max_size=60)
)
def test_pool_snapshot_and_lease_hold_no_secret(tail: str) -> None:
    # A key-shaped secret: a bare word such as "BucketSnapsh" would be found in the
    # snapshot's own field names.
    secret = f"sk-{tail}"
    pool, _ = _pool(KeyConfig(key=secret, rpm_limit=5, itpm_limit=1000))
    lease = pool.acquire(10)
    assert lease is not None
    [snap] = pool.snapshot()
    assert snap.fingerprint == fingerprint(secret) == lease.fingerprint
    for text in (repr(snap), str(snap), repr(lease), repr(pool.snapshot()), repr(lease.key)):
        assert secret not in text


def test_pool_snapshot_reports_limits_remaining_and_learned() -> None:
    pool, clock = _pool(_key("a", rpm_limit=60, otpm_limit=600, weight=2.5, priority=3), _key("b"))
    lease = pool.acquire(5)
    assert lease is not None
    lease.settle(5, 900)
    clock.now += 6.0
    a, b = pool.snapshot()
    assert (a.priority, a.weight, a.in_flight, a.cooldown_left) == (3, 2.5, 0, 0.0)
    assert a.buckets["requests"].limit == 60
    assert a.buckets["requests"].remaining == pytest.approx(60.0)
    assert a.buckets["output_tokens"].remaining == pytest.approx(-300 + 60)
    assert not a.buckets["requests"].learned
    assert b.buckets == {}


def test_pool_acquire_is_cheap_with_fifty_keys() -> None:
    import time

    keys = [
        _key(f"k{i}", rpm_limit=4000, itpm_limit=2_000_000, otpm_limit=400_000, priority=i % 2)
        for i in range(50)
    ]
    pool = KeyPool(keys)  # real clock
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        lease = pool.acquire(3000)
        assert lease is not None
        lease.settle(3000, 200)
    per_call = (time.perf_counter() - started) / rounds
    # About 1 µs per key on a laptop; the bound leaves room for slow CI machines.
    assert per_call < 50 * 20e-6, per_call
