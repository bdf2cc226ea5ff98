"""``cc-relay status`` and ``cc-relay models``: ask a running relay."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from cc_relay.cli._common import get_json, load_or_exit, post_json, relay_key, relay_url
from cc_relay.config import model_matches

ConfigOpt = Annotated[
    str | None,
    typer.Option("--config", "-c", help="Config file to read the relay's address and key from."),
]
UrlOpt = Annotated[
    str | None, typer.Option(help="Relay URL (default: from the config's server.listen).")
]


def status(config: ConfigOpt = None, url: UrlOpt = None) -> None:
    """Is a relay up, and which providers does it have?"""
    cfg, _ = load_or_exit(config)
    base, key = relay_url(cfg, url), relay_key(cfg)
    health = asyncio.run(get_json(f"{base}/health", key))
    providers = asyncio.run(get_json(f"{base}/v1/providers", key))
    console = Console()
    console.print(f"cc-relay {health.get('version')} at {base}: [green]{health.get('status')}[/]")
    table = Table("provider", "type", "base url", "keys", "health", "models")
    for p in providers.get("data", []):
        models = ", ".join(p.get("models") or p.get("model_patterns") or []) or "-"
        table.add_row(
            p["name"],
            p["type"],
            p["base_url"],
            str(p["keys"]),
            p["health"] if p.get("enabled") else "disabled",
            models,
        )
    console.print(table)


def models(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    json: Annotated[bool, typer.Option("--json", help="Print the raw JSON list.")] = False,
) -> None:
    """List the models the running relay serves."""
    cfg, _ = load_or_exit(config)
    base, key = relay_url(cfg, url), relay_key(cfg)
    data: list[dict[str, Any]] = asyncio.run(get_json(f"{base}/v1/models?limit=1000", key)).get(
        "data", []
    )
    providers = asyncio.run(get_json(f"{base}/v1/providers", key)).get("data", [])
    rows = [
        {
            "id": m["id"],
            "display_name": m.get("display_name", m["id"]),
            "providers": _serving(m["id"], providers),
        }
        for m in data
    ]
    if json:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("model", "display name", "providers")
    for row in rows:
        names = ", ".join(f"{p['name']} ({p['health']})" for p in row["providers"])
        table.add_row(row["id"], row["display_name"], names or "-")
    Console().print(table)


def explain(
    model: Annotated[str, typer.Option(help="Model id as a client would send it.")],
    config: ConfigOpt = None,
    url: UrlOpt = None,
    session: Annotated[
        str | None, typer.Option(help="Session id, to see session affinity.")
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
) -> None:
    """Show the attempts the running relay would make for a model, and why."""
    cfg, _ = load_or_exit(config)
    base, key = relay_url(cfg, url), relay_key(cfg)
    sample: dict[str, Any] = {"model": model, "max_tokens": 1024}
    if session:
        sample["metadata"] = {"user_id": session}
    answer = asyncio.run(post_json(f"{base}/v1/relay/explain", key, sample))
    if json:
        typer.echo(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    console.print(
        f"{answer['model']} -> {answer['resolved_model']} (strategy {answer['strategy']})"
    )
    table = Table("#", "provider", "upstream model", "why")
    for i, attempt in enumerate(answer["attempts"], 1):
        table.add_row(
            str(i),
            attempt["provider"],
            attempt["upstream_model"],
            f"{attempt['why']}; {attempt['reason']}",
        )
    for skip in answer["skipped"]:
        table.add_row("-", skip["provider"], "", f"skipped: {skip['reason']}")
    console.print(table)


def _serving(model_id: str, providers: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The providers that list ``model_id`` (or match it by pattern)."""
    return [
        {"name": p["name"], "type": p["type"], "health": p["health"]}
        for p in providers
        if model_id in p.get("models", [])
        or model_matches(model_id, tuple(p.get("model_patterns", [])))
    ]
