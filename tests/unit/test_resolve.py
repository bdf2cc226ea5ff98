"""Model names: provider-qualified ids, aliases and discovery prefixes."""

from __future__ import annotations

import pytest

from cc_relay.config import ProviderConfig, RoutingConfig
from cc_relay.providers import create
from cc_relay.routing import Router, UnknownModel


def _router(**aliases: str) -> Router:
    providers = [
        create(ProviderConfig.model_validate(p))
        for p in (
            {"name": "anthropic", "type": "anthropic"},
            {"name": "zai", "type": "zai", "model_map": {"glm-fast": "glm-4.5-air"}},
            {"name": "ollama", "type": "ollama", "models": ["qwen3-coder"]},
            {"name": "openrouter", "type": "anthropic", "models": ["deepseek/*"]},
        )
    ]
    return Router(providers, RoutingConfig(strategy="round-robin"), aliases=aliases)


def _plan(router: Router, model: str) -> list[tuple[str, str]]:
    """Every attempt the plan would make, each failing so the next one comes."""
    plan, out = router.plan(model), []
    while (attempt := plan.next()) is not None:
        out.append((attempt.provider.name, attempt.upstream_model))
        plan.failed(attempt, status=503)
    return out


def test_plain_and_qualified_ids() -> None:
    router = _router()
    assert _plan(router, "glm-4.6") == [("zai", "glm-4.6")]
    assert _plan(router, "zai/glm-4.6") == [("zai", "glm-4.6")]
    assert _plan(router, "zai/glm-fast") == [("zai", "glm-4.5-air")]
    assert _plan(router, "ollama/qwen3-coder") == [("ollama", "qwen3-coder")]
    # A qualified id pins the provider even for a model it does not list.
    assert _plan(router, "ollama/llama3") == [("ollama", "llama3")]


def test_slash_ids_that_are_not_qualified_stay_whole() -> None:
    assert _plan(_router(), "deepseek/deepseek-chat") == [("openrouter", "deepseek/deepseek-chat")]


def test_aliases_exact_and_glob() -> None:
    router = _router(
        **{
            "haiku": "glm-4.5-air",
            "claude-haiku-*": "ollama/qwen3-coder",
            "big": "anthropic/claude-opus-4-8",
        }
    )
    assert _plan(router, "haiku") == [("zai", "glm-4.5-air")]
    assert _plan(router, "claude-haiku-4-5-20251001") == [("ollama", "qwen3-coder")]
    assert _plan(router, "big") == [("anthropic", "claude-opus-4-8")]
    assert _plan(router, "claude-opus-4-8") == [("anthropic", "claude-opus-4-8")]


def test_discovery_prefix_maps_back() -> None:
    router = _router()
    assert _plan(router, "anthropic/zai/glm-4.6") == [("zai", "glm-4.6")]
    assert _plan(router, "anthropic/ollama/qwen3-coder") == [("ollama", "qwen3-coder")]


def test_unknown_lists_aliases_and_models() -> None:
    with pytest.raises(UnknownModel) as caught:
        _router(haiku="glm-4.5-air").plan("gpt-9")
    assert caught.value.available[0] == "haiku"
    assert "qwen3-coder" in caught.value.available
