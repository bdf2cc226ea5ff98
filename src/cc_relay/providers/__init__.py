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

from cc_relay.config import ProviderConfig
from cc_relay.errors import ProviderSetupError
from cc_relay.providers.anthropic import AnthropicProvider, ZaiProvider
from cc_relay.providers.azure import AzureProvider
from cc_relay.providers.base import ModelInfo, Provider
from cc_relay.providers.bedrock import BedrockProvider
from cc_relay.providers.ollama import OllamaProvider
from cc_relay.providers.openai import OpenAIProvider
from cc_relay.providers.vertex import VertexProvider

_BY_TYPE: dict[str, type[Provider]] = {
    "anthropic": AnthropicProvider,
    "azure": AzureProvider,
    "bedrock": BedrockProvider,
    "ollama": OllamaProvider,
    "openai": OpenAIProvider,
    "vertex": VertexProvider,
    "zai": ZaiProvider,
}


def create(config: ProviderConfig) -> Provider:
    """The provider object for one config entry."""
    return _BY_TYPE[config.type](config)


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
