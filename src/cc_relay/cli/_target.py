"""Which relay a command talks to, and with which key: from options, env and config."""

from __future__ import annotations

import os
from dataclasses import dataclass

import typer

from cc_relay.config import ConfigError, LoadedConfig, RelayConfig, resolve_config

#: Relay key for status/models/explain when neither --key nor the config gives one.
API_KEY_ENV = "CC_RELAY_API_KEY"


@dataclass(frozen=True, slots=True)
class Target:
    """A running relay: its URL, the key to send, and where that key came from."""

    url: str
    key: str | None
    key_source: str
    """``--key``, ``$CC_RELAY_API_KEY``, ``server.auth in FILE`` or ``none``."""


def load_or_exit(path: str | None) -> LoadedConfig:
    """The config, or a clear message on stderr and exit status 2."""
    try:
        return resolve_config(path)
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


def relay_key(loaded: LoadedConfig, key: str | None = None) -> tuple[str | None, str]:
    """The key to send and where it came from: ``--key``, then $CC_RELAY_API_KEY,
    then the first of the config's ``server.auth``."""
    if key:
        return key, "--key"
    if os.environ.get(API_KEY_ENV):
        return os.environ[API_KEY_ENV], f"${API_KEY_ENV}"
    if loaded.config.server.auth:
        return loaded.config.server.auth_keys[0], f"server.auth in {loaded.path}"
    return None, "none"


def target(config_path: str | None, url: str | None, key: str | None) -> Target:
    """The relay a command asks, and the key it sends."""
    loaded = load_or_exit(config_path)
    return Target(relay_url(loaded.config, url), *relay_key(loaded, key))
