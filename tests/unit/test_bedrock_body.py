"""The request Bedrock gets: URL, body (version, betas, count-tokens wrapper), headers."""

from __future__ import annotations

import base64
import logging
from typing import Any

import orjson
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from cc_relay.config import KeyConfig, ProviderConfig
from cc_relay.providers.bedrock import BedrockProvider
from cc_relay.providers.bedrock.body import SUPPORTED_BETAS, filter_betas, header_betas
from cc_relay.thinking import SignatureLedger
from cc_relay.types import RelayRequest

BODY: dict[str, Any] = {
    "model": "claude-opus-4-8",
    "max_tokens": 64000,
    "stream": True,
    "thinking": {"type": "adaptive"},
    "output_config": {"effort": "high"},
    "metadata": {"user_id": '{"device":"d"}'},
    "future_field": {"x": [1, 2.5]},
    "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
    "messages": [{"role": "user", "content": "hi"}],
}


def _provider(**extra: Any) -> BedrockProvider:
    return BedrockProvider(
        ProviderConfig(name="bedrock", type="bedrock", region="us-east-1", **extra)
    )


def _request(
    body: dict[str, Any] | None = None,
    *,
    path: str = "/v1/messages",
    headers: list[tuple[str, str]] | None = None,
) -> RelayRequest:
    body = BODY if body is None else body
    raw = orjson.dumps(body)
    return RelayRequest(
        id="req_1",
        path=path,
        query="beta=true",
        headers=CIMultiDictProxy(CIMultiDict(headers or [])),
        raw=raw,
        body=body,
        model=body["model"],
        stream=bool(body.get("stream")),
    )


def test_body_drops_model_and_stream_and_adds_the_bedrock_version() -> None:
    sent = orjson.loads(_provider().body(_request(), "us.anthropic.claude-opus-4-8"))
    expected = {k: v for k, v in BODY.items() if k not in ("model", "stream")}
    assert sent == {**expected, "anthropic_version": "bedrock-2023-05-31"}


def test_betas_from_every_header_line_go_into_the_body_filtered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = _provider()
    headers = [
        ("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14"),
        ("Anthropic-Beta", " context-1m-2025-08-07 , oauth-2025-04-20,"),
        ("anthropic-beta", "interleaved-thinking-2025-05-14"),
    ]
    with caplog.at_level(logging.INFO, "cc_relay.providers.bedrock"):
        sent = orjson.loads(provider.body(_request(headers=headers), "x"))
        provider.body(_request(headers=headers), "x")
    assert sent["anthropic_beta"] == ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07"]
    dropped = [r.getMessage() for r in caplog.records if "does not take" in r.getMessage()]
    assert dropped == [
        "provider 'bedrock': Bedrock does not take anthropic-beta "
        "claude-code-20250219, oauth-2025-04-20; not sending it"
    ]


def test_no_betas_means_no_anthropic_beta_field() -> None:
    headers = [("anthropic-beta", "claude-code-20250219")]
    assert "anthropic_beta" not in orjson.loads(_provider().body(_request(headers=headers), "x"))


def test_betas_already_in_the_body_are_filtered_too() -> None:
    body = {**BODY, "anthropic_beta": ["token-efficient-tools-2025-02-19", "made-up-beta"]}
    headers = [("anthropic-beta", "advanced-tool-use-2025-11-20")]
    sent = orjson.loads(_provider().body(_request(body, headers=headers), "x"))
    assert sent["anthropic_beta"] == [
        "tool-search-tool-2025-10-19",
        "token-efficient-tools-2025-02-19",
    ]


def test_filter_betas_renames_dedupes_and_reports() -> None:
    kept, dropped = filter_betas(
        header_betas(["advanced-tool-use-2025-11-20,tool-search-tool-2025-10-19", "x-1,x-1"])
    )
    assert (kept, dropped) == (["tool-search-tool-2025-10-19"], ["x-1"])
    assert "claude-code-20250219" not in SUPPORTED_BETAS


