"""The live request log: the last settled requests, each with every attempt.

An event subscriber: ``AttemptFinished`` events wait, by request id, for their
request's ``RequestSettled``; together they become one ``RequestRecord`` at the front of
a ring of ``capacity`` records (2,000 by default: older requests are read back from the
usage ledger, ``admin/history.py``, without their per-attempt detail, so memory holds
only the recent ones a person drills into). Only the Messages API routes are
kept; health checks, inventory and admin calls are not requests to a provider.

Live tails (``StreamRequests``) get each new record through a bounded queue of their
own; one that stops reading loses records (counted), it never slows the subscriber.
``on_record`` (set by the admin when the state is shared) hands each new record to the
fleet's request stream, on the subscriber's task, never on the request path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import msgspec

from cc_relay.events import RECORDED_PATHS, AttemptFinished, Event, RequestSettled

#: Records the ring keeps.
DEFAULT_CAPACITY = 2_000
#: Records a live tail may fall behind before it loses some.
TAIL_QUEUE = 1_000


class RequestRecord(msgspec.Struct, frozen=True):
    """One settled request as the log keeps it; a frozen Struct, like the events it
    holds (built for every request)."""

    seq: int
    """Position in the log, increasing: the paging cursor."""
    settled: RequestSettled
    attempts: tuple[AttemptFinished, ...]
    cost_usd: float
    replica: str = ""
    """The replica that answered it; empty when unknown (rows of the usage ledger)."""


@dataclass(frozen=True, slots=True)
class RequestQuery:
    """Which records a listing or a tail wants; empty fields match everything."""

    provider: str = ""
    model: str = ""
    status_class: str = ""
    key: str = ""
    error_contains: str = ""
    since: float | None = None
    until: float | None = None

    def matches(self, record: RequestRecord) -> bool:
        s = record.settled
        return self.admits(
            provider=s.provider,
            models=(s.client_model, s.upstream_model),
            status=s.status,
            keys=(s.key, *(a.key for a in record.attempts)),
            errors=(s.error, *(a.detail or a.error for a in record.attempts)),
            at=s.at,
        )

    def admits(
        self,
        *,
        provider: str | None,
        models: tuple[str | None, ...],
        status: int,
        keys: tuple[str | None, ...],
        errors: tuple[str | None, ...],
        at: float,
    ) -> bool:
        """The filter itself, over a request's fields wherever it is kept (this log, the
        ledger, the fleet stream): the request's key, then each attempt's; its error,
        then each attempt's."""
        if self.provider and provider != self.provider:
            return False
        if self.model and self.model not in models:
            return False
        if self.status_class and status_class(status) != self.status_class.lower():
            return False
        if self.key and self.key not in keys:
            return False
        if self.error_contains:
            needle = self.error_contains.lower()
            if not any(needle in (text or "").lower() for text in errors):
                return False
        if self.since is not None and at < self.since:
            return False
        return self.until is None or at <= self.until


def status_class(status: int) -> str:
    """``2xx``, ``4xx``, ``5xx``, ..."""
    return f"{status // 100}xx"


class RequestLog:
    """See the module docstring.

    Args:
        cost: USD of a settled request (the holder's ``cost_of``).
        replica: This replica's id, written on every record.
    """

    def __init__(
        self,
        *,
        cost: Callable[[RequestSettled], float],
        replica: str = "",
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self._cost = cost
        self.replica = replica
        self.on_record: Callable[[RequestRecord], None] | None = None
        self._ring: deque[RequestRecord] = deque(maxlen=capacity)
        self._by_id: dict[str, RequestRecord] = {}
        self._attempts: dict[str, list[AttemptFinished]] = {}
        self._tails: set[asyncio.Queue[RequestRecord]] = set()
        self._seq = 0
        self.tail_dropped = 0

    def observe(self, batch: Sequence[Event]) -> None:
        for event in batch:
            if isinstance(event, AttemptFinished):
                self._attempts.setdefault(event.request_id, []).append(event)
            elif isinstance(event, RequestSettled):
                attempts = tuple(self._attempts.pop(event.request_id, ()))
                if event.path in RECORDED_PATHS:
                    self._add(event, attempts)

    def _add(self, event: RequestSettled, attempts: tuple[AttemptFinished, ...]) -> None:
        self._seq += 1
        cost = self._cost(event) if event.provider is not None else 0.0
        record = RequestRecord(self._seq, event, attempts, cost, self.replica)
        if len(self._ring) == self._ring.maxlen:
            self._by_id.pop(self._ring[0].settled.request_id, None)
        self._ring.append(record)
        self._by_id[event.request_id] = record
        if self.on_record is not None:
            self.on_record(record)
        for queue in self._tails:
            try:
                queue.put_nowait(record)
            except asyncio.QueueFull:
                self.tail_dropped += 1

    @property
    def oldest_at(self) -> float | None:
        """When the oldest record kept settled; None while the log is empty."""
        return self._ring[0].settled.at if self._ring else None

    def get(self, request_id: str) -> RequestRecord | None:
        return self._by_id.get(request_id)

    def newest(self, query: RequestQuery, *, before: int | None = None) -> Iterator[RequestRecord]:
        """Matching records, newest first, only those older than the ``before`` cursor."""
        for record in reversed(self._ring):
            if before is not None and record.seq >= before:
                continue
            if query.matches(record):
                yield record

    @contextlib.contextmanager
    def tail(self) -> Iterator[asyncio.Queue[RequestRecord]]:
        """A queue that receives every record added while the block runs."""
        queue: asyncio.Queue[RequestRecord] = asyncio.Queue(TAIL_QUEUE)
        self._tails.add(queue)
        try:
            yield queue
        finally:
            self._tails.discard(queue)
