"""The Claude models Anthropic's API serves, for a provider that cannot say itself.

An ``anthropic`` provider with no key of its own (the default with no config file)
has nothing to ask ``/v1/models`` with, so the relay listed no models at all and the
models skill answered "none" inside Claude Code. Such a provider lists this catalog,
and, the first time a client brings a credential of its own, what the upstream's
``/v1/models`` reports to that credential (kept as the provider's discovered models
until the next refresh).

Keep ``CLAUDE_MODELS`` current: newest first, as Anthropic lists them; the ids are the
ones the Bedrock table (``providers/bedrock/models.py``) and the tests already use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

from cc_relay.headers import ANTHROPIC_BETA
from cc_relay.providers import ModelInfo, Provider
from cc_relay.providers.anthropic import AnthropicProvider
from cc_relay.providers.base import discover_all
from cc_relay.types import Credential

log = logging.getLogger("cc_relay.catalog")

#: The beta a Claude subscription token needs on Anthropic's API.
OAUTH_BETA = "oauth-2025-04-20"

CLAUDE_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("claude-opus-4-8", "Claude Opus 4.8"),
    ModelInfo("claude-opus-4-7", "Claude Opus 4.7"),
    ModelInfo("claude-sonnet-4-6", "Claude Sonnet 4.6"),
    ModelInfo("claude-opus-4-6", "Claude Opus 4.6"),
    ModelInfo("claude-opus-4-5", "Claude Opus 4.5"),
    ModelInfo("claude-haiku-4-5", "Claude Haiku 4.5"),
    ModelInfo("claude-sonnet-4-5", "Claude Sonnet 4.5"),
    ModelInfo("claude-opus-4-1", "Claude Opus 4.1"),
)


def _lists_nothing(provider: Provider) -> bool:
    """An Anthropic provider with no models in config and none discovered."""
    return (
        isinstance(provider, AnthropicProvider)
        and not provider.config.models
        and not provider.discovered
    )


def known_models(provider: Provider) -> tuple[ModelInfo, ...]:
    """The built-in catalog for a provider that would otherwise list nothing."""
    return CLAUDE_MODELS if _lists_nothing(provider) else ()


async def learn_from_client(providers: Sequence[Provider], credential: Credential | None) -> None:
    """Ask the upstream of each keyless Anthropic provider which models it serves, with
    the client's own credential; what it answers becomes the provider's model list."""
    if credential is None:
        return
    asking = [p for p in providers if isinstance(p, AnthropicProvider) and _lists_nothing(p)]
    auth = {credential.header: credential.value}
    if credential.is_oauth:
        auth[ANTHROPIC_BETA] = OAUTH_BETA
    await discover_all(
        asking,
        lambda p: cast(AnthropicProvider, p).list_models(auth),
        whose=" for the client",
    )
