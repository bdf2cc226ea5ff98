"""Configuration: the schema, and finding and loading files."""

from cc_relay.config.loading import (
    ConfigError,
    candidate_paths,
    default_config,
    find_config,
    load_config,
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
    "resolve_config",
]
