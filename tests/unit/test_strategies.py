"""Routing strategies and the router's candidate selection."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.config import ProviderConfig, RoutingConfig
from cc_relay.providers import Provider, create
from cc_relay.routing import Router, UnknownModel
from cc_relay.routing.context import RouteContext
from cc_relay.routing.stats import ProviderStats
from cc_relay.routing.strategies import (
    LatencyBased,
    RoundRobin,
    SimpleShuffle,
    WeightedRoundRobin,
)
from cc_relay.routing.strategies import create as create_strategy

CTX = RouteContext(model="claude-x")


def _provider(name: str, **extra: Any) -> Provider:
    return create(ProviderConfig.model_validate({"name": name, "type": "anthropic", **extra}))


@given(st.lists(st.floats(min_value=0.01, max_value=100), min_size=1, max_size=8), st.integers())
def test_simple_shuffle_is_a_permutation(weights: list[float], seed: int) -> None:
    providers = [_provider(f"p{i}", weight=w) for i, w in enumerate(weights)]
    order = SimpleShuffle(random.Random(seed)).order(providers, CTX)
    assert sorted(p.name for p in order) == sorted(p.name for p in providers)


def test_simple_shuffle_leads_in_proportion_to_weight() -> None:
    providers = [_provider("heavy", weight=3), _provider("light", weight=1)]
    shuffle = SimpleShuffle(random.Random(7))
    leads = Counter(shuffle.order(providers, CTX)[0].name for _ in range(8000))
    assert 0.72 < leads["heavy"] / 8000 < 0.78


def test_round_robin_rotates_per_candidate_set() -> None:
    a, b, c = _provider("a"), _provider("b"), _provider("c")
    rr = RoundRobin()
    firsts = [rr.order([a, b, c], CTX)[0].name for _ in range(6)]
    assert firsts == ["a", "b", "c", "a", "b", "c"]
    assert [p.name for p in rr.order([a, b], CTX)] == ["a", "b"]
    assert [p.name for p in rr.order([a, b, c], CTX)] == ["a", "b", "c"]


def test_weighted_round_robin_is_smooth_and_proportional() -> None:
    heavy, light = _provider("heavy", weight=3), _provider("light", weight=1)
    wrr = WeightedRoundRobin()
    firsts = [wrr.order([heavy, light], CTX)[0].name for _ in range(8)]
    assert firsts.count("heavy") == 6
    assert "light" in firsts[:4], "smooth: the light one is not starved for a whole cycle"


def test_router_candidates_by_list_map_and_pattern() -> None:
    router = Router(
        [
            _provider("exact", models=["claude-opus-4-8"]),
            _provider("pattern", models=["claude-haiku-*"]),
            _provider("mapped", models=["x"], model_map={"fast": "claude-haiku-4-8"}),
            _provider("off", models=["claude-opus-4-8"], enabled=False),
        ],
        RoutingConfig(strategy="round-robin"),
    )
    assert [p.name for p in router.candidates("claude-opus-4-8").serving] == ["exact"]
    assert [p.name for p in router.candidates("claude-haiku-4-8").serving] == ["pattern"]
    attempt = router.plan("fast").next()
    assert attempt is not None
    assert (attempt.provider.name, attempt.upstream_model) == ("mapped", "claude-haiku-4-8")


def test_router_unknown_model_lists_known_ids() -> None:
    router = Router([_provider("a", models=["claude-opus-4-8", "claude-h*"])])
    with pytest.raises(UnknownModel) as caught:
        router.plan("gpt-9")
    assert caught.value.available == ["claude-opus-4-8", "claude-h*"]


def test_router_keys_rotate_within_provider() -> None:
    router = Router([_provider("a", keys=["k1", "k2"], key_selection="round-robin")])
    keys = []
    for _ in range(4):
        plan = router.plan("claude-x")
        attempt = plan.next()
        assert attempt is not None and attempt.key is not None and attempt.lease is not None
        keys.append(attempt.key.key)
        plan.succeeded(attempt)
        attempt.lease.settle(10, 10)
    assert keys == ["k1", "k2", "k1", "k2"]


def _measured(**ttft: float) -> dict[str, ProviderStats]:
    return {name: ProviderStats(ttft_ewma=seconds) for name, seconds in ttft.items()}


def test_latency_based_puts_unmeasured_first_then_the_fastest() -> None:
    providers = [_provider("slow"), _provider("fast"), _provider("new")]
    stats = _measured(slow=0.9, fast=0.1) | {"new": ProviderStats()}
    order = LatencyBased(stats, exploration=0).order(providers, CTX)
    assert [p.name for p in order] == ["new", "fast", "slow"]


@pytest.mark.parametrize(("exploration", "low", "high"), [(0, 0, 0), (0.25, 0.22, 0.28), (1, 1, 1)])
def test_latency_based_explores_at_the_configured_rate(
    exploration: float, low: float, high: float
) -> None:
    providers = [_provider("fast"), _provider("slow")]
    strategy = LatencyBased(
        _measured(fast=0.1, slow=0.9), exploration=exploration, rng=random.Random(11)
    )
    leads = Counter(strategy.order(providers, CTX)[0].name for _ in range(4000))
    assert low <= leads["slow"] / 4000 <= high


def test_exploration_comes_from_config_and_is_a_probability() -> None:
    stats = _measured(a=0.1)
    config = RoutingConfig.model_validate({"strategy": "latency-based", "exploration": 0})
    strategy = create_strategy(config, stats)
    assert isinstance(strategy, LatencyBased)
    providers = [_provider("a"), _provider("b")]
    stats["b"] = ProviderStats(ttft_ewma=0.5)
    assert all(strategy.order(providers, CTX)[0].name == "a" for _ in range(500))
    with pytest.raises(ValueError, match="exploration"):
        RoutingConfig.model_validate({"exploration": 1.5})
