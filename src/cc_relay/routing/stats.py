"""Per-provider counters that strategies and the admin surfaces read.

Updated by the request path in O(1); read by the latency- and load-based strategies.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Weight of the newest time-to-first-token sample in the moving average.
EWMA_ALPHA = 0.3


@dataclass(slots=True)
class ProviderStats:
    in_flight: int = 0
    requests: int = 0
    failures: int = 0
    ttft_ewma: float | None = None
    """Exponentially weighted time to first token, seconds; None before any sample."""
    cache_read_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    affinity_hits: int = 0

    def observe_ttft(self, seconds: float) -> None:
        if self.ttft_ewma is None:
            self.ttft_ewma = seconds
        else:
            self.ttft_ewma += EWMA_ALPHA * (seconds - self.ttft_ewma)

    def as_dict(self) -> dict[str, object]:
        return {
            "in_flight": self.in_flight,
            "requests": self.requests,
            "failures": self.failures,
            "ttft_ms": round(self.ttft_ewma * 1000, 1) if self.ttft_ewma is not None else None,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "affinity_hits": self.affinity_hits,
        }
