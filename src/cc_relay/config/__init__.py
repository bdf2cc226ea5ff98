"""Configuration: the schema, and finding and loading files."""

from cc_relay.config.loading import (
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
    is_pattern,
    model_matches,
)
from cc_relay.errors import ConfigError

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
    "is_pattern",
    "load_config",
    "model_matches",
    "read_config",
    "resolve_config",
]
