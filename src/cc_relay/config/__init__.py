"""Configuration: the schema, finding and loading files, diffing and watching them.

- :mod:`~cc_relay.config.schema`: the relay's sections (server, admin, logging, routing,
  ledger, state) and ``RelayConfig``; :mod:`~cc_relay.config.provider`: one provider, its
  keys, limits, timeouts, prices, circuit and probe settings. Both are frozen pydantic
  models (``_base.Frozen``) with their named defaults.
- :mod:`~cc_relay.config.loading`: search order, YAML/TOML, ``${VAR}`` expansion
  (:mod:`~cc_relay.config._env`), errors naming file, key path and fix
  (:mod:`~cc_relay.config._errors`).
- :mod:`~cc_relay.config.diff`: what changed between two configs, for reloads.
- :mod:`~cc_relay.config.watch`: the file watch behind hot reload.
- ``example.yaml``: the commented reference (``cc-relay config example``).
"""

from cc_relay.config.loading import (
    LoadedConfig,
    candidate_paths,
    default_config,
    find_config,
    load_config,
    read_config,
    resolve_config,
)
from cc_relay.config.provider import Budget, KeyConfig, ProviderConfig, is_pattern, model_matches
from cc_relay.config.schema import (
    ClientKey,
    LedgerConfig,
    LoggingConfig,
    RelayConfig,
    RoutingConfig,
    ServerConfig,
    StateConfig,
)
from cc_relay.errors import ConfigError

__all__ = [
    "Budget",
    "ClientKey",
    "ConfigError",
    "KeyConfig",
    "LedgerConfig",
    "LoadedConfig",
    "LoggingConfig",
    "ProviderConfig",
    "RelayConfig",
    "RoutingConfig",
    "ServerConfig",
    "StateConfig",
    "candidate_paths",
    "default_config",
    "find_config",
    "is_pattern",
    "load_config",
    "model_matches",
    "read_config",
    "resolve_config",
]
