"""What a request cost: the built-in price table, the config's overrides, and the sum.

USD per million tokens. A provider's ``model_pricing`` (ids or globs, matched against
the upstream model id) wins, then its ``pricing``, then this table. A model priced
nowhere costs ``None``, never 0: the ledger stores NULL and every report shows it as
unknown. A config price without ``cache_read`` / ``cache_write`` charges cache tokens at
its ``input`` price (never less than they cost, at worst more).

The table, with where each figure comes from:

- Anthropic (https://platform.claude.com/docs/en/about-claude/pricing, "Model pricing";
  5-minute cache writes, cache hits): Opus 4.5, 4.6, 4.7, 4.8 $5 / $25, writes $6.25,
  hits $0.50; Opus 4 and 4.1 $15 / $75, $18.75, $1.50; Sonnet 3.7, 4, 4.5, 4.6 $3 / $15,
  $3.75, $0.30; Haiku 4.5 $1 / $5, $1.25, $0.10; Haiku 3.5 $0.80 / $4, $1, $0.08;
  Haiku 3 $0.25 / $1.25, $0.30, $0.03. Sonnet 4 and 4.5 above 200K input tokens (the
  1M-context beta; "Long context pricing") $6 / $22.50, writes $7.50, hits $0.60.
  Writes are priced at the 5-minute rate: the usage the relay sees does not split
  5-minute from 1-hour writes.
- Amazon Bedrock and Google Vertex AI list Claude at Anthropic's prices (the global /
  cross-region endpoints; https://aws.amazon.com/bedrock/pricing/,
  https://cloud.google.com/vertex-ai/generative-ai/pricing). Their regional endpoints
  cost 10% more for the newest models; that premium is not in this table.
- Z.AI (https://docs.z.ai/guides/overview/pricing): GLM-4.7, GLM-4.6 and GLM-4.5 $0.60 /
  $2.20, cached input $0.11; GLM-4.5-Air $0.20 / $1.10, cached $0.03; GLM-4.5-X $2.20 /
  $8.90, cached $0.45; GLM-4.5-AirX $1.10 / $4.50, cached $0.22; GLM-4.5-Flash free.
  Z.AI does not charge cache storage, so a cache write costs the input price.
- Azure AI Foundry, Ollama and OpenAI-compatible servers have no built-in prices: give
  them ``pricing`` in the config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cc_relay.config import ProviderConfig, RelayConfig
    from cc_relay.config.provider import Pricing
    from cc_relay.types import Usage

#: Input tokens (cache included) above which long-context prices apply, where they exist.
LONG_CONTEXT_TOKENS = 200_000
_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens of each kind."""

    input: float
    output: float
    cache_read: float
    cache_write: float
    long: Price | None = None
    """Prices for a request with more than LONG_CONTEXT_TOKENS of input, if different."""


@dataclass(frozen=True, slots=True)
class Quote:
    """What one request cost, and where the price came from."""

    cost: float | None
    """USD; None when no price is known."""
    source: str | None
    """``config:model_pricing[<pattern>]``, ``config:pricing``, ``builtin:<family>``."""


_OPUS_45 = Price(5.0, 25.0, 0.50, 6.25)
_OPUS_4 = Price(15.0, 75.0, 1.50, 18.75)
_SONNET = Price(3.0, 15.0, 0.30, 3.75)
_SONNET_LONG = Price(3.0, 15.0, 0.30, 3.75, long=Price(6.0, 22.5, 0.60, 7.5))
_HAIKU_45 = Price(1.0, 5.0, 0.10, 1.25)

#: Claude model families (id with date and platform decoration removed) -> price.
CLAUDE: dict[str, Price] = {
    "claude-opus-4-8": _OPUS_45,
    "claude-opus-4-7": _OPUS_45,
    "claude-opus-4-6": _OPUS_45,
    "claude-opus-4-5": _OPUS_45,
    "claude-opus-4-1": _OPUS_4,
    "claude-opus-4": _OPUS_4,
    "claude-sonnet-4-6": _SONNET,
    "claude-sonnet-4-5": _SONNET_LONG,
    "claude-sonnet-4": _SONNET_LONG,
    "claude-3-7-sonnet": _SONNET,
    "claude-haiku-4-5": _HAIKU_45,
    "claude-3-5-haiku": Price(0.80, 4.0, 0.08, 1.0),
    "claude-3-haiku": Price(0.25, 1.25, 0.03, 0.30),
}

