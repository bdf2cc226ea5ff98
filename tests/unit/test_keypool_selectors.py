"""Selection policies: order and distribution (seeded), within priority tiers."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cc_relay.config import KeyConfig
from cc_relay.keypool import SELECTIONS, KeyPool, Lease


class FakeClock:
    def __init__(self, now: float = 50.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _key(name: str, **extra: int | float) -> KeyConfig:
    return KeyConfig.model_validate({"key": f"sk-{name}-abcdefgh", **extra})


def _name(lease: Lease | None) -> str:
    assert lease is not None
    return lease.key.key.split("-")[1]


def _picks(pool: KeyPool, n: int, *, settle: bool = True) -> list[str]:
    names = []
    for _ in range(n):
        lease = pool.acquire(1)
        names.append(_name(lease))
        if settle and lease:
            lease.settle(1, 0)
    return names


def test_selection_names() -> None:
    assert SELECTIONS == ("least-loaded", "random", "round-robin", "weighted")


def test_round_robin_takes_turns_in_config_order() -> None:
    pool = KeyPool([_key("a"), _key("b"), _key("c")], selection="round-robin", clock=FakeClock())
    assert _picks(pool, 7) == ["a", "b", "c", "a", "b", "c", "a"]


def test_round_robin_skips_a_key_that_cannot_take_the_request() -> None:
    clock = FakeClock()
    pool = KeyPool(
        [_key("a"), _key("b", rpm_limit=1), _key("c")], selection="round-robin", clock=clock
    )
    assert _picks(pool, 6) == ["a", "b", "c", "a", "c", "a"]
    clock.now += 60
    assert _picks(pool, 3) == ["b", "c", "a"]


def test_least_loaded_picks_the_key_with_most_headroom() -> None:
    pool = KeyPool(
        [_key("a", itpm_limit=10_000), _key("b", itpm_limit=1_000), _key("c", rpm_limit=10)],
        clock=FakeClock(),
    )
    # All full: a. Then a holds 0.9999 of its input, so b and c (full) tie: b, then c.
    assert _picks(pool, 3, settle=False) == ["a", "b", "c"]
    # a 0.9999, b 0.999, c 0.9 (9 of 10 requests left).
    assert _name(pool.acquire(2000)) == "a"
    # a 0.7999 now, b 0.999, c 0.9.
    assert _name(pool.acquire(1)) == "b"
    assert _name(pool.acquire(1)) == "b"  # 0.998 still beats c's 0.9
    assert _name(pool.acquire(100)) == "b"  # 0.997 ... then 0.897 < c's 0.9
    assert _name(pool.acquire(1)) == "c"


def test_least_loaded_ties_go_to_fewest_in_flight_then_least_recently_used() -> None:
    pool = KeyPool([_key("x"), _key("y"), _key("z")], clock=FakeClock())
    held = [pool.acquire(1) for _ in range(3)]
    assert [_name(lease) for lease in held] == ["x", "y", "z"]
    for lease in held[1:]:
        assert lease is not None
        lease.settle(1, 1)
    # x still has one in flight; y and z none, y used longer ago.
    assert _picks(pool, 4) == ["y", "z", "y", "z"]
    assert held[0] is not None
    held[0].settle(1, 1)
    assert _picks(pool, 3) == ["x", "y", "z"]


def test_random_is_uniform_over_ready_keys() -> None:
    clock = FakeClock()
    pool = KeyPool(
        [_key("a"), _key("b"), _key("c"), _key("d", rpm_limit=1)],
        selection="random",
        clock=clock,
        rng=random.Random(11),
    )
    counts = Counter(_picks(pool, 9001))
    assert counts["d"] == 1  # one request, then its bucket is empty for the whole run
    for name in "abc":
        assert 0.31 < counts[name] / 9000 < 0.356


def test_random_is_repeatable_with_a_seed() -> None:
    def run(seed: int) -> list[str]:
        pool = KeyPool(
            [_key("a"), _key("b"), _key("c")],
            selection="random",
            clock=FakeClock(),
            rng=random.Random(seed),
        )
        return _picks(pool, 30)

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_weighted_follows_weights() -> None:
    pool = KeyPool(
        [_key("heavy", weight=3), _key("light", weight=1), _key("tiny", weight=0.5, rpm_limit=1)],
        selection="weighted",
        clock=FakeClock(),
        rng=random.Random(5),
    )
    counts = Counter(_picks(pool, 8000))
    # "tiny" is ready for one pick only; after it, the odds are 3 : 1.
    assert counts["tiny"] <= 1
    assert 0.72 < counts["heavy"] / 8000 < 0.78


@pytest.mark.parametrize("selection", SELECTIONS)
def test_every_selection_keeps_to_the_highest_ready_tier(selection: str) -> None:
    clock = FakeClock()
    pool = KeyPool(
        [
            _key("low1", priority=-1),
            _key("top1", rpm_limit=2, priority=9),
            _key("low2", priority=-1),
            _key("top2", rpm_limit=2, priority=9),
            _key("mid", rpm_limit=1, priority=4),
        ],
        selection=selection,
        clock=clock,
        rng=random.Random(1),
    )
    names = _picks(pool, 12)
    assert sorted(names[:4]) == ["top1", "top1", "top2", "top2"]
    assert names[4] == "mid"
    assert set(names[5:]) <= {"low1", "low2"}
    clock.now += 30  # each top key regains one request, mid half of one
    assert sorted(_picks(pool, 2)) == ["top1", "top2"]
    assert _picks(pool, 1)[0].startswith("low")
