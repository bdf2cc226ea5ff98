"""From the model name a client sent to the providers that may serve it.

Claude Code sends whatever ``/model`` or ``--model`` says. Any of these reach a provider:

- an id a provider lists, maps, matches by pattern or discovered: ``glm-4.6``;
- a provider-qualified id, ``zai/glm-4.6``, which pins the provider;
- an alias from config (exact or glob), ``haiku`` or ``claude-haiku-*``, whose target
  may itself be provider-qualified;
- a discovery id, ``anthropic/zai/glm-4.6``: Claude Code's model picker keeps only ids
  that start with ``claude`` or ``anthropic``, so non-Claude models can be listed under
  that prefix (``routing.prefix_non_claude_models``) and are mapped back here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cc_relay.config import is_pattern, model_matches
from cc_relay.providers import Provider

#: What Claude Code's picker requires a gateway model id to start with.
DISCOVERY_PREFIX = "anthropic/"


@dataclass(frozen=True, slots=True)
class Target:
    """A model id after aliases and prefixes, and the provider it is pinned to, if any."""

    model: str
    provider: Provider | None = None


class ModelResolver:
    def __init__(self, providers: Sequence[Provider], aliases: Mapping[str, str]) -> None:
        self._by_name = {p.name: p for p in providers}
        self._exact = {k: v for k, v in aliases.items() if not is_pattern(k)}
        self._globs = [(k, v) for k, v in aliases.items() if is_pattern(k)]

    def resolve(self, model: str) -> Target:
        model = self._unprefix(model)
        alias = self._exact.get(model)
        if alias is None:
            alias = next((v for k, v in self._globs if model_matches(model, (k,))), None)
        if alias is not None:
            model = self._unprefix(alias)
        name, sep, rest = model.partition("/")
        if sep and rest and name in self._by_name:
            return Target(rest, self._by_name[name])
        return Target(model)

    def _unprefix(self, model: str) -> str:
        # Only strip the discovery prefix when a provider name follows it, so an
        # upstream id such as "anthropic/claude-opus-4" on OpenRouter stays intact.
        if model.startswith(DISCOVERY_PREFIX):
            rest = model[len(DISCOVERY_PREFIX) :]
            if rest.partition("/")[0] in self._by_name:
                return rest
        return model

    def aliases(self) -> list[str]:
        return list(self._exact)


def discovery_id(provider: str, model: str) -> str:
    """The id under which a non-Claude model is listed for Claude Code's picker."""
    return f"{DISCOVERY_PREFIX}{provider}/{model}"
