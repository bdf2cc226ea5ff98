"""Where state that replicas must share lives: this process (memory) or Redis.

- :mod:`~cc_relay.state.base`: the interface (:class:`SharedState`, :class:`KeyLimiter`,
  :class:`SharedLease`) and the read model's :class:`StateView`.
- :mod:`~cc_relay.state.memory`: today's behaviour, the default. It shares nothing, so
  the request path never awaits it (``keys`` is None and nothing is called).
- :mod:`~cc_relay.state.redis_state`: the Redis backend: connection, heartbeat (how many
  replicas are alive), down/up detection and resynchronisation.
- :mod:`~cc_relay.state.limiter`: key buckets and cooldowns as atomic Lua scripts
  (:mod:`~cc_relay.state._scripts`) on Redis time, one round trip per reservation and per
  settlement.
- :mod:`~cc_relay.state._fallback`: while Redis is down, each replica's own buckets at
  the key's limit divided by the replicas last seen.
- :mod:`~cc_relay.state.fleet`: the replica id, and (Redis) the fleet's request stream
  and per-replica stats snapshots that fleet views read.

The local key pool (``keypool/``) still picks keys and keeps its own buckets; with Redis
a lease it hands out is then admitted by the shared buckets, which are the fleet's truth.
"""

from cc_relay.state.base import KeyLimiter, SharedLease, SharedState, StateView
from cc_relay.state.factory import create
from cc_relay.state.memory import MemoryState

__all__ = ["KeyLimiter", "MemoryState", "SharedLease", "SharedState", "StateView", "create"]
