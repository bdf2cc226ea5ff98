"""The circuit breaker: a per-provider (or per-key) state machine that sheds dead upstreams.

::

    CLOSED ──failure_threshold consecutive failures──> OPEN
      ^                                                 │ cooldown passes (checked lazily,
      │                                                 v  on acquire() or state)
      └──success_threshold successes── HALF_OPEN ──any failure──> OPEN (cooldown restarts)

While CLOSED every request goes through. While OPEN none does, so users are never sent to a
provider that is known to be down. After the cooldown the circuit lets ``half_open_probes``
trial requests through (user traffic or the prober's probes), and their outcome decides.

Outcomes may arrive late: a request taken while CLOSED can finish after the circuit opened
and half-opened again. Callers that read :attr:`CircuitBreaker.generation` right after
:meth:`CircuitBreaker.acquire` and pass it back with the outcome have stale outcomes
ignored, so a straggler never closes, reopens or frees a trial slot it does not own.

The breaker is not thread-safe: like everything on the request path it is used from the
event loop only, and every call is a few attribute updates with no awaits.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from typing import TypedDict

from cc_relay.health.config import BreakerSettings

log = logging.getLogger("cc_relay.health")


class CircuitState(enum.Enum):
    """Where a circuit stands; the values are what logs, metrics and the admin API show."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


OnChange = Callable[[str, CircuitState, CircuitState], None]
"""Called as ``on_change(name, old, new)`` on every state transition."""


class BreakerSnapshot(TypedDict):
    """A breaker's state for the admin API, the TUI and metrics."""

    name: str
    state: str
    consecutive_failures: int
    opened_at: float | None
    retry_in: float | None
    half_open_in_flight: int
    generation: int


_DEFAULT_SETTINGS = BreakerSettings()


