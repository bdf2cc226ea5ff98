"""The default backend: this process's own state, as before there was a choice."""

from __future__ import annotations

from cc_relay.state.base import SharedState

__all__ = ["MemoryState"]


class MemoryState(SharedState):
    """Nothing shared: the key pool's buckets and the breakers are the whole truth."""
