"""Requests older than the in-memory log, read back from the usage ledger.

The request log keeps the last requests in memory, with every attempt. Past it,
``ListRequests`` and ``GetRequest`` go on in the ledger's SQLite rows: the same
request, minus the per-attempt detail (the ledger keeps the count). Reads run on a
thread, over a read-only connection, so the relay's event loop never waits for the disk.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cc_relay.admin.requests import RequestQuery, RequestRecord
from cc_relay.events import RequestSettled
from cc_relay.ledger import store
from cc_relay.types import Usage

#: Ledger rows read per round trip to the thread while filling a page.
BATCH = 500
#: Rounds a page may take before it is returned short (a filter matching almost nothing).
MAX_ROUNDS = 20
T = TypeVar("T")

#: The prefix of a page token that points into the ledger rather than the memory log.
TOKEN_PREFIX = "ledger:"


def record(row: tuple[object, ...]) -> RequestRecord:
    """A ledger row (``store.request_by_id``'s columns) as a request record."""
    (_, at, request_id, client_key, session, client_model, provider, upstream_model, key,
     stream, status, error, attempts, latency, ttfb, tokens_in, tokens_out, cache_read,
     cache_write, cost) = row  # fmt: skip
    settled = RequestSettled(
        request_id=_text(request_id) or "", method="POST", path="/v1/messages",
        status=_whole(status) or 0, latency=_real(latency) or 0.0, ttfb=_real(ttfb),
        client_model=_text(client_model), provider=_text(provider),
        upstream_model=_text(upstream_model), key=_text(key), client_key=_text(client_key),
        session=_text(session), stream=bool(stream), attempts=_whole(attempts) or 0,
        usage=Usage(_whole(tokens_in), _whole(tokens_out), _whole(cache_read),
                    _whole(cache_write)),
        error=_text(error), at=_real(at) or 0.0,
    )  # fmt: skip
    return RequestRecord(0, settled, (), _real(cost) or 0.0)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _real(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


class LedgerHistory:
    """Reads of the ledger at ``path``; with no ledger, there is nothing older."""

    def __init__(self, path: Path | None) -> None:
        self._path = path

    async def get(self, request_id: str) -> RequestRecord | None:
        row = await self._read(lambda conn: store.request_by_id(conn, request_id))
        return record(row) if row else None

    async def page(
        self, query: RequestQuery, *, before_id: int | None, before_at: float | None, size: int
    ) -> tuple[list[RequestRecord], int | None]:
        """Up to ``size`` matching records, newest first, older than the cursor; and the
        cursor for the next page (None when the ledger has no more)."""
        found: list[RequestRecord] = []
        for _ in range(MAX_ROUNDS):
            rows = await self._read(
                functools.partial(
                    store.requests_before, before_id=before_id, before_at=before_at, limit=BATCH
                )
            )
            for row in rows or ():
                before_id = _whole(row[0])
                candidate = record(row)
                if query.matches(candidate):
                    found.append(candidate)
                    if len(found) == size:
                        return found, before_id
            if not rows or len(rows) < BATCH:
                return found, None
        return found, before_id

    async def _read(self, read: Callable[[sqlite3.Connection], T]) -> T | None:
        path = self._path
        if path is None or not path.exists():
            return None

        def run() -> T:
            conn = store.connect(path, readonly=True)
            try:
                return read(conn)
            finally:
                conn.close()

        try:
            return await asyncio.to_thread(run)
        except sqlite3.Error:
            return None
