"""The database: migrations, the writer thread's batching and failures, queries."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cc_relay.events import RequestSettled
from cc_relay.ledger import query, store
from cc_relay.ledger.recorder import error_kind, session_id
from cc_relay.ledger.writer import LedgerWriter
from cc_relay.types import Usage


def _row(
    at: float, provider: str = "p", cost: float | None = 0.5, status: int = 200
) -> list[object]:
    return [at, "r", "c1", "alice", "s1", "m", provider, "m-up", "k1", 0, status, None, None,
            1, 0.2, None, 100, 10, 1_000, 0, cost, "config:pricing"]  # fmt: skip


def test_store_migrates_once_and_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "usage.db"
    conn = store.connect(path)
    assert store.version(conn) == store.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    conn = store.connect(path)  # reopening applies nothing
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    conn.execute("INSERT INTO schema_version VALUES (99)")
    conn.close()
    with pytest.raises(sqlite3.DatabaseError, match="newer"):
        store.connect(path)


def test_writer_batches_into_few_transactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = LedgerWriter(tmp_path / "u.db", retention_days=90, interval=0.2, batch=1_000)
    writer.open(day_start=0, month_start=0)
    commits: list[int] = []
    real = store.write

    def counting(*args: Any) -> None:
        commits.append(threading.get_ident())
        real(*args)

    monkeypatch.setattr(store, "write", counting)
    for i in range(300):
        writer.put(_row(time.time() + i))
    time.sleep(0.5)
    assert writer.flush()
    writer.close()
    # All on the writer thread, in one or two transactions (the interval may split them).
    assert writer.written == 300 and 1 <= len(commits) <= 2
    assert threading.get_ident() not in commits


def test_writer_commits_a_lone_row_within_its_interval(tmp_path: Path) -> None:
    # A quiet relay: one request, then nothing. The row must reach the disk within the
    # interval, not wait for a full batch, a flush or the next prune.
    writer = LedgerWriter(tmp_path / "u.db", retention_days=90, interval=0.2, batch=1_000)
    writer.open(day_start=0, month_start=0)
    try:
        writer.put(_row(time.time()))
        deadline = time.monotonic() + 2.0
        while writer.written < 1:
            assert time.monotonic() < deadline, "the row waited for a batch or a flush"
            time.sleep(0.02)
    finally:
        writer.close()


def test_writer_sustains_thousands_of_rows_a_second(tmp_path: Path) -> None:
    writer = LedgerWriter(tmp_path / "u.db", retention_days=90)
    writer.open(day_start=0, month_start=0)
    started = time.perf_counter()
    for i in range(20_000):
        writer.put(_row(float(i)))
    assert writer.flush(timeout=30)
    rate = 20_000 / (time.perf_counter() - started)
    writer.close()
    assert rate > 5_000, rate


def test_writer_keeps_rows_when_writes_fail_and_drops_past_the_backlog(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    writer = LedgerWriter(blocker / "u.db", retention_days=90, interval=0.05, backlog=5)
    assert writer.open(day_start=0, month_start=0).daily == {}
    for i in range(8):
        writer.put(_row(float(i)))
    assert not writer.flush(timeout=1)
    assert (writer.unwritten, writer.dropped) == (5, 3) and "Error" in (writer.error or "")
    writer.close()


def test_writer_prunes_rows_past_the_retention_and_loads_spend(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    now = time.time()
    conn = store.connect(path)
    store.write(conn, [_row(now - 91 * 86400), _row(now - 3600), _row(now - 60)],
                [(b"h1", "zai", now + 60), (b"h0", "zai", now - 1)])  # fmt: skip
    conn.close()
    writer = LedgerWriter(path, retention_days=90)
    loaded = writer.open(day_start=now - 1800, month_start=now - 7200)
    writer.close()
    assert loaded.daily == {"client:c1": 0.5, "key:p:k1": 0.5}
    assert loaded.monthly == {"client:c1": 1.0, "key:p:k1": 1.0}
    assert [s[:2] for s in loaded.signatures] == [(b"h1", "zai")]
    conn = store.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0] == 2


def test_query_groups_and_filters(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    day = 1_750_000_000.0
    conn = store.connect(path)
    store.write(conn, [_row(day, "a"), _row(day + 86400, "a", None), _row(day + 60, "b", 1.0, 529)],
                [])  # fmt: skip
    rows = query.usage(path, group_by="provider")
    assert [(r.group, r.requests, r.errors, r.cost_usd, r.unpriced) for r in rows] == [
        ("a", 2, 0, 0.5, 1), ("b", 1, 1, 1.0, 0)]  # fmt: skip
    assert rows[0].cache_hit_rate == 2_000 / 2_200
    days = query.usage(conn, group_by="day", since=day - 1, until=day + 3600)
    assert [(r.group, r.requests) for r in days] == [("2025-06-15", 2)]
    only = query.usage(path, group_by="client", filters={"provider": "b"})
    assert [(r.group, r.requests) for r in only] == [("alice", 1)]
    assert query.usage(tmp_path / "none.db") == []
    with pytest.raises(ValueError, match="group by"):
        query.usage(path, group_by="colour")


@pytest.mark.parametrize(
    ("raw", "session"),
    [
        ("5e2f3c1a-0b7d", "5e2f3c1a-0b7d"),
        ('{"device_id":"d","account_uuid":"","session_id":"abc-1"}', "abc-1"),
        ("user_0123abcd_account__session_9f8e-7d6c", "9f8e-7d6c"),
        ("{not json", "{not json"),
        (None, None),
    ],
)
def test_session_id_from_what_claude_code_sends(raw: str | None, session: str | None) -> None:
    assert session_id(raw) == session


def test_error_kind_names_the_failure() -> None:
    def settled(status: int, error: str | None = None) -> RequestSettled:
        return RequestSettled("r", "POST", "/v1/messages", status, 0.1, usage=Usage(), error=error)

    assert error_kind(settled(200)) is None
    assert error_kind(settled(429, "x")) == "rate_limit_error"
    assert error_kind(settled(499)) == "client_closed"
    assert error_kind(settled(200, "provider 'a' stream broke off")) == "stream_error"
