"""Key selection policies: one module per policy; `create` builds the one named in config.

Each chooses among the keys of one priority tier that can take the request right now.
"""

from __future__ import annotations

import random

from cc_relay.errors import UnknownSelection
from cc_relay.keypool.selectors.base import Selector
from cc_relay.keypool.selectors.least_loaded import LeastLoaded
from cc_relay.keypool.selectors.round_robin import RoundRobin
from cc_relay.keypool.selectors.uniform import Uniform
from cc_relay.keypool.selectors.weighted import Weighted

SELECTIONS = ("least-loaded", "random", "round-robin", "weighted")
"""Selection names accepted in config."""


def create(name: str, rng: random.Random) -> Selector:
    """A new selector for ``name``.

    Raises:
        UnknownSelection: ``name`` is not one of :data:`SELECTIONS`.
    """
    if name == "least-loaded":
        return LeastLoaded(rng)
    if name == "round-robin":
        return RoundRobin()
    if name == "random":
        return Uniform(rng)
    if name == "weighted":
        return Weighted(rng)
    raise UnknownSelection(
        f"keypool: unknown selection {name!r}; expected one of {', '.join(SELECTIONS)}"
    )


__all__ = ["LeastLoaded", "RoundRobin", "SELECTIONS", "Selector", "Uniform", "Weighted", "create"]
