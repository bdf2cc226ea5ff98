"""Finding, reading and validating a config file.

Search order: ``--config``, ``$CC_RELAY_CONFIG``, ``./cc-relay.yaml``,
``~/.config/cc-relay/config.yaml``. YAML and TOML are both accepted (by extension).
``${VAR}`` and ``${VAR:-default}`` are expanded inside string values after parsing (see
``_env``). Loading is a pure function of the file and the environment it is given: it
returns the config and its warnings, and prints nothing.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cc_relay.config._env import EnvRef, expand_env, unset_warnings
from cc_relay.config._errors import EXAMPLE_HINT, format_errors, problems
from cc_relay.config.lines import lines_of
from cc_relay.config.provider import ProviderConfig
from cc_relay.config.schema import RelayConfig
from cc_relay.errors import ConfigError

ENV_VAR = "CC_RELAY_CONFIG"


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """A validated config, the file it came from, and what the user should know."""

    config: RelayConfig
    path: Path | None
    """None: no file was found and the built-in defaults apply."""
    warnings: tuple[str, ...]
    """One line each, such as a ``${VAR}`` that is not set and what that did."""


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


def read_config(path: Path, env: Mapping[str, str] = os.environ) -> LoadedConfig:
    """Read, expand and validate one config file; what it did with unset variables
    comes back as warnings, for whoever loads it (serve, validate, a reload) to show."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return load_text(text, path, env)


def load_text(text: str, path: Path, env: Mapping[str, str] = os.environ) -> LoadedConfig:
    """Parse, expand and validate a config document as if it were the file ``path``."""
    data = parse_document(path, text)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of sections "
            f"(server, logging, routing, providers), got {type(data).__name__}"
        )
    expanded, refs = expand_env(data, env)
    try:
        config = validate(expanded, source=str(path), refs=refs)
        if not config.providers:
            raise ConfigError(
                f"{path}: providers: at least one provider is required ({EXAMPLE_HINT})",
                problems=[("providers", f"at least one provider is required ({EXAMPLE_HINT})")],
            )
    except ConfigError as exc:
        if path.suffix.lower() == ".toml" or not exc.problems:
            raise
        raise _with_lines(exc, text) from None
    return LoadedConfig(config, path, unset_warnings(config, refs, expanded, source=str(path)))


def _with_lines(exc: ConfigError, text: str) -> ConfigError:
    """``exc`` with each problem's line in ``text``, in the message too:
    ``  providers[0].base_url: ... (line 7)``."""
    lines = lines_of(text, [path for path, _ in exc.problems])
    message = str(exc)
    for (path, problem), line in zip(exc.problems, lines, strict=True):
        if line and path:
            old, new = f"  {path}: {problem}", f"  {path}: {problem} (line {line})"
            message = message.replace(old, new, 1)
    return ConfigError(message, problems=exc.problems, lines=lines)


def load_config(path: Path, env: Mapping[str, str] = os.environ) -> RelayConfig:
    """Read, expand and validate one config file (its warnings dropped)."""
    return read_config(path, env).config


def validate(data: dict[str, Any], *, source: str, refs: tuple[EnvRef, ...] = ()) -> RelayConfig:
    """Build a RelayConfig, turning every validation problem into one ConfigError."""
    try:
        return RelayConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, source, refs), problems=problems(exc, refs)) from None


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
) -> LoadedConfig:
    """Find and load the config, or fall back to the defaults (``path`` None)."""
    path = find_config(explicit, env)
    if path is None:
        return LoadedConfig(default_config(env), None, ())
    return read_config(path, env)