class CircuitBreaker:
    """One circuit: counts consecutive failures, opens, cools down and tries again.

    Args:
        settings: thresholds and cooldown; shared, immutable.
        clock: monotonic seconds; injected so tests can move time by hand.
        name: what logs and ``on_change`` call this circuit (a provider, or provider/key).
        on_change: called after every transition, with the new state already in place.
            Its exceptions are logged and swallowed: a metrics bug must not fail requests.
    """

    __slots__ = (
        "_cause",
        "_clock",
        "_failures",
        "_generation",
        "_in_flight",
        "_name",
        "_on_change",
        "_opened_at",
        "_settings",
        "_state",
        "_successes",
    )

    def __init__(
        self,
        settings: BreakerSettings = _DEFAULT_SETTINGS,
        *,
        clock: Callable[[], float] = time.monotonic,
        name: str = "",
        on_change: OnChange | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._name = name
        self._on_change = on_change
        self._state = CircuitState.CLOSED
        self._generation = 0
        self._failures = 0
        self._successes = 0
        self._in_flight = 0
        self._opened_at: float | None = None
        self._cause: str | None = None

    def __repr__(self) -> str:
        return (
            f"<CircuitBreaker {self._name!r} {self._state.value} "
            f"failures={self._failures} generation={self._generation}>"
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def settings(self) -> BreakerSettings:
        return self._settings

    def retune(self, settings: BreakerSettings) -> None:
        """Take new thresholds from a reloaded config, keeping the state: an open
        circuit stays open, and its cooldown is measured with the new setting."""
        self._settings = settings

    @property
    def cause(self) -> str | None:
        """What the last recorded failure was, for the transition it caused."""
        return self._cause

    @property
    def generation(self) -> int:
        """Bumped on every transition; pass it back with an outcome to drop stragglers."""
        return self._generation

    @property
    def state(self) -> CircuitState:
        """The current state; reading it moves OPEN to HALF_OPEN once the cooldown passed."""
        if self._state is CircuitState.OPEN and self._cooled():
            self._move(CircuitState.HALF_OPEN)
        return self._state

    def allows(self) -> bool:
        """Whether :meth:`acquire` would let a request through now; changes nothing.

        The router uses it to skip providers without spending a trial slot.
        """
        if self._state is CircuitState.CLOSED:
            return True
        if self._state is CircuitState.OPEN:
            return self._cooled()
        return self._in_flight < self._settings.half_open_probes

    def acquire(self) -> bool:
        """Take a slot for one request; ``False`` means do not send it to this provider.

        A closed circuit always says yes, without reading the clock. An open circuit says
        no until the cooldown has passed, then turns half-open and hands out the first
        trial slot. A half-open circuit says yes while fewer than ``half_open_probes``
        trials are in flight. Every ``True`` must be followed by exactly one of
        :meth:`success`, :meth:`failure` or :meth:`cancelled`.
        """
        if self._state is CircuitState.CLOSED:
            return True
        if self._state is CircuitState.OPEN:
            if not self._cooled():
                return False
            self._move(CircuitState.HALF_OPEN)
        if self._in_flight >= self._settings.half_open_probes:
            return False
        self._in_flight += 1
        return True

    def success(self, *, generation: int | None = None) -> None:
        """Record a healthy outcome.

        Closed: the failure run is broken. Half-open: a trial passed, and enough of them
        close the circuit. Open: ignored, because only trial requests after the cooldown
        decide whether a provider is back.

        Args:
            generation: :attr:`generation` read right after ``acquire``; when it no longer
                matches, the outcome belongs to an earlier state and is dropped.
        """
        if generation is not None and generation != self._generation:
            return
        if self._state is CircuitState.CLOSED:
            self._failures = 0
        elif self._state is CircuitState.HALF_OPEN:
            self._failures = 0
            if self._in_flight:
                self._in_flight -= 1
            self._successes += 1
            if self._successes >= self._settings.success_threshold:
                self._move(CircuitState.CLOSED)

    def failure(self, *, generation: int | None = None, cause: str | None = None) -> None:
        """Record an unhealthy outcome (see ``counts_as_failure`` for which ones are).

        Closed: one more consecutive failure, and at the threshold the circuit opens.
        Half-open: the trial failed, so the circuit opens again and the cooldown restarts.
        Open: ignored, so stragglers cannot keep pushing the retry time back.

        Args:
            generation: as for :meth:`success`.
            cause: what went wrong, in words; ``on_change`` callers read it as :attr:`cause`.
        """
        if generation is not None and generation != self._generation:
            return
        self._cause = cause
        if self._state is CircuitState.CLOSED:
            self._failures += 1
            if self._failures >= self._settings.failure_threshold:
                self._move(CircuitState.OPEN)
        elif self._state is CircuitState.HALF_OPEN:
            self._failures += 1
            self._move(CircuitState.OPEN)

    def cancelled(self, *, generation: int | None = None) -> None:
        """Record a request the client abandoned: it says nothing about the provider.

        It only gives back a half-open trial slot, so the next request can try instead.

        Args:
            generation: as for :meth:`success`.
        """
        if generation is not None and generation != self._generation:
            return
        if self._state is CircuitState.HALF_OPEN and self._in_flight:
            self._in_flight -= 1

    def reset(self, *, cause: str = "reset by the operator") -> None:
        """Close the circuit now, whatever its state; outcomes of attempts that started
        before are ignored (the generation moves)."""
        self._cause = cause
        if self._state is CircuitState.CLOSED:
            self._failures = 0
        else:
            self._move(CircuitState.CLOSED)

    def trip(self, remaining: float, *, cause: str) -> None:
        """Open the circuit because another replica opened it (``cc_relay.state``): it
        lets a trial through in ``remaining`` seconds. An open circuit is left alone."""
        if self._state is CircuitState.OPEN:
            return
        self._cause = cause
        self._move(CircuitState.OPEN)
        self._opened_at = self._clock() - self._settings.cooldown + max(0.0, remaining)

    def retry_at(self) -> float | None:
        """Clock time from which an open circuit lets a trial through; ``None`` otherwise.

        It can lie in the past: the transition to HALF_OPEN happens on the next
        :meth:`acquire` or read of :attr:`state`.
        """
        if self._state is CircuitState.OPEN and self._opened_at is not None:
            return self._opened_at + self._settings.cooldown
        return None

    def snapshot(self) -> BreakerSnapshot:
        """The breaker as plain data; like :attr:`state`, it applies a due transition."""
        state = self.state
        retry_at = self.retry_at()
        return BreakerSnapshot(
            name=self._name,
            state=state.value,
            consecutive_failures=self._failures,
            opened_at=self._opened_at,
            retry_in=None if retry_at is None else max(0.0, retry_at - self._clock()),
            half_open_in_flight=self._in_flight,
            generation=self._generation,
        )

    def _cooled(self) -> bool:
        opened_at = self._opened_at
        return opened_at is None or self._clock() >= opened_at + self._settings.cooldown

    def _move(self, new: CircuitState) -> None:
        old = self._state
        self._state = new
        self._generation += 1
        self._in_flight = 0
        self._successes = 0
        if new is CircuitState.OPEN:
            self._opened_at = self._clock()
        elif new is CircuitState.CLOSED:
            self._failures = 0
            self._opened_at = None
        if self._on_change is not None:
            try:
                self._on_change(self._name, old, new)
            except Exception:
                log.warning(
                    "health: on_change callback failed for circuit %s", self._name, exc_info=True
                )
