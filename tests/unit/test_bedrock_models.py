"""Anthropic model ids -> Bedrock model ids and inference profiles."""

from __future__ import annotations

import pytest

from cc_relay.config import ProviderConfig
from cc_relay.providers.bedrock import BedrockProvider
from cc_relay.providers.bedrock.models import (
    bedrock_model_id,
    foundation_model_id,
    profile_prefix,
)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # Released since Sonnet 4.6: the bare name (AWS's adaptive-thinking model table).
        ("claude-opus-4-8", "us.anthropic.claude-opus-4-8"),
        ("claude-opus-4-7", "us.anthropic.claude-opus-4-7"),
        ("claude-sonnet-4-6", "us.anthropic.claude-sonnet-4-6"),
        ("claude-fable-5", "us.anthropic.claude-fable-5"),
        # Ids no rule derives (Anthropic's Bedrock model table).
        ("claude-opus-4-6", "us.anthropic.claude-opus-4-6-v1"),
        ("claude-sonnet-4-5", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("claude-haiku-4-5", "us.anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("claude-opus-4-1", "us.anthropic.claude-opus-4-1-20250805-v1:0"),
        ("claude-sonnet-4-0", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
        # Dated ids gain Bedrock's version suffix.
        ("claude-sonnet-4-5-20250929", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("claude-3-7-sonnet-20250219", "us.anthropic.claude-3-7-sonnet-20250219-v1:0"),
        # Already Bedrock ids: unchanged.
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("eu.anthropic.claude-opus-4-8", "eu.anthropic.claude-opus-4-8"),
        ("global.anthropic.claude-opus-4-8", "global.anthropic.claude-opus-4-8"),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
        ),
    ],
)
def test_default_mapping(model: str, expected: str) -> None:
    assert bedrock_model_id(model, region="us-east-1") == expected


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("us-east-1", "us."),
        ("us-west-2", "us."),
        ("us-gov-west-1", "us-gov."),
        ("eu-central-1", "eu."),
        ("eu-west-3", "eu."),
        ("ap-northeast-1", "jp."),
        ("ap-northeast-3", "jp."),
        ("ap-southeast-2", "apac."),
        ("ap-south-1", "apac."),
        ("ca-central-1", "global."),
        ("sa-east-1", "global."),
        ("me-central-1", "global."),
    ],
)
def test_profile_prefix_follows_the_region(region: str, prefix: str) -> None:
    assert profile_prefix(region) == prefix
    assert bedrock_model_id("claude-opus-4-8", region=region) == (
        f"{prefix}anthropic.claude-opus-4-8"
    )


@pytest.mark.parametrize(
    ("model_id", "foundation"),
    [
        ("us.anthropic.claude-opus-4-8", "anthropic.claude-opus-4-8"),
        (
            "us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
        ),
        (
            "global.anthropic.claude-haiku-4-5-20251001-v1:0",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
        ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"),
        ("anthropic.claude-opus-4-6-v1", "anthropic.claude-opus-4-6-v1"),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-8",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-opus-4-8",
        ),
        ("us.meta.llama3-70b", "us.meta.llama3-70b"),
    ],
)
def test_foundation_model_id_strips_profile_prefixes(model_id: str, foundation: str) -> None:
    assert foundation_model_id(model_id) == foundation


def test_model_map_wins_over_the_default() -> None:
    provider = BedrockProvider(
        ProviderConfig(
            name="b",
            type="bedrock",
            region="eu-west-1",
            model_map={"claude-opus-4-8": "arn:aws:bedrock:eu-west-1:1:provisioned-model/x"},
        )
    )
    assert provider.upstream_model("claude-opus-4-8") == (
        "arn:aws:bedrock:eu-west-1:1:provisioned-model/x"
    )
    assert provider.upstream_model("claude-sonnet-4-6") == "eu.anthropic.claude-sonnet-4-6"


@pytest.mark.parametrize(
    "model", ["claude-opus-4-8", "anthropic.claude-opus-4-6-v1", "us.anthropic.claude-opus-4-8"]
)
def test_bedrock_serves_claude_and_bedrock_ids_by_default(model: str) -> None:
    provider = BedrockProvider(ProviderConfig(name="b", type="bedrock", region="us-east-1"))
    assert provider.serves(model)
    assert not provider.serves("gpt-5")
