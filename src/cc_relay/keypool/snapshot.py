"""What ``explain`` and the admin views may show about a key: never the key itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cc_relay.keypool.key import KeyState

__all__ = ["BucketSnapshot", "KeySnapshot", "snapshot"]


@dataclass(frozen=True, slots=True)
class BucketSnapshot:
    limit: int
    """Per-minute capacity."""
    remaining: float
    """Level now; negative while real usage above the estimate is being paid back."""
    learned: bool
    """The limit came from the upstream's headers rather than config."""


@dataclass(frozen=True, slots=True)
class KeySnapshot:
    fingerprint: str
    """Short hash of the key (``cc_relay.observability.fingerprint``)."""
    priority: int
    weight: float
    in_flight: int
    cooldown_left: float
    """Seconds until a 429 cooldown or a header-reported reset ends; 0 when none."""
    buckets: Mapping[str, BucketSnapshot]
    """By name (``requests``, ``input_tokens``, ``output_tokens``, ``tokens``); a missing
    name means no limit in that dimension."""
    budget_held_for: float = 0.0
    """Seconds until the key's spent budget starts over; 0 when it is not spent."""


def snapshot(state: KeyState, now: float) -> KeySnapshot:
    return KeySnapshot(
        fingerprint=state.fingerprint,
        priority=state.config.priority,
        weight=state.config.weight,
        in_flight=state.in_flight,
        cooldown_left=max(0.0, state.cooldown_until - now),
        budget_held_for=max(0.0, state.budget_until - now),
        buckets={
            name: BucketSnapshot(
                limit=int(bucket.capacity),
                remaining=bucket.level(now),
                learned=bucket.configured is None,
            )
            for name, bucket in state.buckets()
        },
    )
