"""Finding, reading and validating a config file.

Search order: ``--config``, ``$CC_RELAY_CONFIG``, ``./cc-relay.yaml``,
``~/.config/cc-relay/config.yaml``. YAML and TOML are both accepted (by extension).
``${VAR}`` and ``${VAR:-default}`` are expanded inside string values after parsing, so
an environment value can never change the document's structure.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cc_relay.config.schema import ProviderConfig, RelayConfig
from cc_relay.errors import ConfigError

ENV_VAR = "CC_RELAY_CONFIG"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def candidate_paths(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] = os.environ
) -> list[Path]:
    """The paths looked at, in order; an explicit or $CC_RELAY_CONFIG path is the only one."""
    if explicit:
        return [Path(explicit)]
    if env.get(ENV_VAR):
        return [Path(env[ENV_VAR])]
    return [Path("cc-relay.yaml"), Path.home() / ".config" / "cc-relay" / "config.yaml"]


def find_config(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] = os.environ
) -> Path | None:
    """The config file to use, or None when the search finds nothing (defaults apply)."""
    paths = candidate_paths(explicit, env)
    if explicit or env.get(ENV_VAR):
        if not paths[0].is_file():
            raise ConfigError(f"{paths[0]}: no such config file")
        return paths[0]
    return next((p for p in paths if p.is_file()), None)


def expand_env(value: Any, env: Mapping[str, str]) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string of a parsed document."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: env.get(m[1]) or (m[2] or ""), value)
    if isinstance(value, list):
        return [expand_env(item, env) for item in value]
    if isinstance(value, dict):
        return {key: expand_env(item, env) for key, item in value.items()}
    return value


def parse_document(path: Path, text: str) -> Any:
    """Parse YAML or TOML (chosen by extension); syntax errors become ConfigError."""
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        # PyYAML's own message quotes the offending line, which may hold a key.
        where = (
            f"line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}: "
            if exc.problem_mark
            else ""
        )
        raise ConfigError(f"{path}: not valid YAML: {where}{exc.problem}") from None
    except yaml.YAMLError:
        raise ConfigError(f"{path}: not valid YAML") from None


def load_config(path: Path, env: Mapping[str, str] = os.environ) -> RelayConfig:
    """Read, expand and validate one config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    data = parse_document(path, text)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of sections "
            f"(server, logging, routing, providers), got {type(data).__name__}"
        )
    config = validate(expand_env(data, env), source=str(path))
    if not config.providers:
        raise ConfigError(
            f"{path}: providers: at least one provider is required (see config/example.yaml)"
        )
    return config


def validate(data: dict[str, Any], *, source: str) -> RelayConfig:
    """Build a RelayConfig, turning every validation problem into one ConfigError."""
    try:
        return RelayConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, source, data)) from None


def format_errors(exc: ValidationError, source: str, data: Any) -> str:
    """All problems at once, one line each: ``file: key.path: problem``."""
    lines = [f"{source}: {exc.error_count()} problem(s) in config:"]
    for err in exc.errors():
        loc = _key_path(err["loc"], data)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see config/example.yaml for every key)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        elif _may_echo(err["loc"], err.get("input")):
            msg = f"{msg} (got {err['input']!r})"
        lines.append(f"  {loc or '(top level)'}: {msg}")
    return "\n".join(lines)


def _may_echo(loc: tuple[Any, ...], value: Any) -> bool:
    """Echo a bad scalar back to the user, unless it sits where a secret lives."""
    secret = any(part in ("key", "keys", "auth") for part in loc)
    return not secret and value is not None and not isinstance(value, (dict, list))


def _key_path(loc: tuple[Any, ...], data: Any) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(f".{item}" if parts else str(item))
    return "".join(parts)


def default_config(env: Mapping[str, str] = os.environ) -> RelayConfig:
    """What ``serve`` runs with no config file: one Anthropic provider.

    Keyed by ``ANTHROPIC_API_KEY`` when it is set; otherwise the clients' own credentials
    (API key or Claude subscription OAuth token) are passed through.
    """
    key = env.get("ANTHROPIC_API_KEY", "")
    provider = ProviderConfig.model_validate(
        {"name": "anthropic", "type": "anthropic", "keys": [key] if key else []}
    )
    return RelayConfig(providers=(provider,))


def resolve_config(
    explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] = os.environ
) -> tuple[RelayConfig, Path | None]:
    """Find and load the config, or fall back to the defaults; returns (config, path)."""
    path = find_config(explicit, env)
    if path is None:
        return default_config(env), None
    return load_config(path, env), path
