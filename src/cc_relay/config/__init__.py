"""Configuration: the schema, and finding and loading files."""

from cc_relay.config.loading import (
    ConfigError,
    LoadedConfig,
    candidate_paths,
    default_config,
    find_config,
    load_config,
    read_config,
    resolve_config,
)
from cc_relay.config.schema import (
    KeyConfig,
    LoggingConfig,
    ProviderConfig,
    RelayConfig,
    RoutingConfig,
    ServerConfig,
    model_matches,
)

__all__ = [
    "ConfigError",
    "KeyConfig",
    "LoadedConfig",
    "LoggingConfig",
    "ProviderConfig",
    "RelayConfig",
    "RoutingConfig",
    "ServerConfig",
    "candidate_paths",
    "default_config",
    "find_config",
    "load_config",
    "model_matches",
    "read_config",
    "resolve_config",
]