#: Z.AI's GLM models -> price.
GLM: dict[str, Price] = {
    "glm-4.7": Price(0.60, 2.20, 0.11, 0.60),
    "glm-4.6": Price(0.60, 2.20, 0.11, 0.60),
    "glm-4.5": Price(0.60, 2.20, 0.11, 0.60),
    "glm-4.5-air": Price(0.20, 1.10, 0.03, 0.20),
    "glm-4.5-x": Price(2.20, 8.90, 0.45, 2.20),
    "glm-4.5-airx": Price(1.10, 4.50, 0.22, 1.10),
    "glm-4.5-flash": Price(0.0, 0.0, 0.0, 0.0),
}

#: Provider types whose upstream bills Claude at Anthropic's list prices.
CLAUDE_PROVIDERS = frozenset({"anthropic", "bedrock", "vertex"})

# Bedrock: "us.anthropic.claude-sonnet-4-5-20250929-v1:0"; Vertex: "claude-sonnet-4-5@20250929";
# Anthropic: "claude-sonnet-4-5-20250929", "claude-sonnet-4-5".
_DECORATION = re.compile(
    r"^(?:(?:us|eu|apac|jp|au|ca|global|us-gov)\.)?(?:anthropic\.)?"
    r"(?P<model>.+?)(?:-\d{8})?(?:-v\d+(?::\d+)?)?(?:@.*)?(?:\[1m\])?$"
)


def claude_family(model: str) -> str:
    """A Claude model id without its date, platform prefix or version suffix."""
    match = _DECORATION.match(model.lower())
    return match["model"] if match else model.lower()


def builtin_price(provider_type: str, model: str) -> tuple[Price, str] | None:
    if provider_type in CLAUDE_PROVIDERS:
        family = claude_family(model)
        price = CLAUDE.get(family)
        return None if price is None else (price, f"builtin:{provider_type}/{family}")
    if provider_type == "zai":
        name = model.lower()
        price = GLM.get(name)
        return None if price is None else (price, f"builtin:zai/{name}")
    return None


def from_config(pricing: Pricing) -> Price:
    return Price(
        pricing.input,
        pricing.output,
        pricing.input if pricing.cache_read is None else pricing.cache_read,
        pricing.input if pricing.cache_write is None else pricing.cache_write,
    )


def cost(price: Price, usage: Usage) -> float:
    """USD for ``usage`` at ``price`` (long-context prices when the input is that long)."""
    tokens_in = usage.input_tokens or 0
    cache_read = usage.cache_read_input_tokens or 0
    cache_write = usage.cache_creation_input_tokens or 0
    if price.long is not None and tokens_in + cache_read + cache_write > LONG_CONTEXT_TOKENS:
        price = price.long
    return (
        tokens_in * price.input
        + (usage.output_tokens or 0) * price.output
        + cache_read * price.cache_read
        + cache_write * price.cache_write
    ) / _MILLION


class Pricer:
    """Prices for one config, memoised per (provider, model): the lookup runs once."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self._providers: dict[str, ProviderConfig] = {p.name: p for p in config.providers}
        self._memo: dict[tuple[str, str], tuple[Price, str] | None] = {}

    def price(self, provider: str, model: str) -> tuple[Price, str] | None:
        memo_key = (provider, model)
        if memo_key not in self._memo:
            self._memo[memo_key] = self._lookup(provider, model)
        return self._memo[memo_key]

    def _lookup(self, provider: str, model: str) -> tuple[Price, str] | None:
        from cc_relay.config import model_matches

        entry = self._providers.get(provider)
        if entry is None:
            return None
        for pattern, pricing in entry.model_pricing.items():
            if model_matches(model, (pattern,)):
                return from_config(pricing), f"config:model_pricing[{pattern}]"
        if entry.pricing is not None:
            return from_config(entry.pricing), "config:pricing"
        return builtin_price(entry.type, model)

    def quote(self, provider: str | None, model: str | None, usage: Usage) -> Quote:
        if provider is None or model is None:
            return Quote(None, None)
        found = self.price(provider, model)
        if found is None:
            return Quote(None, None)
        price, source = found
        return Quote(cost(price, usage), source)
