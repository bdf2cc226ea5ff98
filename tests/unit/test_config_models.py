"""Which models a provider serves: ``model_matches`` and the per-type defaults."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.config import ProviderConfig, model_matches

#: Model-id-ish text with no glob characters in it.
plain_ids = st.text(
    alphabet=st.characters(blacklist_characters="*?[]", blacklist_categories=["Cs"]), min_size=1
)


@pytest.mark.parametrize(
    "model, patterns",
    [
        ("claude-sonnet-4-5", ("claude-sonnet-4-5",)),
        ("claude-sonnet-4-5", ("glm-*", "claude-*")),
        ("claude-3-haiku", ("claude-?-haiku",)),
        ("claude-3-haiku", ("claude-[34]-haiku",)),
        ("gpt-oss:20b", ("gpt-oss:*",)),
        ("a*b", ("a*b",)),
    ],
)
def test_model_matches_accepts(model: str, patterns: tuple[str, ...]) -> None:
    assert model_matches(model, patterns)


@pytest.mark.parametrize(
    "model, patterns",
    [
        ("claude-sonnet-4-5", ()),
        ("claude-sonnet-4-5", ("claude",)),
        ("claude-sonnet-4-5", ("claude-sonnet",)),
        ("claude-sonnet-4-5", ("sonnet",)),
        ("Claude-sonnet-4-5", ("claude-*",)),
        ("claude-30-haiku", ("claude-?-haiku",)),
        ("claude-5-haiku", ("claude-[34]-haiku",)),
        ("glm-4.6", ("claude-*",)),
        ("my-claude-x", ("claude-*",)),
    ],
)
def test_model_matches_rejects(model: str, patterns: tuple[str, ...]) -> None:
    assert not model_matches(model, patterns)


@given(model=plain_ids)
def test_model_matches_exact_id_matches_itself(model: str) -> None:
    assert model_matches(model, (model,))


@given(prefix=plain_ids, rest=st.text())
def test_model_matches_star_matches_any_suffix(prefix: str, rest: str) -> None:
    assert model_matches(prefix + rest, (prefix + "*",))


@given(model=plain_ids, other=plain_ids)
def test_model_matches_plain_ids_compare_exactly(model: str, other: str) -> None:
    assert model_matches(model, (other,)) == (model == other)


@pytest.mark.parametrize(
    "kind, patterns", [("anthropic", ("claude-*",)), ("zai", ("glm-*",)), ("ollama", ())]
)
def test_provider_model_patterns_default_by_type(kind: str, patterns: tuple[str, ...]) -> None:
    provider = ProviderConfig.model_validate({"name": "p", "type": kind})

    assert provider.model_patterns == patterns


def test_provider_model_patterns_replaced_by_models() -> None:
    provider = ProviderConfig.model_validate(
        {"name": "p", "type": "anthropic", "models": ["claude-opus-*"]}
    )

    assert provider.model_patterns == ("claude-opus-*",)
    assert not model_matches("claude-sonnet-4-5", provider.model_patterns)


def test_provider_listed_models_skip_patterns_and_add_mapped_ids() -> None:
    provider = ProviderConfig.model_validate(
        {
            "name": "p",
            "type": "ollama",
            "models": ["qwen3-coder", "gpt-*", "gpt-oss:20b", "qwen3-coder"],
            "model_map": {"claude-haiku-4-5": "qwen3-coder", "gpt-oss:20b": "gpt-oss:20b"},
        }
    )

    assert provider.listed_models == ("qwen3-coder", "gpt-oss:20b", "claude-haiku-4-5")
