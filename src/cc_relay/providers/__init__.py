"""Upstream providers: one class per wire dialect, built from config by `create`."""

from cc_relay.config import ProviderConfig
from cc_relay.providers.anthropic import AnthropicProvider, ZaiProvider
from cc_relay.providers.base import ModelInfo, Provider
from cc_relay.providers.ollama import OllamaProvider

_BY_TYPE: dict[str, type[Provider]] = {
    "anthropic": AnthropicProvider,
    "ollama": OllamaProvider,
    "zai": ZaiProvider,
}


def create(config: ProviderConfig) -> Provider:
    """The provider object for one config entry."""
    return _BY_TYPE[config.type](config)


__all__ = [
    "AnthropicProvider",
    "ModelInfo",
    "OllamaProvider",
    "Provider",
    "ZaiProvider",
    "create",
]
