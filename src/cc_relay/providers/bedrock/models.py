"""Anthropic model ids -> Bedrock model ids, when the config's ``model_map`` says nothing.

Bedrock names Claude differently and, for every recent model, only serves it through a
cross-region *inference profile*: the base id behind a geography prefix
(``us.anthropic.claude-sonnet-4-5-20250929-v1:0``). The default mapping is:

1. Ids already in Bedrock form pass as they are: anything holding ``anthropic.``
   (base ids and profiles) and ARNs (provisioned throughput, application profiles).
2. A few models have ids that no rule derives; `KNOWN_IDS` lists them (Anthropic's
   "Claude on Amazon Bedrock" model table: Opus 4.6 is ``anthropic.claude-opus-4-6-v1``,
   and the undated aliases of dated models point at their dated Bedrock id).
3. A dated Anthropic id becomes ``anthropic.<id>-v1:0``
   (``claude-haiku-4-5-20251001`` -> ``anthropic.claude-haiku-4-5-20251001-v1:0``).
4. Any other id becomes ``anthropic.<id>``: how Bedrock names the models released since
   Sonnet 4.6 (``anthropic.claude-sonnet-4-6``, ``anthropic.claude-opus-4-7``,
   ``anthropic.claude-opus-4-8``; AWS's adaptive-thinking model table).

The result then gets the inference-profile prefix of the provider's region's geography
(`profile_prefix`: ``us.``, ``eu.``, ``jp.``, ``apac.``, ``us-gov.``, else ``global.``).
Not every model has a profile in every geography and AWS adds models faster than any
table: for an exact id (or to pin a geography, or a provisioned-throughput ARN), set
``model_map`` in the provider's config; it always wins.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "KNOWN_IDS",
    "PROFILE_PREFIXES",
    "bedrock_model_id",
    "foundation_model_id",
    "profile_prefix",
]

#: Anthropic ids whose Bedrock base id no rule derives.
KNOWN_IDS: Final[dict[str, str]] = {
    "claude-opus-4-6": "anthropic.claude-opus-4-6-v1",
    "claude-opus-4-5": "anthropic.claude-opus-4-5-20251101-v1:0",
    "claude-opus-4-1": "anthropic.claude-opus-4-1-20250805-v1:0",
    "claude-opus-4-0": "anthropic.claude-opus-4-20250514-v1:0",
    "claude-opus-4": "anthropic.claude-opus-4-20250514-v1:0",
    "claude-sonnet-4-5": "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "claude-sonnet-4-0": "anthropic.claude-sonnet-4-20250514-v1:0",
    "claude-sonnet-4": "anthropic.claude-sonnet-4-20250514-v1:0",
    "claude-haiku-4-5": "anthropic.claude-haiku-4-5-20251001-v1:0",
    "claude-3-7-sonnet-latest": "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "claude-3-5-haiku-latest": "anthropic.claude-3-5-haiku-20241022-v1:0",
}

#: Geography prefixes of Bedrock's cross-region inference profiles.
PROFILE_PREFIXES: Final = ("us-gov.", "global.", "apac.", "us.", "eu.", "jp.", "au.", "ca.")

_DATED = re.compile(r"-\d{8}$")


def profile_prefix(region: str) -> str:
    """The inference-profile geography for a region (``global.`` when none fits)."""
    if region.startswith("us-gov-"):
        return "us-gov."
    if region.startswith("us-"):
        return "us."
    if region.startswith("eu-"):
        return "eu."
    if region in ("ap-northeast-1", "ap-northeast-3"):
        return "jp."
    if region.startswith("ap-"):
        return "apac."
    return "global."


def bedrock_model_id(model: str, *, region: str) -> str:
    """The Bedrock model id (an inference profile) for an Anthropic model id."""
    if "anthropic." in model or model.startswith("arn:"):
        return model
    base = KNOWN_IDS.get(model)
    if base is None:
        base = f"anthropic.{model}-v1:0" if _DATED.search(model) else f"anthropic.{model}"
    return profile_prefix(region) + base


def foundation_model_id(model_id: str) -> str:
    """The base model behind an inference profile id: Bedrock's CountTokens accepts only
    foundation-model ids and answers a profile id with a ValidationException."""
    for prefix in PROFILE_PREFIXES:
        if model_id.startswith(prefix) and model_id[len(prefix) :].startswith("anthropic."):
            return model_id[len(prefix) :]
    return model_id
