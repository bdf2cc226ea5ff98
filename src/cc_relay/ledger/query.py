"""Reading the ledger: usage grouped by day, provider, model, key, client or session.

:func:`usage` is the one query behind ``cc-relay usage`` and the management API's
``GetUsage``. It reads the database directly (read-only), so it works while the relay
is stopped, and while it runs (WAL: readers never block the writer).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cc_relay.ledger.periods import local_day, zone

#: ``group_by`` value -> the SQL expression rows are grouped by (``day`` is computed
#: in the ledger's time zone by a function registered on the connection).
GROUPS: dict[str, str] = {
    "day": "cc_day(at)",
    "provider": "COALESCE(provider, '-')",
    "model": "COALESCE(upstream_model, client_model, '-')",
    "key": "COALESCE(provider || '/' || key, '-')",
    "client": "COALESCE(client_name, client_key, '-')",
    "session": "COALESCE(session, '-')",
}
#: ``filters`` name -> its condition (every ``?`` takes the filter's value).
FILTERS: dict[str, str] = {
    "provider": "provider = ?",
    "model": "(upstream_model = ? OR client_model = ?)",
    "key": "key = ?",
    "client": "(client_key = ? OR client_name = ?)",
    "session": "session = ?",
}


@dataclass(frozen=True, slots=True)
class UsageRow:
    group: str
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cost_usd: float
    """USD of the requests with a known price."""
    unpriced: int
    """Requests whose price is unknown (not counted in ``cost_usd``)."""

    @property
    def cache_hit_rate(self) -> float | None:
        """Cache reads over all input-side tokens; None without any."""
        total = self.input_tokens + self.cache_read_tokens + self.cache_write_tokens
        return self.cache_read_tokens / total if total else None


def usage(
    db: Path | sqlite3.Connection,
    *,
    group_by: str = "day",
    since: float | None = None,
    until: float | None = None,
    filters: Mapping[str, str] | None = None,
    timezone: str = "UTC",
) -> list[UsageRow]:
    """Totals per group, ordered by group (days oldest first).

    Args:
        db: the database file (opened read-only; a missing file has no usage) or an
            open connection.
        group_by: a key of ``GROUPS``.
        since, until: Unix seconds, ``since <= at < until``.
        filters: keys of ``FILTERS`` -> the value to match.
        timezone: the zone days are counted in.

    Raises:
        ValueError: an unknown ``group_by`` or filter.
        sqlite3.Error: the file is not a readable ledger.
    """
    if group_by not in GROUPS:
        raise ValueError(f"ledger: cannot group by {group_by!r}; use one of {', '.join(GROUPS)}")
    unknown = sorted(set(filters or ()) - set(FILTERS))
    if unknown:
        raise ValueError(f"ledger: unknown filter(s) {', '.join(unknown)}")
    if isinstance(db, Path):
        if not db.exists():
            return []
        from cc_relay.ledger.store import connect

        conn = connect(db, readonly=True)
        try:
            return _usage(conn, group_by, since, until, filters or {}, timezone)
        finally:
            conn.close()
    return _usage(db, group_by, since, until, filters or {}, timezone)


def _usage(
    conn: sqlite3.Connection,
    group_by: str,
    since: float | None,
    until: float | None,
    filters: Mapping[str, str],
    timezone: str,
) -> list[UsageRow]:
    tz = zone(timezone)
    conn.create_function("cc_day", 1, lambda at: local_day(at, tz), deterministic=True)
    where: list[str] = ["1"]
    args: list[object] = []
    if since is not None:
        where.append("at >= ?")
        args.append(since)
    if until is not None:
        where.append("at < ?")
        args.append(until)
    for name, value in filters.items():
        condition = FILTERS[name]
        where.append(condition)
        args.extend([value] * condition.count("?"))
    group = GROUPS[group_by]
    sql = (
        f"SELECT {group} AS g, COUNT(*), SUM(status >= 400), "
        "COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
        "COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0), "
        "COALESCE(SUM(cost_usd), 0.0), COUNT(*) - COUNT(cost_usd) "
        f"FROM requests WHERE {' AND '.join(where)} GROUP BY g ORDER BY g"
    )
    return [
        UsageRow(str(g), int(n), int(e or 0), int(i), int(o), int(cr), int(cw), float(c), int(u))
        for g, n, e, i, o, cr, cw, c, u in conn.execute(sql, args)
    ]
