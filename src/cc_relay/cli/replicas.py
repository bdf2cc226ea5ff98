"""``cc-relay replicas``: the replicas sharing the relay's state, and the fleet's totals."""

from __future__ import annotations

from typing import Any

import typer

from cc_relay.cli._options import AdminKeyOpt, ConfigOpt, JsonOpt, UrlOpt


def replicas(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    admin_key: AdminKeyOpt = None,
    json: JsonOpt = False,
) -> None:
    """Every replica seen through the shared state (Redis), from their heartbeats: id,
    host, pid, version, Redis status, in flight, req/s; then the fleet's totals. With
    the memory backend the relay is its own fleet of one."""
    from rich.console import Console
    from rich.table import Table

    from cc_relay.cli._admin import admin_target, call, warn_degraded

    target = admin_target(config, url, admin_key)
    answer = call(target, "ListReplicas", {})
    totals = call(target, "GetStatus", {"scope": "fleet"})
    if json:
        import orjson

        document = {"replicas": answer.get("replicas", []), "fleet": totals}
        typer.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        return
    warn_degraded(answer.get("scope", {}))
    table = Table("replica", "host", "pid", "version", "redis", "in flight", "req/s",
                  "started", "last seen", "dropped")  # fmt: skip
    for r in answer.get("replicas", []):
        table.add_row(
            r["id"] + (" *" if r.get("answering") else ""),
            r.get("host", ""),
            str(r.get("pid", "")),
            r.get("version", ""),
            _redis(r.get("redis", "")),
            str(r.get("inFlight", 0)),
            f"{r.get('requestsPerSecond', 0):.1f}",
            _time(r.get("startedAt")),
            _time(r.get("lastSeen")),
            str(r.get("dropped", 0)),
        )
    console = Console()
    console.print(table)
    t = totals.get("status", {}).get("totals", {})
    console.print(
        f"fleet: {t.get('requests', '0')} requests, {t.get('errors', '0')} errors, "
        f"{t.get('inFlight', '0')} in flight, tokens in {t.get('inputTokens', '0')} "
        f"out {t.get('outputTokens', '0')}, ${t.get('costUsd', 0):.4f}  (* answered this call)"
    )


def _redis(state: str) -> str:
    colour = {"connected": "green", "down": "red"}.get(state)
    return f"[{colour}]{state}[/]" if colour else state


def _time(stamp: Any) -> str:
    return str(stamp)[:19].replace("T", " ") if stamp else "-"
