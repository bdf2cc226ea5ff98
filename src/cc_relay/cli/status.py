"""``cc-relay status``: the running relay's read model, as tables.

The relay's status (version, uptime, config generation, last reload, totals), then one
row per provider (health, circuit, traffic, latency), then each provider's keys with
what is left of every bucket and any cooldown. Everything comes from the relay's read
model (``/v1/relay/status`` and ``/v1/providers``); nothing is computed here.

With ``--scope`` (fleet, or a replica id) the totals and each provider's traffic come
from the admin service's StreamStats for that scope instead: the fleet's added up.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cc_relay.cli._options import AdminKeyOpt, ConfigOpt, KeyOpt, ScopeOpt, UrlOpt

HEALTH_STYLE = {"healthy": "green", "recovering": "yellow", "failing": "red", "disabled": "dim"}


def status(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    key: KeyOpt = None,
    json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
    scope: ScopeOpt = None,
    admin_key: AdminKeyOpt = None,
) -> None:
    """Is a relay up? Its providers, circuits, and what each key has left."""
    from rich.console import Console
    from rich.table import Table

    if scope and scope != "local":
        _scoped(config, url, admin_key, scope, as_json=json)
        return

    from cc_relay.cli._client import get_json
    from cc_relay.cli._target import target

    relay = target(config, url, key)
    health = get_json(relay, "/health", json_errors=json)
    info = get_json(relay, "/v1/relay/status", json_errors=json)
    providers: list[dict[str, Any]] = get_json(relay, "/v1/providers", json_errors=json)["data"]
    if json:
        import orjson

        answer = {"status": info, "providers": providers}
        typer.echo(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    console.print(
        f"cc-relay {health.get('version')} at {relay.url}: [green]{health.get('status')}[/]",
        soft_wrap=True,
    )
    console.print(_summary(info))
    table = Table("provider", "base url", "health", "req/err", "p50", "models")
    # The base URL is what the user checks (host and port): it is never cut; the
    # models column wraps instead.
    table.columns[1].no_wrap = True
    table.columns[1].min_width = max((len(p["base_url"]) for p in providers), default=8)
    for p in providers:
        style = HEALTH_STYLE.get(p["health"], "")
        table.add_row(
            f"{p['name']} ({p['type']})",
            p["base_url"],
            f"[{style}]{p['health']}[/]" if style else p["health"],
            f"{p['requests']}/{p['errors']}",
            _ms(p["latency"]["p50"]),
            ", ".join(p["models"] or p["model_patterns"]) or "-",
        )
    console.print(table)
    keys = Table("provider", "key", "in flight", "cooldown", "budget left (per minute)")
    for p in providers:
        for k in p["keys"]:
            cooldown = f"{k['cooldown_left']:.0f}s" if k["cooldown_left"] > 0 else "-"
            buckets = ", ".join(
                f"{b['kind']} {max(0, b['remaining']):.0f}/{b['capacity']}"
                + (" (learned)" if b["learned"] else "")
                for b in k["buckets"]
            )
            keys.add_row(p["name"], k["fingerprint"], str(k["in_flight"]), cooldown,
                         buckets or "no limits")  # fmt: skip
    if keys.row_count:
        console.print(keys)


def _scoped(
    config: str | None, url: str | None, admin_key: str | None, scope: str, *, as_json: bool
) -> None:
    """Totals and providers' traffic for ``scope``, from one StreamStats message."""
    from rich.console import Console
    from rich.table import Table

    from cc_relay.cli._admin import admin_target, stream, warn_degraded

    target = admin_target(config, url, admin_key)
    answer: dict[str, Any] = next(iter(stream(target, "StreamStats", {"scope": scope})))
    if as_json:
        import orjson

        typer.echo(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
        return
    info = answer.get("scope", {})
    warn_degraded(info)
    t = answer.get("status", {}).get("totals", {})
    console = Console()
    console.print(
        f"scope {info.get('scope')}: {', '.join(info.get('replicas', []))}\n"
        f"{t.get('requests', '0')} requests, {t.get('errors', '0')} errors, "
        f"{t.get('inFlight', '0')} in flight"
    )
    table = Table("provider", "health", "req/err", "req/s", "p50", "p95", "tokens in/out")
    for p in answer.get("providers", []):
        latency = p.get("latency", {})
        table.add_row(
            p["name"], p.get("health", ""),
            f"{p.get('requests', '0')}/{p.get('errors', '0')}",
            f"{p.get('requestsPerSecond', 0):.1f}",
            _ms(latency.get("p50Seconds")), _ms(latency.get("p95Seconds")),
            f"{p.get('inputTokens', '0')}/{p.get('outputTokens', '0')}",
        )  # fmt: skip
    console.print(table)


def _summary(info: dict[str, Any]) -> str:
    reload = info.get("last_reload")
    if reload is None:
        reloaded = "never reloaded"
    elif reload["ok"]:
        reloaded = "last reload ok"
    else:
        reloaded = f"[red]last reload failed[/]: {reload['error']}"
    uptime = int(info["uptime"])
    return (
        f"config: {info['config_path'] or 'built-in defaults'}\n"
        f"generation {info['generation']}, {reloaded}; up {uptime // 3600}h"
        f"{uptime // 60 % 60:02d}m\n"
        f"{info['requests']} requests, {info['errors']} errors, {info['in_flight']} in flight"
        f"{_connections(info.get('connections'))}"
        f"{_ledger(info.get('ledger'))}"
    )


def _connections(connections: dict[str, Any] | None) -> str:
    if connections is None:
        return ""
    return (
        f"\n{connections['open']} connections open; {connections['front_answered']} "
        f"requests answered by the front server, {connections['handed_over']} "
        "connections handed to aiohttp"
    )


def _ledger(ledger: dict[str, Any] | None) -> str:
    if ledger is None:
        return "\nledger: off"
    line = f"\nledger: {ledger['path']}, {ledger['written']} rows written since start"
    if ledger["error"]:
        line += (
            f"\n[red]ledger writes fail[/]: {ledger['error']} "
            f"({ledger['unwritten']} rows waiting, {ledger['dropped']} dropped)"
        )
    return line


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}ms"
