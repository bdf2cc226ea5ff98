"""The ledger's database: schema, migrations, and every statement the relay runs on it.

Only :mod:`sqlite3` is imported, so ``cc-relay statusline`` can read the ledger without
loading the relay. The file is in WAL mode: readers in other processes (``cc-relay
usage``, the status line) never block the writer, and a crash loses at most the
transaction being written.

Schema versions are numbered; ``schema_version`` holds the one applied. Opening runs
every migration above it, each in its own transaction. Add a migration by appending to
``MIGRATIONS``; never edit one that has shipped.

Times are Unix seconds (UTC); costs are USD, NULL when the price is unknown.
"""

from __future__ import annotations

import sqlite3

# Not typing.TYPE_CHECKING: the status line imports this module, and typing costs 5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    Row = Sequence[object]

#: Seconds a statement waits for a lock another process holds before failing.
BUSY_TIMEOUT = 2.0

#: The columns of a request row, in insert order.
REQUEST_COLUMNS = (
    "at",
    "request_id",
    "client_key",
    "client_name",
    "session",
    "client_model",
    "provider",
    "upstream_model",
    "key",
    "stream",
    "status",
    "error_type",
    "error",
    "attempts",
    "latency",
    "ttfb",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cost_usd",
    "price_source",
)

MIGRATIONS: tuple[str, ...] = (
    # 1: requests and thinking signatures.
    """
    CREATE TABLE requests (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        request_id TEXT NOT NULL,
        client_key TEXT,
        client_name TEXT,
        session TEXT,
        client_model TEXT,
        provider TEXT,
        upstream_model TEXT,
        key TEXT,
        stream INTEGER NOT NULL,
        status INTEGER NOT NULL,
        error_type TEXT,
        error TEXT,
        attempts INTEGER NOT NULL,
        latency REAL NOT NULL,
        ttfb REAL,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_write_tokens INTEGER,
        cost_usd REAL,
        price_source TEXT
    );
    CREATE INDEX requests_at ON requests (at);
    CREATE INDEX requests_session ON requests (session, at);
    CREATE TABLE signatures (
        hash BLOB PRIMARY KEY,
        family TEXT NOT NULL,
        expires REAL NOT NULL
    ) WITHOUT ROWID;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT_REQUEST = (
    f"INSERT INTO requests ({', '.join(REQUEST_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(REQUEST_COLUMNS))})"
)
_INSERT_SIGNATURE = "INSERT OR REPLACE INTO signatures (hash, family, expires) VALUES (?, ?, ?)"


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the ledger; read-write opening creates the file (and its directory),
    switches it to WAL and migrates it. Raises ``sqlite3.Error`` / ``OSError``."""
    if readonly:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
        return conn
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: transactions are begun and committed explicitly.
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # The writer only appends: a 256 KiB page cache (the default is 2 MiB) holds the
        # pages it touches, and the relay's resident memory stays smaller.
        conn.execute("PRAGMA cache_size=-256")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks; returns the version it is at."""
    current = version(conn)
    if current > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"ledger: the database is at schema version {current}, newer than this "
            f"cc-relay knows ({SCHEMA_VERSION}); upgrade cc-relay or use another ledger.path"
        )
    for number in range(current + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number - 1].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


def write(
    conn: sqlite3.Connection,
    requests: Iterable[Row],
    signatures: Iterable[tuple[bytes, str, float]],
) -> None:
    """One transaction: every row, or (on an error, which propagates) none."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(_INSERT_REQUEST, requests)
        conn.executemany(_INSERT_SIGNATURE, signatures)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def prune(conn: sqlite3.Connection, *, before: float, now: float) -> int:
    """Delete request rows older than ``before`` and expired signatures."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        deleted = conn.execute("DELETE FROM requests WHERE at < ?", (before,)).rowcount
        conn.execute("DELETE FROM signatures WHERE expires < ?", (now,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return int(deleted)


def signatures(conn: sqlite3.Connection, *, now: float) -> list[tuple[bytes, str, float]]:
    """Unexpired signatures: hash, family, expiry (Unix seconds)."""
    return conn.execute(
        "SELECT hash, family, expires FROM signatures WHERE expires >= ? ORDER BY expires",
        (now,),
    ).fetchall()


def spend_since(conn: sqlite3.Connection, since: float) -> dict[str, float]:
    """Cost since ``since`` per budget holder: ``client:<fp>`` and ``key:<provider>:<fp>``."""
    spent: dict[str, float] = {}
    for client, cost in conn.execute(
        "SELECT client_key, SUM(cost_usd) FROM requests "
        "WHERE at >= ? AND client_key IS NOT NULL AND cost_usd IS NOT NULL GROUP BY client_key",
        (since,),
    ):
        spent[f"client:{client}"] = float(cost)
    for provider, key, cost in conn.execute(
        "SELECT provider, key, SUM(cost_usd) FROM requests "
        "WHERE at >= ? AND key IS NOT NULL AND cost_usd IS NOT NULL GROUP BY provider, key",
        (since,),
    ):
        spent[f"key:{provider}:{key}"] = float(cost)
    return spent


def last_served(conn: sqlite3.Connection, session: str) -> tuple[str, str, str] | None:
    """Provider, upstream model and client model of the session's latest answered request."""
    row = conn.execute(
        "SELECT provider, COALESCE(upstream_model, client_model, ''), COALESCE(client_model, '') "
        "FROM requests WHERE session = ? AND provider IS NOT NULL AND status < 400 "
        "ORDER BY at DESC, id DESC LIMIT 1",
        (session,),
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]))


def session_totals(
    conn: sqlite3.Connection, session: str, since: float
) -> tuple[int, float, int, int, int]:
    """A session since ``since``: requests, the cost of the priced ones, how many had no
    known price, input-side tokens (cache included) and output tokens."""
    row = conn.execute(
        "SELECT COUNT(*), SUM(cost_usd), COUNT(cost_usd), "
        "COALESCE(SUM(COALESCE(input_tokens, 0) + COALESCE(cache_read_tokens, 0) "
        "+ COALESCE(cache_write_tokens, 0)), 0), COALESCE(SUM(output_tokens), 0) "
        "FROM requests WHERE session = ? AND at >= ?",
        (session, since),
    ).fetchone()
    requests, cost, priced, tokens_in, tokens_out = row
    return (
        int(requests),
        float(cost or 0.0),
        int(requests - priced),
        int(tokens_in),
        int(tokens_out),
    )


_SETTLED = (
    "id, at, request_id, client_key, session, client_model, provider, upstream_model, key, "
    "stream, status, error, attempts, latency, ttfb, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, cost_usd"
)


def request_by_id(conn: sqlite3.Connection, request_id: str) -> tuple[object, ...] | None:
    """One request's row (``_SETTLED``'s columns), the newest of that id."""
    row: tuple[object, ...] | None = conn.execute(
        f"SELECT {_SETTLED} FROM requests WHERE request_id = ? ORDER BY id DESC LIMIT 1",
        (request_id,),
    ).fetchone()
    return row


def requests_before(
    conn: sqlite3.Connection, *, before_id: int | None, before_at: float | None, limit: int
) -> list[tuple[object, ...]]:
    """Rows newest first, older than row ``before_id`` and settled before ``before_at``."""
    rows: list[tuple[object, ...]] = conn.execute(
        f"SELECT {_SETTLED} FROM requests WHERE id < ? AND at < ? ORDER BY id DESC LIMIT ?",
        (
            before_id if before_id is not None else 2**62,
            before_at if before_at is not None else float("inf"),
            limit,
        ),
    ).fetchall()
    return rows
