"""The backend a config names."""

from __future__ import annotations

from cc_relay.config.schema import StateConfig
from cc_relay.state.base import SharedState
from cc_relay.state.fleet import replica_id
from cc_relay.state.memory import MemoryState

__all__ = ["create"]


def create(config: StateConfig) -> SharedState:
    """A backend for ``config``; the Redis client is imported only when it is used."""
    if config.backend == "redis":
        from cc_relay.state.redis_state import RedisState

        return RedisState(config)
    return MemoryState(replica=replica_id(config))
