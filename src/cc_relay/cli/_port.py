"""Who holds the port ``serve`` wanted: most often, a relay started earlier."""

from __future__ import annotations

import http.client
import json

from cc_relay.cli._client import request
from cc_relay.config.schema import parse_listen

#: Seconds the probe of a busy port may take; whatever is there answers fast or not at all.
PROBE_TIMEOUT = 1.0


def who_listens(listen: str) -> list[str]:
    """Lines saying what is likely on ``listen`` and how to pick another port."""
    address = parse_listen(listen)
    host = "127.0.0.1" if address.host in ("0.0.0.0", "::", "") else address.host
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{address.port}"
    other = f"{shown}:{address.port + 1 if address.port < 65535 else 0}"
    version = _relay_version(url)
    if version is not None:
        return [
            f"Another cc-relay ({version}) is already running at {url}; "
            f"'cc-relay status --url {url}' shows it.",
            f"To run a second one, pick another port: cc-relay serve --listen {other}",
        ]
    return [
        f"Another program holds that port (it does not answer like cc-relay at {url}/health).",
        f"Stop it, or pick another port: cc-relay serve --listen {other} (port 0 picks a free one)",
    ]


def _relay_version(url: str) -> str | None:
    """The version a cc-relay at ``url`` reports on /health; None if it is not one."""
    try:
        status, data = request(url, "GET", "/health", timeout=PROBE_TIMEOUT)
        health = json.loads(data)
    except (OSError, http.client.HTTPException, ValueError):
        return None
    if status != 200 or not isinstance(health, dict):
        return None
    if not {"status", "version", "providers"} <= health.keys():
        return None
    return str(health["version"])
