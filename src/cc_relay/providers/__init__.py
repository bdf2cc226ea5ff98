"""Upstream providers: one class per wire dialect, built from config by `create`.

- :mod:`~cc_relay.providers.base`: the ``Provider`` interface and its hooks (URL, auth,
  body, stream decoder, errors, model discovery).
- :mod:`~cc_relay.providers.anthropic` (Anthropic, Z.AI), ``ollama``, ``azure``,
  ``vertex``: Anthropic-dialect upstreams with their quirks and credentials.
- :mod:`~cc_relay.providers.bedrock`: SigV4, the AWS event stream, Bedrock's errors.
- :mod:`~cc_relay.providers.openai`: translation to and from chat completions.
- ``_credentials``, ``_google_auth``, ``_entra``, ``_cloud_errors``: token caches and
  error translation shared by the cloud providers; ``probe``: the health probe request.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cc_relay.config import ProviderConfig
from cc_relay.errors import ProviderSetupError
from cc_relay.providers.base import ModelInfo, Provider

if TYPE_CHECKING:
    from cc_relay.providers.anthropic import AnthropicProvider, ZaiProvider
    from cc_relay.providers.azure import AzureProvider
    from cc_relay.providers.bedrock import BedrockProvider
    from cc_relay.providers.ollama import OllamaProvider
    from cc_relay.providers.openai import OpenAIProvider
    from cc_relay.providers.vertex import VertexProvider

#: Each dialect's module and class, imported when a config first uses it: a relay with
#: only Anthropic providers never loads the Bedrock, OpenAI or Google code (about
#: 0.5 MB).
_BY_TYPE: dict[str, tuple[str, str]] = {
    "anthropic": ("cc_relay.providers.anthropic", "AnthropicProvider"),
    "azure": ("cc_relay.providers.azure", "AzureProvider"),
    "bedrock": ("cc_relay.providers.bedrock", "BedrockProvider"),
    "ollama": ("cc_relay.providers.ollama", "OllamaProvider"),
    "openai": ("cc_relay.providers.openai", "OpenAIProvider"),
    "vertex": ("cc_relay.providers.vertex", "VertexProvider"),
    "zai": ("cc_relay.providers.anthropic", "ZaiProvider"),
}
_CLASSES = {name: module for module, name in _BY_TYPE.values()}


def create(config: ProviderConfig) -> Provider:
    """The provider object for one config entry."""
    module, name = _BY_TYPE[config.type]
    cls: type[Provider] = getattr(importlib.import_module(module), name)
    return cls(config)


def __getattr__(name: str) -> Any:
    module = _CLASSES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AnthropicProvider",
    "AzureProvider",
    "BedrockProvider",
    "ModelInfo",
    "OllamaProvider",
    "OpenAIProvider",
    "Provider",
    "ProviderSetupError",
    "VertexProvider",
    "ZaiProvider",
    "create",
]
