"""Per-provider counters that strategies and the read model read.

``in_flight`` and the time-to-first-token average are kept by the attempt's own
bookkeeping (``cc_relay.dispatch.attempt``), because least-loaded and latency-based
routing must see them move at once. Everything else is written by the event-stream
subscriber ``observe`` below, off the request path.
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cc_relay.events import AttemptFinished, Event, RequestSettled

#: Weight of the newest time-to-first-token sample in the moving average.
EWMA_ALPHA = 0.3
#: Seconds the latency window and the request rate look back.
WINDOW_SECONDS = 60.0
#: Samples the window keeps at most, whatever the rate.
WINDOW_SAMPLES = 4096
#: Upper bounds (seconds) of the buckets a window is counted in for the fleet view:
#: 1 ms to about 14 minutes, each a quarter above the last, so that a percentile read
#: from replicas' added-up counts is within 25% of the exact one.
HISTOGRAM_BOUNDS: tuple[float, ...] = tuple(round(0.001 * 1.25**i, 6) for i in range(62))


class Window:
    """Timed samples over the last ``WINDOW_SECONDS``, for percentiles and rates.

    Adding is O(1); reading sorts what is in the window, which only the read model does.
    """

    __slots__ = ("_clock", "_samples")

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._samples: deque[tuple[float, float]] = deque(maxlen=WINDOW_SAMPLES)
        self._clock = clock

    def add(self, value: float) -> None:
        self._samples.append((self._clock(), value))

    def recent(self) -> list[float]:
        since = self._clock() - WINDOW_SECONDS
        while self._samples and self._samples[0][0] < since:
            self._samples.popleft()
        return [value for _, value in self._samples]

    def percentiles(self, *quantiles: float) -> tuple[float | None, ...]:
        values = sorted(self.recent())
        if not values:
            return tuple(None for _ in quantiles)
        last = len(values) - 1
        return tuple(values[min(last, int(q * len(values)))] for q in quantiles)

    def histogram(self) -> tuple[int, ...]:
        """The window's samples counted per :data:`HISTOGRAM_BOUNDS` bucket (one more
        count for those above the last bound): what replicas add up, since percentiles
        themselves cannot be combined."""
        values = sorted(self.recent())
        if not values:
            return ()
        edges = [bisect.bisect_right(values, bound) for bound in HISTOGRAM_BOUNDS]
        edges.append(len(values))
        return tuple(b - a for a, b in zip([0, *edges[:-1]], edges, strict=True))

    def rate(self) -> float:
        """Samples per second over the window."""
        return len(self.recent()) / WINDOW_SECONDS


@dataclass(slots=True)
class ProviderStats:
    in_flight: int = 0
    requests: int = 0
    """Requests this provider answered."""
    errors: int = 0
    """Attempts on this provider that failed (any phase, error statuses included)."""
    ttft_ewma: float | None = None
    """Exponentially weighted time to first token, seconds; None before any sample."""
    cache_read_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    affinity_hits: int = 0
    latency: Window = field(default_factory=Window)
    """Seconds per answered request, arrival to last byte."""
    ttfb: Window = field(default_factory=Window)
    """Seconds to the first byte, per answered request."""

    def observe_ttft(self, seconds: float) -> None:
        if self.ttft_ewma is None:
            self.ttft_ewma = seconds
        else:
            self.ttft_ewma += EWMA_ALPHA * (seconds - self.ttft_ewma)


def observe(stats: Callable[[], Mapping[str, ProviderStats]], batch: Sequence[Event]) -> None:
    """The statistics subscriber: counts, tokens and latency windows from events.

    ``stats`` is read per batch, so after a reload the counters of the current Runtime
    move (a provider that survived a reload keeps the same ProviderStats object).
    """
    by_name = stats()
    for event in batch:
        if isinstance(event, AttemptFinished):
            entry = by_name.get(event.provider)
            if entry is None:
                continue
            if event.error is not None and event.error != "cancelled":
                entry.errors += 1
        elif isinstance(event, RequestSettled) and event.provider is not None:
            entry = by_name.get(event.provider)
            if entry is None or event.status >= 400:
                continue
            usage = event.usage
            entry.requests += 1
            entry.input_tokens += usage.input_tokens or 0
            entry.output_tokens += usage.output_tokens or 0
            entry.cache_read_tokens += usage.cache_read_input_tokens or 0
            entry.latency.add(event.latency)
            if event.ttfb is not None:
                entry.ttfb.add(event.ttfb)
