"""``cc-relay models``: the models the running relay serves, and who serves each."""

from __future__ import annotations

from typing import Any

from cc_relay.cli._options import ConfigOpt, JsonOpt, KeyOpt, UrlOpt


def models(
    config: ConfigOpt = None, url: UrlOpt = None, key: KeyOpt = None, json: JsonOpt = False
) -> None:
    """List the models the running relay serves."""
    from cc_relay.cli._client import get_json
    from cc_relay.cli._target import target

    relay = target(config, url, key)
    data: list[dict[str, Any]] = get_json(relay, "/v1/models?limit=1000", json_errors=json).get(
        "data", []
    )
    providers = get_json(relay, "/v1/providers", json_errors=json).get("data", [])
    rows = [
        {
            "id": m["id"],
            "display_name": m.get("display_name", m["id"]),
            "providers": _serving(m["id"], providers),
        }
        for m in data
    ]
    if json:
        import json as json_

        print(json_.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("model", "display name", "providers")
    for row in rows:
        names = ", ".join(f"{p['name']} ({p['health']})" for p in row["providers"])
        table.add_row(row["id"], row["display_name"], names or "-")
    Console().print(table)


def _serving(model_id: str, providers: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The providers that list ``model_id`` (or match it by pattern)."""
    from cc_relay.config.provider import model_matches

    return [
        {"name": p["name"], "type": p["type"], "health": p["health"]}
        for p in providers
        if model_id in p.get("models", [])
        or model_matches(model_id, tuple(p.get("model_patterns", [])))
    ]
