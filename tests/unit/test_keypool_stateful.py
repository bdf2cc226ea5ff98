"""Random sequences of pool operations under a fake clock, checked after every step:
acquire never hands out a cooling-down or exhausted key, never skips a ready key of higher
priority, answers None only when no key is ready, and available_at() is exact."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from cc_relay.config import KeyConfig
from cc_relay.keypool import SELECTIONS, KeyPool, KeySnapshot, Lease

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
limit = st.none() | st.integers(min_value=1, max_value=5000)
key_configs = st.builds(
    lambda i, rpm, itpm, otpm, tpm, prio, weight: KeyConfig(
        key=f"sk-test-{i}",
        rpm_limit=rpm,
        itpm_limit=itpm,
        otpm_limit=otpm,
        tpm_limit=tpm,
        priority=prio,
        weight=weight,
    ),
    st.integers(0, 10**6),
    st.none() | st.integers(1, 20),
    limit,
    limit,
    limit,
    st.integers(0, 2),
    st.floats(0.1, 10),
)


def _need(name: str, estimate: float, limit: int) -> float:
    if name in ("requests", "output_tokens"):
        return 1.0
    return min(estimate, limit)


def _ready(snap: KeySnapshot, estimate: float, slack: float) -> bool:
    """Whether the snapshot says the key can take the request; ``slack`` > 0 is lenient,
    < 0 strict, by that share of each bucket's limit (snapshots round a little)."""
    return snap.cooldown_left == 0 and all(
        b.remaining >= _need(name, estimate, b.limit) - slack * b.limit
        or b.remaining == b.limit  # a full bucket takes anything, however big
        for name, b in snap.buckets.items()
    )


class PoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = 100.0
        self.open: list[Lease] = []
        self.ended: list[Lease] = []

    def clock(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return EPOCH + timedelta(seconds=self.now)

    @initialize(
        keys=st.lists(key_configs, min_size=1, max_size=4),
        selection=st.sampled_from(SELECTIONS),
        seed=st.integers(),
    )
    def build(self, keys: list[KeyConfig], selection: str, seed: int) -> None:
        self.pool = KeyPool(
            keys,
            selection=selection,
            clock=self.clock,
            rng=random.Random(seed),
            wall_clock=self.wall,
        )

    @rule(dt=st.floats(0, 30))
    def wait(self, dt: float) -> None:
        self.now += dt

    @rule(estimate=st.integers(0, 6000))
    def acquire(self, estimate: int) -> None:
        before = {s.fingerprint: s for s in self.pool.snapshot()}
        lease = self.pool.acquire(estimate)
        if lease is None:
            assert not any(_ready(s, estimate, -1e-9) for s in before.values())
            return
        chosen = before[lease.fingerprint]
        assert _ready(chosen, estimate, 1e-9), chosen
        assert not any(
            _ready(s, estimate, -1e-9) for s in before.values() if s.priority > chosen.priority
        )
        self.open.append(lease)

    @precondition(lambda self: self.open)
    @rule(
        data=st.data(),
        used_in=st.none() | st.integers(0, 8000),
        used_out=st.none() | st.integers(0, 3000),
    )
    def settle(self, data: st.DataObject, used_in: int | None, used_out: int | None) -> None:
        lease = self.open.pop(data.draw(st.integers(0, len(self.open) - 1)))
        lease.settle(used_in, used_out)
        self.ended.append(lease)

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        lease = self.open.pop(data.draw(st.integers(0, len(self.open) - 1)))
        lease.release()
        self.ended.append(lease)

    @precondition(lambda self: self.open)
    @rule(data=st.data(), retry_after=st.none() | st.floats(0, 120), spend_cap=st.booleans())
    def rate_limited(self, data: st.DataObject, retry_after: float | None, spend_cap: bool) -> None:
        lease = self.open.pop(data.draw(st.integers(0, len(self.open) - 1)))
        lease.rate_limited(retry_after, spend_cap=spend_cap)
        self.ended.append(lease)

    @precondition(lambda self: self.ended)
    @rule(data=st.data(), again=st.integers(0, 2000))
    def late_calls(self, data: st.DataObject, again: int) -> None:
        # Error paths may call an ended lease again; that must not touch in-flight counts.
        lease = data.draw(st.sampled_from(self.ended))
        calls: list[Callable[[], None]] = [lease.release, lambda: lease.settle(again, again)]
        data.draw(st.sampled_from(calls))()

    @precondition(lambda self: self.open or self.ended)
    @rule(
        data=st.data(),
        family=st.sampled_from(["requests", "input-tokens", "output-tokens", "tokens"]),
        limit=st.integers(1, 5000),
        remaining=st.integers(0, 5000),
        reset_in=st.integers(-10, 90),
    )
    def learn(
        self, data: st.DataObject, family: str, limit: int, remaining: int, reset_in: int
    ) -> None:
        lease = data.draw(st.sampled_from(self.open + self.ended))
        reset = (self.wall() + timedelta(seconds=reset_in)).isoformat()
        prefix = f"anthropic-ratelimit-{family}-"
        lease.learn(
            {
                prefix + "limit": str(limit),
                prefix + "remaining": str(remaining),
                prefix + "reset": reset,
            }
        )

    @rule()
    def wait_until_available(self) -> None:
        ready = self.pool.available_at()
        assert ready >= self.now
        if ready > self.now:
            self.now = math.nextafter(ready, -math.inf)
            assert self.pool.acquire(1) is None
            self.now = ready
        lease = self.pool.acquire(1)
        assert lease is not None
        self.open.append(lease)

    @invariant()
    def in_flight_matches_open_leases(self) -> None:
        if not hasattr(self, "pool"):
            return
        for snap in self.pool.snapshot():
            assert snap.in_flight == sum(
                1 for lease in self.open if lease.fingerprint == snap.fingerprint
            )
            assert snap.cooldown_left >= 0


PoolMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_keypool_pool_state_machine = PoolMachine.TestCase
