"""``cc-relay usage``: requests, tokens and cost from the ledger, grouped.

Reads the ledger's database directly (``--db``, else the config's ``ledger.path``, else
the default), so it works while the relay is stopped. Costs with an unknown price are
not guessed: the table says how many requests had none.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from cc_relay.cli._options import ConfigOpt, JsonOpt

_SPAN = re.compile(r"^(\d+(?:\.\d+)?)([mhdw])$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
GROUP_CHOICES = ("day", "provider", "model", "key", "client", "session")


def parse_since(value: str, *, now: float, timezone: str) -> float | None:
    """``7d``, ``12h``, ``30m``, ``2w``, a date (``2025-07-01``, midnight in the
    ledger's zone) or ``all``, as Unix seconds (None for all)."""
    if value == "all":
        return None
    span = _SPAN.match(value)
    if span:
        return now - float(span[1]) * _SECONDS[span[2]]
    from datetime import datetime

    from cc_relay.ledger.periods import zone

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r}: use a span such as 7d, 12h, 30m, 2w, a date such as 2025-07-01, or all"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(timezone))
    return moment.timestamp()


def usage(
    since: Annotated[
        str, typer.Option(metavar="SPAN", help="From when: 7d, 12h, 30m, 2w, a date, or all.")
    ] = "7d",
    until: Annotated[
        str | None, typer.Option(metavar="WHEN", help="Until when (same forms as --since).")
    ] = None,
    by: Annotated[
        str, typer.Option(metavar="GROUP", help=f"Group by: {', '.join(GROUP_CHOICES)}.")
    ] = "day",
    provider: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only this provider.")
    ] = None,
    model: Annotated[str | None, typer.Option(metavar="MODEL", help="Only this model.")] = None,
    session: Annotated[
        str | None, typer.Option(metavar="ID", help="Only this Claude Code session.")
    ] = None,
    db: Annotated[
        str | None, typer.Option(metavar="FILE", help="Ledger database (default: ledger.path).")
    ] = None,
    config: ConfigOpt = None,
    json: JsonOpt = False,
) -> None:
    """What the relay's requests used and cost, from the ledger (works while it is stopped)."""
    import sqlite3
    import time
    from pathlib import Path

    from cc_relay.ledger import paths, query

    if by not in GROUP_CHOICES:
        raise typer.BadParameter(
            f"{by!r}: use one of {', '.join(GROUP_CHOICES)}", param_hint="--by"
        )
    timezone = "UTC"
    if db is None:
        from cc_relay.cli._target import load_or_exit

        ledger = load_or_exit(config).config.ledger
        path, timezone = paths.resolve(ledger.path), ledger.timezone
    else:
        path = Path(db).expanduser()
    now = time.time()
    start = parse_since(since, now=now, timezone=timezone)
    end = None if until is None else parse_since(until, now=now, timezone=timezone)
    filters = {
        name: value
        for name, value in (("provider", provider), ("model", model), ("session", session))
        if value is not None
    }
    try:
        rows = query.usage(
            path, group_by=by, since=start, until=end, filters=filters, timezone=timezone
        )
    except sqlite3.Error as exc:
        typer.secho(f"{path}: cannot read this ledger ({exc}).", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    if json:
        _print_json(rows, by)
    elif not rows:
        where = "" if path.exists() else f" ({path} does not exist yet)"
        typer.echo(f"no requests in the ledger for that period{where}")
    else:
        _print_table(rows, by, path)


def _as_dict(row: Any) -> dict[str, Any]:
    import dataclasses

    return {**dataclasses.asdict(row), "cache_hit_rate": row.cache_hit_rate}


def _print_json(rows: list[Any], by: str) -> None:
    import orjson

    payload = {"group_by": by, "rows": [_as_dict(r) for r in rows]}
    typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())


def _print_table(rows: list[Any], by: str, path: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(by, "requests", "errors", "input", "output", "cache read", "cache write",
                  "cost (USD)", "cache hits", title=f"usage from {path}")  # fmt: skip
    for column in table.columns[1:]:
        column.justify = "right"
    totals = [0] * 7
    cost = 0.0
    for r in rows:
        counts = (r.requests, r.errors, r.input_tokens, r.output_tokens,
                  r.cache_read_tokens, r.cache_write_tokens, r.unpriced)  # fmt: skip
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        cost += r.cost_usd
        table.add_row(r.group, *(f"{n:,}" for n in counts[:6]), _cost(r.cost_usd, r.unpriced),
                      _rate(r.cache_hit_rate))  # fmt: skip
    if len(rows) > 1:
        input_side = totals[2] + totals[4] + totals[5]
        table.add_section()
        rate = totals[4] / input_side if input_side else None
        table.add_row("total", *(f"{n:,}" for n in totals[:6]), _cost(cost, totals[6]),
                      _rate(rate), style="bold")  # fmt: skip
    Console().print(table)


def _cost(usd: float, unpriced: int) -> str:
    shown = f"${usd:,.4f}"
    return f"{shown} + {unpriced} unpriced" if unpriced else shown


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"
