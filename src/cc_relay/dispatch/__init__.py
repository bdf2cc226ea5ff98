"""The request lifecycle, free of any transport: plan, attempt, settle.

- :mod:`~cc_relay.dispatch.record`: :class:`Exchange`, what one request did, published
  as a ``RequestSettled`` event when it ends.
- :mod:`~cc_relay.dispatch.walk`: walking a plan's attempts (failover, retry budget,
  queueing for a busy key) to an answer.
- :mod:`~cc_relay.dispatch.attempt`: :class:`AttemptScope`, the one place that books an
  attempt's lease, breaker outcome and in-flight count.
- :mod:`~cc_relay.dispatch.upstream`: opening the upstream call until there is
  something to forward.

The HTTP layer (``cc_relay.api``) parses, authenticates and writes bytes; it calls
:func:`answer` and, once the answer is written, ``AttemptScope.settle``.
"""

from cc_relay.dispatch.attempt import AttemptScope
from cc_relay.dispatch.record import Exchange
from cc_relay.dispatch.upstream import Opened, open_attempt
from cc_relay.dispatch.walk import (
    Outcome,
    answer,
    first_success,
    make_plan,
    nothing_to_try,
    route_context,
    unknown_model,
)

__all__ = [
    "AttemptScope",
    "Exchange",
    "Opened",
    "Outcome",
    "answer",
    "first_success",
    "make_plan",
    "nothing_to_try",
    "open_attempt",
    "route_context",
    "unknown_model",
]
