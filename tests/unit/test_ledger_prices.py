"""The price table, the config's overrides, and the arithmetic."""

from __future__ import annotations

import pytest

from cc_relay.config.loading import validate
from cc_relay.ledger.prices import Price, Pricer, builtin_price, claude_family, cost
from cc_relay.types import Usage


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
        ("claude-opus-4-5@20251101", "claude-opus-4-5"),
        ("claude-opus-4-20250514", "claude-opus-4"),
        ("claude-3-5-haiku-20241022", "claude-3-5-haiku"),
        ("claude-haiku-4-5", "claude-haiku-4-5"),
    ],
)
def test_claude_family_strips_dates_and_platform_decoration(model: str, family: str) -> None:
    assert claude_family(model) == family


def test_builtin_prices_by_provider_type() -> None:
    assert builtin_price("bedrock", "global.anthropic.claude-haiku-4-5-20251001-v1:0") == (
        Price(1.0, 5.0, 0.10, 1.25),
        "builtin:bedrock/claude-haiku-4-5",
    )
    assert builtin_price("vertex", "claude-opus-4-8")[0].input == 5.0  # type: ignore[index]
    assert builtin_price("zai", "GLM-4.5-Air") == (
        Price(0.2, 1.1, 0.03, 0.2),
        "builtin:zai/glm-4.5-air",
    )
    assert builtin_price("azure", "claude-opus-4-8") is None
    assert builtin_price("anthropic", "claude-future-9") is None
    assert builtin_price("openai", "gpt-5") is None


def test_cost_counts_every_kind_and_long_context() -> None:
    price = Price(3.0, 15.0, 0.30, 3.75, long=Price(6.0, 22.5, 0.60, 7.5))
    usage = Usage(input_tokens=1_000, output_tokens=100, cache_read_input_tokens=10_000,
                  cache_creation_input_tokens=2_000)  # fmt: skip
    assert cost(price, usage) == (1_000 * 3 + 100 * 15 + 10_000 * 0.3 + 2_000 * 3.75) / 1e6
    long = Usage(input_tokens=150_000, output_tokens=10, cache_read_input_tokens=60_000)
    assert cost(price, long) == (150_000 * 6 + 10 * 22.5 + 60_000 * 0.6) / 1e6
    assert cost(price, Usage()) == 0.0


def test_pricer_order_model_pricing_then_pricing_then_builtin() -> None:
    config = validate(
        {"providers": [
            {"name": "a", "type": "anthropic", "pricing": {"input": 1, "output": 2},
             "model_pricing": {"claude-opus-*": {"input": 10, "output": 20, "cache_read": 1}}},
            {"name": "b", "type": "anthropic"},
            {"name": "c", "type": "ollama", "base_url": "http://127.0.0.1:1"},
        ]},
        source="test",
    )  # fmt: skip
    pricer = Pricer(config)
    usage = Usage(input_tokens=1_000_000, cache_read_input_tokens=1_000_000,
                  cache_creation_input_tokens=1_000_000)  # fmt: skip
    opus = pricer.quote("a", "claude-opus-4-8", usage)
    assert (opus.cost, opus.source) == (10 + 1 + 10, "config:model_pricing[claude-opus-*]")
    # No cache prices given: cache tokens cost what input costs.
    assert pricer.quote("a", "claude-haiku-4-5", usage).cost == 3.0
    assert (
        pricer.quote("b", "claude-haiku-4-5", usage).source == "builtin:anthropic/claude-haiku-4-5"
    )
    unknown = pricer.quote("c", "qwen3", usage)
    assert unknown.cost is None and unknown.source is None
    assert pricer.quote(None, None, usage).cost is None
