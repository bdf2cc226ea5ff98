"""``cc-relay status``: is a relay up, and which providers does it have?"""

from __future__ import annotations

from cc_relay.cli._options import ConfigOpt, KeyOpt, UrlOpt


def status(config: ConfigOpt = None, url: UrlOpt = None, key: KeyOpt = None) -> None:
    """Is a relay up, and which providers does it have?"""
    from rich.console import Console
    from rich.table import Table

    from cc_relay.cli._client import get_json
    from cc_relay.cli._target import target

    relay = target(config, url, key)
    health = get_json(relay, "/health")
    providers = get_json(relay, "/v1/providers")
    console = Console()
    console.print(
        f"cc-relay {health.get('version')} at {relay.url}: [green]{health.get('status')}[/]",
        soft_wrap=True,
    )
    table = Table("provider", "type", "base url", "keys", "health", "models")
    # The base URL is what the user checks (host and port): it is never cut; the
    # models column wraps instead.
    table.columns[2].no_wrap = True
    table.columns[2].min_width = max((len(p["base_url"]) for p in providers["data"]), default=8)
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
