"""The writer thread: the only code that writes the ledger's database.

The event loop hands rows over with :meth:`LedgerWriter.put` (a lock and a list append)
and never waits for the disk. The thread commits at most one transaction per
``interval`` seconds, or sooner when ``batch`` rows are waiting, so a crash loses at
most the last batch. Once a day it prunes rows older than the retention.

When a write fails (disk full, the file locked by another process or read-only, the
directory gone) the relay keeps serving: the failure is logged once, the rows stay
queued (up to ``backlog`` of them; past that the oldest are dropped and counted), and
the next round tries again, re-opening the database if need be.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cc_relay.ledger import store

log = logging.getLogger("cc_relay.ledger")

#: Seconds between transactions at most; also how much a crash may lose.
DEFAULT_INTERVAL = 1.0
#: Rows that make the thread commit without waiting for the interval.
DEFAULT_BATCH = 500
#: Rows kept for a retry while writes fail; beyond this the oldest are dropped.
DEFAULT_BACKLOG = 100_000
#: Seconds between retention prunes.
PRUNE_EVERY = 24 * 3600.0
_DAY = 24 * 3600.0

Signature = tuple[bytes, str, float]


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the database held at start-up, for the budgets and the signature ledger."""

    daily: dict[str, float]
    monthly: dict[str, float]
    signatures: list[Signature]


class LedgerWriter:
    """See the module docstring. ``open`` (blocking: call it in a thread) starts it;
    ``close`` (blocking too) writes what is queued and stops it. Not reusable.

    Args:
        path: the database file.
        retention_days: request rows older than this are pruned.
        interval, batch, backlog: see the module constants.
        clock: Unix seconds.
    """

    def __init__(
        self,
        path: Path,
        *,
        retention_days: int,
        interval: float = DEFAULT_INTERVAL,
        batch: int = DEFAULT_BATCH,
        backlog: int = DEFAULT_BACKLOG,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.retention = retention_days * _DAY
        self.interval = interval
        self.batch = batch
        self.backlog = backlog
        self._clock = clock
        self._cond = threading.Condition()
        self._rows: list[store.Row] = []
        self._signatures: list[Signature] = []
        self._retry_rows = 0
        """Of the queued rows, those a failed write put back."""
        self._stop = False
        self._flushes = 0
        """Flushes asked for; the thread skips the interval while it is ahead of ``_flushed``."""
        self._flushed = 0
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._last_prune = 0.0
        self.written = 0
        """Rows committed since start."""
        self.dropped = 0
        """Rows lost because writes kept failing and the backlog was full."""
        self.error: str | None = None
        """The failure that is stopping writes now; None while they work."""

    # -- the event loop's side --------------------------------------------------------

    def put(self, row: store.Row) -> None:
        with self._cond:
            self._rows.append(row)
            # The first pending row wakes the thread, which then waits out the interval
            # (or a full batch): an idle thread would otherwise sleep until the next prune.
            if len(self._rows) == 1 or len(self._rows) >= self.batch:
                self._cond.notify()

    def put_signature(self, signature: Signature) -> None:
        with self._cond:
            self._signatures.append(signature)
            if len(self._signatures) == 1:
                self._cond.notify()

    @property
    def unwritten(self) -> int:
        """Rows waiting for a retry because a write failed (the metric to alert on)."""
        return self._retry_rows

    # -- lifecycle --------------------------------------------------------------------

    def open(self, *, day_start: float, month_start: float) -> Loaded:
        """Open (creating and migrating) the database, load what the relay needs from
        it, prune, and start the thread. A database that cannot be opened is logged and
        retried by the thread; the relay starts with nothing loaded."""
        if self._thread is not None:
            raise RuntimeError("ledger: writer already started")
        loaded = Loaded({}, {}, [])
        try:
            conn = self._connect()
            now = self._clock()
            loaded = Loaded(
                store.spend_since(conn, day_start),
                store.spend_since(conn, month_start),
                store.signatures(conn, now=now),
            )
            self._prune(conn, now)
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
        self._thread = threading.Thread(target=self._run, name="cc-relay-ledger", daemon=True)
        self._thread.start()
        return loaded

    def flush(self, timeout: float = 10.0) -> bool:
        """Write what is queued now, without waiting for the interval; True once it is
        written (False on a timeout, or while writes fail). Blocking."""
        with self._cond:
            self._flushes += 1
            wanted = self._flushes
            self._cond.notify_all()
            deadline = time.monotonic() + timeout
            while self._flushed < wanted and self._thread is not None and self._thread.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return not self._rows and self.error is None

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (one last try) and stop the thread. Idempotent."""
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- the thread -------------------------------------------------------------------

    def _run(self) -> None:
        last_commit = 0.0
        while True:
            with self._cond:
                while not self._stop and not (self._rows or self._signatures):
                    if self._flushes > self._flushed:
                        break  # nothing to write: the flush is done once we report it
                    self._cond.wait(self._until_prune())
                    if not (self._rows or self._signatures):
                        break  # woken to prune, or for a flush
                deadline = last_commit + self.interval
                while not self._stop and len(self._rows) < self.batch:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._flushes > self._flushed:
                        break
                    self._cond.wait(left)
                rows, self._rows = self._rows, []
                signatures, self._signatures = self._signatures, []
                stopping, flushes = self._stop, self._flushes
            if rows or signatures:
                self._write(rows, signatures)
                last_commit = time.monotonic()
            self._maybe_prune()
            with self._cond:
                self._flushed = flushes
                self._cond.notify_all()
            if stopping:
                return
            if self.error is not None:
                # Back off while the disk refuses, but never longer than one interval.
                with self._cond:
                    if not self._stop:
                        self._cond.wait(self.interval)

    def _until_prune(self) -> float:
        return max(1.0, self._last_prune + PRUNE_EVERY - time.monotonic())

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = store.connect(self.path)
        return self._conn

    def _write(self, rows: list[store.Row], signatures: list[Signature]) -> None:
        try:
            store.write(self._connect(), rows, signatures)
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)
            self._requeue(rows, signatures)
            return
        self.written += len(rows)
        if self.error is not None:
            log.warning(
                "ledger: writes to %s work again; %d queued row(s) written", self.path, len(rows)
            )
            self.error = None
        with self._cond:
            self._retry_rows = 0

    def _requeue(self, rows: list[store.Row], signatures: list[Signature]) -> None:
        with self._cond:
            queued = rows + self._rows
            overflow = len(queued) - self.backlog
            if overflow > 0:
                self.dropped += overflow
                queued = queued[overflow:]
            self._rows = queued
            self._retry_rows = len(queued)
            self._signatures = (signatures + self._signatures)[-self.backlog :]

    def _failed(self, exc: BaseException) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None  # re-open next time: the file may have been replaced
        message = f"{type(exc).__name__}: {exc}"
        if self.error is None:
            log.warning(
                "ledger: cannot write %s (%s); the relay keeps serving and retries, "
                "counting the rows not yet written",
                self.path,
                message,
            )
        self.error = message

    def _maybe_prune(self) -> None:
        if time.monotonic() - self._last_prune < PRUNE_EVERY:
            return
        try:
            self._prune(self._connect(), self._clock())
        except (sqlite3.Error, OSError) as exc:
            self._failed(exc)

    def _prune(self, conn: sqlite3.Connection, now: float) -> None:
        self._last_prune = time.monotonic()
        deleted = store.prune(conn, before=now - self.retention, now=now)
        if deleted:
            log.info("ledger: pruned %d row(s) older than the retention", deleted)
