"""Routing strategies: each orders the candidate providers for one request.

One module per strategy; `create` builds the one named in config.
"""

from cc_relay.routing.strategies.base import Strategy
from cc_relay.routing.strategies.round_robin import RoundRobin
from cc_relay.routing.strategies.simple_shuffle import SimpleShuffle

_BY_NAME: dict[str, type[Strategy]] = {
    "round-robin": RoundRobin,
    "simple-shuffle": SimpleShuffle,
}


def create(name: str) -> Strategy:
    return _BY_NAME[name]()


__all__ = ["RoundRobin", "SimpleShuffle", "Strategy", "create"]