def test_foreign_thinking_is_guarded_like_any_provider() -> None:
    body = {
        **BODY,
        "stream": False,
        "thinking": {"type": "disabled"},
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "t", "signature": "glm-sig"},
                    {"type": "text", "text": "a"},
                ],
            },
            {"role": "user", "content": "more"},
        ],
    }
    provider = _provider()
    provider.signatures = SignatureLedger()
    provider.signatures.record("glm-sig", "zai")
    sent = orjson.loads(provider.body(_request(body), "x"))
    assert sent["messages"][1]["content"] == [{"type": "text", "text": "a"}]


@pytest.mark.parametrize(
    ("thinking", "max_tokens"),
    [(None, 1), ({"type": "enabled", "budget_tokens": 2048}, 2049), ({"type": "adaptive"}, 1)],
)
def test_count_tokens_wraps_the_invoke_body(
    thinking: dict[str, Any] | None, max_tokens: int
) -> None:
    body = {
        "model": "claude-opus-4-8",
        "messages": [{"role": "user", "content": "hi"}],
        "system": "be brief",
        **({"thinking": thinking} if thinking else {}),
    }
    headers = [("anthropic-beta", "context-1m-2025-08-07,token-counting-2024-11-01")]
    request = _request(body, path="/v1/messages/count_tokens", headers=headers)
    sent = orjson.loads(_provider().body(request, "us.anthropic.claude-opus-4-8"))
    inner = orjson.loads(base64.b64decode(sent["input"]["invokeModel"]["body"]))
    assert list(sent) == ["input"] and list(sent["input"]) == ["invokeModel"]
    assert inner == {
        **{k: v for k, v in body.items() if k != "model"},
        "anthropic_version": "bedrock-2023-05-31",
        "anthropic_beta": ["context-1m-2025-08-07"],
        "max_tokens": max_tokens,
    }


@pytest.mark.parametrize(
    ("path", "stream", "model", "url"),
    [
        (
            "/v1/messages",
            False,
            "us.anthropic.claude-opus-4-8",
            "/model/us.anthropic.claude-opus-4-8/invoke",
        ),
        (
            "/v1/messages",
            True,
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke-with-response-stream",
        ),
        (
            "/v1/messages/count_tokens",
            False,
            "global.anthropic.claude-haiku-4-5-20251001-v1:0",
            "/model/anthropic.claude-haiku-4-5-20251001-v1:0/count-tokens",
        ),
        (
            "/v1/messages",
            False,
            "arn:aws:bedrock:us-east-1:123:application-inference-profile/a b",
            "/model/arn:aws:bedrock:us-east-1:123:application-inference-profile%2Fa%20b/invoke",
        ),
    ],
)
def test_url(path: str, stream: bool, model: str, url: str) -> None:
    provider = _provider(base_url="https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com")
    request = _request({**BODY, "stream": stream}, path=path)
    assert provider.url(request, model) == provider.base_url + url


def test_default_endpoint_is_the_regional_runtime() -> None:
    provider = BedrockProvider(ProviderConfig(name="b", type="bedrock", region="eu-west-3"))
    assert provider.url(_request({**BODY, "stream": False}), "eu.anthropic.x") == (
        "https://bedrock-runtime.eu-west-3.amazonaws.com/model/eu.anthropic.x/invoke"
    )


async def test_headers_send_nothing_of_the_clients() -> None:
    provider = _provider()
    client_headers = [
        ("x-api-key", "sk-ant-client"),
        ("authorization", "Bearer sk-ant-oat01-x"),
        ("anthropic-version", "2023-06-01"),
        ("x-claude-code-session-id", "s"),
        ("user-agent", "claude-cli/2.1.197"),
        ("anthropic-beta", "x"),
    ]
    request = _request(headers=client_headers)
    url = provider.url(request, "us.anthropic.claude-opus-4-8")
    headers = await provider.headers(
        request, KeyConfig(key="ABSKkey"), url=url, body=provider.body(request, "m")
    )
    assert headers == {
        "host": "bedrock-runtime.us-east-1.amazonaws.com",
        "content-type": "application/json",
        "authorization": "Bearer ABSKkey",
        "accept": "application/vnd.amazon.eventstream",
        "x-amzn-bedrock-accept": "application/json",
        "accept-encoding": "identity",
        "user-agent": headers["user-agent"],
    }
    assert headers["user-agent"].startswith("cc-relay/")
