"""Health settings: how eagerly a circuit opens and how it finds its way back.

Defaults follow the usual breaker shape (and omarluq/cc-relay's ``internal/health``):
five consecutive failures open a circuit for thirty seconds, after which one trial request
decides whether it closes again. The prober looks at open circuits every fifteen seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cc_relay.config.provider import (
    DEFAULT_COOLDOWN,
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_HALF_OPEN_PROBES,
    DEFAULT_PROBE_INTERVAL,
)

__all__ = [
    "BreakerSettings",
    "DEFAULT_COOLDOWN",
    "DEFAULT_FAILURE_THRESHOLD",
    "DEFAULT_HALF_OPEN_PROBES",
    "DEFAULT_PROBE_INTERVAL",
    "DEFAULT_PROBE_TIMEOUT",
    "DEFAULT_SUCCESS_THRESHOLD",
]

#: Successful trial requests that close a half-open circuit.
DEFAULT_SUCCESS_THRESHOLD = 1
#: Seconds one probe may take before it counts as a failure.
DEFAULT_PROBE_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """How one circuit breaker behaves; immutable, and checked when it is built.

    Raises:
        ValueError: naming every field that is out of range, so a config error is fixed
            in one pass.
    """

    failure_threshold: int = DEFAULT_FAILURE_THRESHOLD
    """Consecutive failures in the closed state that open the circuit."""
    cooldown: float = DEFAULT_COOLDOWN
    """Seconds the circuit stays open before a trial request may go through."""
    half_open_probes: int = DEFAULT_HALF_OPEN_PROBES
    """Trial requests allowed in flight at once while half-open."""
    success_threshold: int = DEFAULT_SUCCESS_THRESHOLD
    """Successful trial requests needed to close a half-open circuit."""

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be an integer >= 1, got {value!r}"
            for name, value in (
                ("failure_threshold", self.failure_threshold),
                ("half_open_probes", self.half_open_probes),
                ("success_threshold", self.success_threshold),
            )
            if isinstance(value, bool) or not isinstance(value, int) or value < 1
        ]
        cooldown = self.cooldown
        if (
            isinstance(cooldown, bool)
            or not isinstance(cooldown, int | float)
            or not math.isfinite(cooldown)
            or cooldown < 0
        ):
            problems.append(f"cooldown must be a finite number >= 0, got {cooldown!r}")
        if problems:
            raise ValueError("health: invalid breaker settings: " + "; ".join(problems))
