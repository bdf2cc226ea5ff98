"""Provider health: circuit breakers that shed dead upstreams, and a prober that revives them.

``config`` holds the settings and their defaults, ``circuit`` the breaker state machine,
``outcome`` the rule for which upstream outcomes count as failures, and ``prober`` the
background task that probes open circuits.
"""

from cc_relay.health.circuit import (
    BreakerSnapshot,
    CircuitBreaker,
    CircuitState,
    OnChange,
)
from cc_relay.health.config import (
    DEFAULT_COOLDOWN,
    DEFAULT_FAILURE_THRESHOLD,
    DEFAULT_HALF_OPEN_PROBES,
    DEFAULT_PROBE_INTERVAL,
    DEFAULT_PROBE_TIMEOUT,
    DEFAULT_SUCCESS_THRESHOLD,
    BreakerSettings,
)
from cc_relay.health.outcome import counts_as_failure
from cc_relay.health.prober import HealthProber, ProbeTarget

__all__ = [
    "BreakerSettings",
    "BreakerSnapshot",
    "CircuitBreaker",
    "CircuitState",
    "DEFAULT_COOLDOWN",
    "DEFAULT_FAILURE_THRESHOLD",
    "DEFAULT_HALF_OPEN_PROBES",
    "DEFAULT_PROBE_INTERVAL",
    "DEFAULT_PROBE_TIMEOUT",
    "DEFAULT_SUCCESS_THRESHOLD",
    "HealthProber",
    "OnChange",
    "ProbeTarget",
    "counts_as_failure",
]
