"""The pool: which of a provider's keys a request should use, and when one will be free."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime

from cc_relay.config import KeyConfig
from cc_relay.keypool.key import KeyState
from cc_relay.keypool.lease import Lease
from cc_relay.keypool.selectors import Selector, create
from cc_relay.keypool.snapshot import KeySnapshot, snapshot
from cc_relay.observability.redact import fingerprint

__all__ = ["DEFAULT_SELECTION", "KeyPool"]

DEFAULT_SELECTION = "least-loaded"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KeyPool:
    """A provider's keys, paced so that none of them meets a 429.

    Keys with a higher ``priority`` are used while any of them can take the request;
    lower tiers are overflow. Within a tier the ``selection`` policy picks among the keys
    that can take the request now. All calls are synchronous, cost O(keys) and read the
    injected clock, never the real one.

    Args:
        keys: The keys; a key listed twice counts once (its limits are the upstream's,
            not ours to double).
        selection: ``least-loaded``, ``round-robin``, ``random`` or ``weighted``.
        clock: Monotonic seconds.
        rng: Randomness for ``random`` and ``weighted``.
        wall_clock: Wall-clock time, for the RFC 3339 reset times in headers.
        previous: The pool this one replaces (a config reload): a key it also had, by
            fingerprint, keeps its state (see ``KeyState.reconfigure``).

    Raises:
        UnknownSelection: ``selection`` is not a known policy.
    """

    def __init__(
        self,
        keys: Sequence[KeyConfig],
        *,
        selection: str = DEFAULT_SELECTION,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        wall_clock: Callable[[], datetime] = _utc_now,
        previous: KeyPool | None = None,
    ) -> None:
        rng = rng or random.Random()
        create(selection, rng)  # fail on a bad name even for an empty pool
        now = clock()
        kept = previous._by_fingerprint if previous is not None else {}
        states: list[KeyState] = []
        seen: set[str] = set()
        for config in keys:
            if config.key not in seen:
                seen.add(config.key)
                state = kept.get(fingerprint(config.key))
                if state is None:
                    state = KeyState(config, index=len(states), now=now)
                else:
                    state.reconfigure(config, index=len(states), now=now)
                states.append(state)
        self._states = tuple(states)
        priorities = sorted({s.config.priority for s in states}, reverse=True)
        self._tiers: tuple[tuple[tuple[KeyState, ...], Selector], ...] = tuple(
            (tuple(s for s in states if s.config.priority == p), create(selection, rng))
            for p in priorities
        )
        self._by_fingerprint: dict[str, KeyState] = {s.fingerprint: s for s in states}
        self._clock = clock
        self._wall_clock = wall_clock
        self._leases: int = previous._leases if previous is not None else 0

    def __len__(self) -> int:
        return len(self._states)

    def acquire(
        self,
        estimated_input_tokens: int,
        *,
        prefer: str | None = None,
        exclude: Collection[str] = (),
    ) -> Lease | None:
        """Reserve a key for one request, or None when no key can take it now.

        A key can take it when it is not cooling down, its request bucket holds one
        request, its input and total token buckets hold the estimate and its output
        bucket is out of debt. ``prefer`` (a fingerprint) names a key to use if it can
        take the request, whatever the policy says: session affinity keeps a session on
        the key whose prompt cache it warmed. ``exclude`` (fingerprints) are keys this
        request already tried. The lease holds one request and the estimate until
        ``settle``, ``release`` or ``rate_limited``.
        """
        now = self._clock()
        estimate = float(max(0, estimated_input_tokens))
        if prefer is not None and prefer not in exclude:
            state = self._by_fingerprint.get(prefer)
            if state is not None and state.ready_at(estimate) <= now:
                return self._lease(state, estimate, now)
        for keys, selector in self._tiers:
            chosen = selector.pick(keys, estimate, now, exclude)
            if chosen is not None:
                return self._lease(chosen, estimate, now)
        return None

    def _lease(self, state: KeyState, estimate: float, now: float) -> Lease:
        state.reserve(estimate, now)
        self._leases += 1
        state.last_used = self._leases
        return Lease(state, estimate, clock=self._clock, wall_clock=self._wall_clock)

    def hold_until(self, fingerprint: str, until: float) -> bool:
        """Keep a key out of use until clock time ``until`` (its budget is spent), or
        back in use with ``-inf``. False when the pool has no such key."""
        state = self._by_fingerprint.get(fingerprint)
        if state is None:
            return False
        state.budget_until = until
        return True

    def available_at(self) -> float:
        """Clock time at which some key can take a one-token request: now if one already
        can, ``math.inf`` for an empty pool. Waiting until then and calling ``acquire(1)``
        succeeds, unless something else took the key meanwhile."""
        now = self._clock()
        ready = min((s.ready_at(1.0) for s in self._states), default=math.inf)
        return ready if ready > now else now

    def snapshot(self) -> list[KeySnapshot]:
        """Each key's state in config order, identified by fingerprint only."""
        now = self._clock()
        return [snapshot(s, now) for s in self._states]
