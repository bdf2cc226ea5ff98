"""What several subcommands share: loading config, reaching a running relay."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import typer

from cc_relay.config import ConfigError, RelayConfig, resolve_config
from cc_relay.headers import X_API_KEY

#: Relay key for status/models when the config does not hold one.
API_KEY_ENV = "CC_RELAY_API_KEY"


def load_or_exit(path: str | None) -> tuple[RelayConfig, Path | None]:
    """The config, or a clear message on stderr and exit status 2."""
    try:
        loaded = resolve_config(path)
        return loaded.config, loaded.path
    except ConfigError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def relay_url(config: RelayConfig, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    address = config.server.address
    host = "127.0.0.1" if address.host in ("0.0.0.0", "::", "") else address.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{address.port}"


def relay_key(config: RelayConfig) -> str | None:
    return os.environ.get(API_KEY_ENV) or (config.server.auth[0] if config.server.auth else None)


async def get_json(url: str, key: str | None) -> Any:
    """GET from a running relay; raises typer.Exit(1) with a message when unreachable."""
    return await _call("GET", url, key, None)


async def post_json(url: str, key: str | None, body: Any) -> Any:
    return await _call("POST", url, key, body)


async def _call(method: str, url: str, key: str | None, body: Any) -> Any:
    headers = {X_API_KEY: key} if key else {}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            async with session.request(method, url, headers=headers, json=body) as resp:
                body = await resp.read()
                if resp.status >= 400:
                    typer.secho(
                        f"{url}: HTTP {resp.status}: {body.decode(errors='replace')}",
                        fg=typer.colors.RED,
                        err=True,
                    )
                    raise typer.Exit(1)
                return orjson.loads(body)
    except (aiohttp.ClientError, TimeoutError) as exc:
        typer.secho(
            f"No relay answering at {url} ({type(exc).__name__}). Start one with 'cc-relay serve'.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1) from None
