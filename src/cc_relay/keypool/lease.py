"""A lease: one request's hold on one key, from acquire until the outcome is known.

Exactly one of these ends a lease's time in flight: the first ``settle`` (the upstream
answered), ``release`` (it never got there) or ``rate_limited`` (it said 429). Later calls
adjust what they can and do nothing else, so error paths may call them freely.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from cc_relay.config import KeyConfig
from cc_relay.keypool import headers as _headers
from cc_relay.keypool.key import KeyState

if TYPE_CHECKING:
    from cc_relay.state.base import SharedLease

__all__ = ["DEFAULT_COOLDOWN", "Lease", "MIN_COOLDOWN", "SPEND_CAP_COOLDOWN"]

DEFAULT_COOLDOWN = 30.0
"""Seconds a key rests after a 429 that names no retry time."""
MIN_COOLDOWN = 1.0
"""Shortest rest after a 429, even when told ``retry-after: 0``: the relay has other keys
and should not send the same one straight back."""
SPEND_CAP_COOLDOWN = 600.0
"""Seconds a key rests after a spend or credit cap; these do not clear within a minute."""

_OPEN, _SETTLED, _RELEASED = 0, 1, 2


class Lease:
    """One request's reservation on one key.

    Attributes:
        key: The key to send, with its configured limits.
        fingerprint: What logs may show instead of the key.
        shared: The same reservation in the fleet's shared buckets (``cc_relay.state``),
            set once they admitted it; None with the memory backend.
    """

    __slots__ = (
        "_clock",
        "_in",
        "_input",
        "_out",
        "_phase",
        "_requests",
        "_state",
        "_total",
        "_wall_clock",
        "fingerprint",
        "key",
        "shared",
    )

    def __init__(
        self,
        state: KeyState,
        estimate: float,
        *,
        clock: Callable[[], float],
        wall_clock: Callable[[], datetime],
    ) -> None:
        self.key: KeyConfig = state.config
        self.fingerprint: str = state.fingerprint
        self._state = state
        self._clock = clock
        self._wall_clock = wall_clock
        # The buckets that hold the reservation; one learned later holds none of it.
        self._requests = state.requests
        self._input = state.input
        self._total = state.total
        self._in = estimate
        self._out = 0.0
        self._phase = _OPEN
        self.shared: SharedLease | None = None

    @property
    def estimate(self) -> float:
        """The input tokens reserved (or settled) so far."""
        return self._in

    def capacities(self) -> tuple[float, float, float, float]:
        """The key's per-minute capacities (requests, input, output, total tokens), 0
        where it has no limit; learned limits included."""
        state = self._state
        return (
            state.requests.capacity if state.requests is not None else 0.0,
            state.input.capacity if state.input is not None else 0.0,
            state.output.capacity if state.output is not None else 0.0,
            state.total.capacity if state.total is not None else 0.0,
        )

    def hold(self, until: float) -> None:
        """Keep the key out of the local pool until clock time ``until``: the shared
        buckets said it is full, which the local ones cannot know."""
        self._state.cool_down(until)

    def __repr__(self) -> str:
        phase = ("open", "settled", "released")[self._phase]
        return f"Lease(fingerprint={self.fingerprint!r}, {phase})"

    def settle(self, input_tokens: int | None, output_tokens: int | None) -> None:
        """Charge what the request really used, once the answer (or stream) is done.

        The input reservation becomes ``input_tokens`` and output is charged to the output
        and total buckets. Each call replaces the previous one's figures instead of adding
        to them, so a stream may settle at its start and again at its end. None keeps the
        figure already charged (the estimate, or 0 for output). Pass the input tokens that
        count against the input limit: ``input_tokens`` plus cache writes.
        """
        if self._phase == _RELEASED:
            return
        now = self._clock()
        new_in = self._in if input_tokens is None else float(max(0, input_tokens))
        new_out = self._out if output_tokens is None else float(max(0, output_tokens))
        more_in, more_out = new_in - self._in, new_out - self._out
        self._in, self._out = new_in, new_out
        if more_in and self._input is not None:
            self._input.take(more_in, now)
        if (more_in or more_out) and self._total is not None:
            self._total.take(more_in + more_out, now)
        output = self._state.output
        if more_out and output is not None:
            output.take(more_out, now)
        if self.shared is not None and (more_in or more_out):
            self.shared.charge(0.0, more_in, more_out, more_in + more_out)
        if self._phase == _OPEN:
            self._phase = _SETTLED
            self._state.in_flight -= 1

    def release(self) -> None:
        """The request never reached the upstream: give back all it reserved.

        Does nothing after ``settle`` (the upstream used the key) or a second time.
        """
        if self._phase != _OPEN:
            return
        now = self._clock()
        if self._requests is not None:
            self._requests.take(-1.0, now)
        if self.shared is not None:
            self.shared.charge(-1.0, -self._in, 0.0, -self._in)
        self._refund_tokens(now)

    def rate_limited(self, retry_after: float | None, *, spend_cap: bool = False) -> float:
        """The upstream answered 429: rest the key.

        Args:
            retry_after: Seconds the upstream asked for (see ``retry_after_seconds``);
                None rests it :data:`DEFAULT_COOLDOWN`.
            spend_cap: The 429 is about spend, credit or quota (see ``is_spend_cap``):
                rest at least :data:`SPEND_CAP_COOLDOWN`.

        The token reservation is given back (the upstream processed nothing), the request
        is not (it did count one). Returns the seconds the key now rests.
        """
        if retry_after is None or not math.isfinite(retry_after):
            wait = SPEND_CAP_COOLDOWN if spend_cap else DEFAULT_COOLDOWN
        else:
            wait = max(MIN_COOLDOWN, retry_after)
            if spend_cap:
                wait = max(wait, SPEND_CAP_COOLDOWN)
        now = self._clock()
        self._state.cool_down(now + wait)
        if self.shared is not None:
            back = self._in if self._phase == _OPEN else 0.0
            self.shared.charge(0.0, -back, 0.0, -back, cool=wait)
        if self._phase == _OPEN:
            self._refund_tokens(now)
        return wait

    def learn(self, headers: Mapping[str, str]) -> None:
        """Tighten the key from the upstream's ``anthropic-ratelimit-*`` headers (see
        :mod:`cc_relay.keypool.headers`); any response, 429s included, may carry them."""
        _headers.learn(self._state, headers, now=self._clock(), wall_now=self._wall_clock())

    def _refund_tokens(self, now: float) -> None:
        if self._input is not None:
            self._input.take(-self._in, now)
        if self._total is not None:
            self._total.take(-self._in, now)
        self._phase = _RELEASED
        self._state.in_flight -= 1
