"""Routing strategies: each orders the candidate providers for one request.

One module per strategy; `create` builds the one named in config.
"""

from collections.abc import Mapping

from cc_relay.config import RoutingConfig
from cc_relay.routing.stats import ProviderStats
from cc_relay.routing.strategies.base import Strategy
from cc_relay.routing.strategies.cost_based import CostBased
from cc_relay.routing.strategies.failover import Failover
from cc_relay.routing.strategies.latency_based import LatencyBased
from cc_relay.routing.strategies.least_loaded import LeastLoaded
from cc_relay.routing.strategies.model_based import ModelBased
from cc_relay.routing.strategies.round_robin import RoundRobin, WeightedRoundRobin
from cc_relay.routing.strategies.simple_shuffle import SimpleShuffle


def create(
    config: RoutingConfig,
    stats: Mapping[str, ProviderStats],
    *,
    previous: Strategy | None = None,
) -> Strategy:
    """The strategy named in config, wired to what it needs.

    ``previous`` is the strategy a reloaded config replaces: a rotation of the same
    kind goes on where it was instead of starting over.
    """
    if isinstance(previous, RoundRobin | WeightedRoundRobin) and previous.name == config.strategy:
        return previous
    name = config.strategy
    if name == "cost-based":
        return CostBased(max_cost_per_million=config.max_cost_per_million_tokens)
    if name == "model-based":
        return ModelBased(config.model_routes)
    if name == "least-loaded":
        return LeastLoaded(stats)
    if name == "latency-based":
        return LatencyBased(stats, exploration=config.exploration)
    simple: dict[str, type[Strategy]] = {
        "failover": Failover,
        "round-robin": RoundRobin,
        "simple-shuffle": SimpleShuffle,
        "weighted-round-robin": WeightedRoundRobin,
    }
    return simple[name]()


__all__ = [
    "CostBased",
    "Failover",
    "LatencyBased",
    "LeastLoaded",
    "ModelBased",
    "RoundRobin",
    "SimpleShuffle",
    "Strategy",
    "WeightedRoundRobin",
    "create",
]
