"""The interface every state backend implements."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cc_relay.health import CircuitBreaker, CircuitState
    from cc_relay.keypool.lease import Lease
    from cc_relay.ledger.budgets import BudgetTracker
    from cc_relay.state.fleet import RedisFleet
    from cc_relay.thinking.ledger import SignatureLedger

__all__ = ["AffinityShare", "CircuitShare", "KeyLimiter", "SharedLease", "SharedState", "StateView"]

Breakers = Callable[[], "Mapping[str, CircuitBreaker]"]


@dataclass(frozen=True, slots=True)
class StateView:
    """The state backend as the read model shows it."""

    backend: str
    """``memory`` or ``redis``."""
    connected: bool
    """Redis answers (always True for memory)."""
    replicas: int
    """Replicas seen alive through the shared state (1 for memory)."""
    fallbacks: int = 0
    """Times this replica fell back to local limits because Redis was unavailable."""
    error: str | None = None
    """Why Redis is unavailable, while it is."""


class SharedLease(Protocol):
    """The shared side of one lease: what ``Lease`` reports after local bookkeeping.

    Calls never wait and never raise: they are queued to the backend.
    """

    def charge(
        self, requests: float, input: float, output: float, total: float, *, cool: float = 0.0
    ) -> None:
        """Take these amounts from the key's shared buckets (negative gives back) and,
        when ``cool`` is positive, rest the key that many seconds for everyone."""


class KeyLimiter(Protocol):
    """Key buckets and cooldowns shared by every replica."""

    async def admit(self, lease: Lease) -> float | None:
        """Reserve the lease's request and estimate in the shared buckets.

        Returns None when admitted (``lease.shared`` is then set), or the seconds until
        the key could take it. Never raises: an unavailable backend admits locally.
        """


class CircuitShare(Protocol):
    """Circuit transitions shared by every replica."""

    async def claim_trial(self, name: str) -> bool:
        """Whether this replica may send the half-open trial to provider ``name``."""


class AffinityShare(Protocol):
    """Where sessions were placed, shared by every replica, with expiry."""

    async def fetch(self, session: str) -> tuple[str, str | None] | None:
        """The provider and key fingerprint ``session`` last succeeded on, if known."""

    def remember(self, session: str, provider: str, key: str | None) -> None:
        """Record a new placement; never waits."""


class SharedState:
    """A state backend. The base class is the memory backend: it shares nothing.

    Args:
        replica: This replica's id in fleet views (``state.fleet.replica_id``).

    Attributes:
        keys: The shared key limiter, or None when nothing is shared (the request
            path then skips it with one comparison).
        circuits: Likewise for the half-open trial.
        affinity: Likewise for session placements.
        fleet: The fleet's request stream and stats snapshots, or None when this
            replica is the whole fleet.
    """

    backend = "memory"
    keys: KeyLimiter | None = None
    circuits: CircuitShare | None = None
    affinity: AffinityShare | None = None
    """Shared circuit transitions, or None when each breaker decides alone."""
    fleet: RedisFleet | None = None

    def __init__(self, *, replica: str) -> None:
        self.replica = replica
        """Stable for the life of the process; see ``replica_id``."""

    def bind(self, breakers: Breakers) -> None:
        """Where this process's breakers are (they change with every reload)."""

    def share_budgets(self, tracker: BudgetTracker, changed: Callable[[str], None]) -> None:
        """Share the spend ``tracker`` counts; ``changed(holder)`` after others' spend
        raised a holder's total."""

    def share_signatures(self, ledger: SignatureLedger) -> None:
        """Share what ``ledger`` records (it lives as long as the process)."""

    def circuit_changed(self, name: str, old: CircuitState, new: CircuitState) -> None:
        """This process's breaker for ``name`` moved; called on the loop, never waits."""

    async def start(self) -> None:
        """Connect; never fails because the backend is unavailable."""

    async def close(self) -> None:
        """Idempotent."""

    def view(self) -> StateView:
        return StateView(self.backend, connected=True, replicas=1)

    async def __aenter__(self) -> SharedState:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
