"""Routing: which providers may serve a request, and in which order to try them.

- :mod:`~cc_relay.routing.router`: candidates, the strategy's order, keys and circuits
  per provider; ``plan`` and ``explain`` share one decision (``Router._route``).
- :mod:`~cc_relay.routing.plan`: one request's attempts, handed out one at a time,
  and what each outcome means for the next.
- :mod:`~cc_relay.routing.resolve`: aliases, provider-qualified and discovery ids.
- :mod:`~cc_relay.routing.strategies`: one module per strategy.
- :mod:`~cc_relay.routing.affinity`, :mod:`~cc_relay.routing.stats`,
  :mod:`~cc_relay.routing.context`: sessions, per-provider counters, what strategies see.
"""

from cc_relay.errors import UnknownModel
from cc_relay.routing.router import Router

__all__ = ["Router", "UnknownModel"]
