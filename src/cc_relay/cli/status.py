"""``cc-relay status``: the running relay's state, as tables, from its admin service.

The relay's status (version, uptime, config generation, last reload, totals, the front
server's connections, the ledger's writer and the shared state), then one row per
provider (health, traffic, latency, models), then each provider's keys with what is
left of every bucket and any cooldown. Nothing is computed here: the local form is
``GetStatus`` and ``ListProviders``; with ``--scope`` (fleet, or a replica id) it is the
first ``StreamStats`` message for that scope, the fleet's added up. Both come as the
same proto3 JSON, so one renderer (and ``--json``) serves both.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cc_relay.cli._options import AdminKeyOpt, ConfigOpt, ScopeOpt, UrlOpt

if TYPE_CHECKING:
    from rich.console import Console

HEALTH_STYLE = {"healthy": "green", "recovering": "yellow", "failing": "red", "disabled": "dim"}


def status(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
    scope: ScopeOpt = None,
    admin_key: AdminKeyOpt = None,
) -> None:
    """Is a relay up? Its providers, circuits, and what each key has left."""
    from cc_relay.cli._admin import admin_target, call, stream, warn_degraded

    target = admin_target(config, url, admin_key)
    if scope and scope != "local":
        answer: dict[str, Any] = next(iter(stream(target, "StreamStats", {"scope": scope})))
    else:
        answer = call(target, "GetStatus", {})
        answer["providers"] = call(target, "ListProviders", {}).get("providers", [])
    if json:
        import orjson

        typer.echo(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.console import Console

    info = answer.get("scope", {})
    warn_degraded(info)
    console = Console()
    relay = answer.get("status", {})
    where = f"cc-relay {relay.get('version')} at {target.url}: [green]ok[/]"
    if info.get("scope", "local") != "local":
        where += f"\nscope {info.get('scope')}: {', '.join(info.get('replicas', []))}"
    console.print(where, soft_wrap=True)
    console.print(_summary(relay))
    _providers(console, answer.get("providers", []))


def _providers(console: Console, providers: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table("provider", "base url", "health", "req/err", "p50/p95", "models")
    # The base URL is what the user checks (host and port): it is never cut; the
    # models column wraps instead.
    table.columns[1].no_wrap = True
    table.columns[1].min_width = max((len(p.get("baseUrl", "")) for p in providers), default=8)
    for p in providers:
        health = p.get("health", "")
        style = HEALTH_STYLE.get(health, "")
        latency = p.get("latency", {})
        table.add_row(
            f"{p['name']} ({p.get('type', '')})",
            p.get("baseUrl", ""),
            f"[{style}]{health}[/]" if style else health,
            f"{p.get('requests', '0')}/{p.get('errors', '0')}",
            f"{_ms(latency.get('p50Seconds'))}/{_ms(latency.get('p95Seconds'))}",
            ", ".join(p.get("models") or p.get("modelPatterns") or []) or "-",
        )
    console.print(table)
    keys = Table("provider", "key", "in flight", "cooldown", "budget left (per minute)")
    for p in providers:
        for k in p.get("keys", []):
            buckets = ", ".join(
                f"{b.get('kind')} {max(0, b.get('remaining', 0)):.0f}/{b.get('capacity', '0')}"
                + (" (learned)" if b.get("learned") else "")
                for b in k.get("buckets", [])
            )
            keys.add_row(p["name"], k.get("fingerprint", ""), k.get("inFlight", "0"),
                         _cooldown(k.get("cooldownUntil")), buckets or "no limits")  # fmt: skip
    if keys.row_count:
        console.print(keys)


def _summary(relay: dict[str, Any]) -> str:
    reload = relay.get("lastReload")
    if reload is None:
        reloaded = "never reloaded"
    elif reload.get("ok"):
        reloaded = "last reload ok"
    else:
        reloaded = f"[red]last reload failed[/]: {reload.get('error', '')}"
    uptime = int(relay.get("uptimeSeconds", 0))
    totals = relay.get("totals", {})
    return (
        f"config: {relay.get('configPath') or 'built-in defaults'}\n"
        f"generation {relay.get('configGeneration', '0')}, {reloaded}; up {uptime // 3600}h"
        f"{uptime // 60 % 60:02d}m\n"
        f"{totals.get('requests', '0')} requests, {totals.get('errors', '0')} errors, "
        f"{totals.get('inFlight', '0')} in flight; tokens in/out "
        f"{totals.get('inputTokens', '0')}/{totals.get('outputTokens', '0')}"
        + (f", ${totals['costUsd']:.4f}" if totals.get("costUsd") else "")
        + _connections(relay.get("connections"))
        + _ledger(relay.get("ledger"))
        + _state(relay.get("state"))
    )


def _connections(connections: dict[str, Any] | None) -> str:
    if connections is None:
        return ""
    return (
        f"\n{connections.get('open', '0')} connections open; "
        f"{connections.get('frontAnswered', '0')} requests answered by the front server, "
        f"{connections.get('handedOver', '0')} connections handed to aiohttp"
    )


def _ledger(ledger: dict[str, Any] | None) -> str:
    if ledger is None:
        return "\nledger: off"
    line = f"\nledger: {ledger.get('path')}, {ledger.get('written', '0')} rows written since start"
    if ledger.get("error"):
        line += (
            f"\n[red]ledger writes fail[/]: {ledger['error']} "
            f"({ledger.get('unwritten', '0')} rows waiting, {ledger.get('dropped', '0')} dropped)"
        )
    return line


def _state(state: dict[str, Any] | None) -> str:
    """Said only for Redis: with the in-memory default there is nothing shared to tell."""
    if state is None or state.get("backend") != "redis":
        return ""
    if state.get("connected"):
        return f"\nshared state: redis, {state.get('replicas', 0)} replicas alive"
    return (
        f"\n[red]shared state: redis unavailable[/]: {state.get('error', '')} "
        f"(local limits; {state.get('fallbacks', '0')} fallbacks so far)"
    )


def _cooldown(until: str | None) -> str:
    if until is None:
        return "-"
    left = datetime.fromisoformat(until).timestamp() - time.time()
    return f"{left:.0f}s" if left > 0 else "-"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}ms"
