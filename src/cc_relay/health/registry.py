"""One breaker per name, made on first use, all sharing settings, clock and callback.

Names are up to the caller: a provider name for provider-wide circuits, and something like
``"<provider>/<key fingerprint>"`` for per-key ones (never the key itself: names end up in
logs and the admin API).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from cc_relay.health.circuit import BreakerSnapshot, CircuitBreaker, OnChange
from cc_relay.health.config import BreakerSettings

_DEFAULT_SETTINGS = BreakerSettings()


class BreakerRegistry:
    """The breakers of one relay, by name.

    Args:
        settings: given to every breaker the registry makes.
        clock: monotonic seconds, shared so all circuits agree on time.
        on_change: given to every breaker; called as ``on_change(name, old, new)``.
    """

    __slots__ = ("_breakers", "_clock", "_on_change", "_settings")

    def __init__(
        self,
        settings: BreakerSettings = _DEFAULT_SETTINGS,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: OnChange | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._on_change = on_change
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str) -> CircuitBreaker:
        """The breaker called ``name``, made closed on first use."""
        breaker = self._breakers.get(name)
        if breaker is None:
            breaker = self._breakers[name] = CircuitBreaker(
                self._settings, clock=self._clock, name=name, on_change=self._on_change
            )
        return breaker

    def __contains__(self, name: object) -> bool:
        return name in self._breakers

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter(list(self._breakers.values()))

    def __len__(self) -> int:
        return len(self._breakers)

    def snapshot(self) -> dict[str, BreakerSnapshot]:
        """Every breaker's snapshot, by name, in creation order."""
        return {name: breaker.snapshot() for name, breaker in list(self._breakers.items())}
