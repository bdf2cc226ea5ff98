"""The provider's own choices: URLs, headers, the output-limit field, answers."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from cc_relay import __version__
from cc_relay.config import KeyConfig, ProviderConfig
from cc_relay.providers import OpenAIProvider, create
from cc_relay.providers.openai.stream import ChatStreamDecoder
from cc_relay.types import Credential, RelayRequest, UpstreamAnswer


def make(base_url: str, **extra: Any) -> OpenAIProvider:
    provider = create(ProviderConfig(name="oai", type="openai", base_url=base_url, **extra))
    assert isinstance(provider, OpenAIProvider)
    return provider


def request(stream: bool = False, **body: Any) -> RelayRequest:
    body = {
        "model": "claude-opus-4-8",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "hi"}],
        **body,
    }
    headers = CIMultiDictProxy(
        CIMultiDict({"x-api-key": "sk-ant-client", "anthropic-version": "2023-06-01"})
    )
    return RelayRequest(
        id="r1",
        path="/v1/messages",
        query="",
        headers=headers,
        raw=orjson.dumps(body),
        body=body,
        model="claude-opus-4-8",
        stream=stream,
        credential=Credential("x-api-key", "sk-ant-client"),
    )


@pytest.mark.parametrize(
    ("base_url", "endpoint"),
    [
        ("https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"),
        ("https://openrouter.ai/api/v1/", "https://openrouter.ai/api/v1/chat/completions"),
        ("http://localhost:8000", "http://localhost:8000/v1/chat/completions"),
        ("http://localhost:8000/", "http://localhost:8000/v1/chat/completions"),
        ("https://api.deepseek.com/beta", "https://api.deepseek.com/beta/chat/completions"),
    ],
)
def test_endpoint_from_base_url(base_url: str, endpoint: str) -> None:
    assert make(base_url).url(request(), "gpt-5") == endpoint


@pytest.mark.parametrize(
    ("base_url", "field"),
    [
        ("https://api.openai.com/v1", "max_completion_tokens"),
        ("https://openrouter.ai/api/v1", "max_tokens"),
        ("http://127.0.0.1:8080/v1", "max_tokens"),
    ],
)
def test_output_limit_field(base_url: str, field: str) -> None:
    body = orjson.loads(make(base_url).body(request(), "gpt-5"))
    assert body[field] == 10 and body["model"] == "gpt-5"
    assert len({"max_tokens", "max_completion_tokens"} & set(body)) == 1


@pytest.mark.parametrize(
    ("base_url", "replayed"),
    [("https://api.openai.com/v1", False), ("https://api.deepseek.com", True)],
)
def test_reasoning_replayed_except_to_openai(base_url: str, replayed: bool) -> None:
    history = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "t", "signature": ""},
                {"type": "text", "text": "x"},
            ],
        },
        {"role": "user", "content": "more"},
    ]
    body = orjson.loads(make(base_url).body(request(messages=history), "m"))
    assert ("reasoning_content" in body["messages"][1]) is replayed


async def test_headers_carry_only_the_provider_key() -> None:
    provider = make("http://h/v1", keys=["sk-oa"])
    headers = await provider.headers(
        request(stream=True), KeyConfig(key="sk-oa"), url="http://h/v1/chat/completions", body=b"{}"
    )
    assert headers == {
        "content-type": "application/json",
        "accept": "text/event-stream",
        "accept-encoding": "identity",
        "authorization": "Bearer sk-oa",
        "user-agent": f"cc-relay/{__version__}",
    }
    keyless = await provider.headers(request(), None, url="u", body=b"{}")
    assert "authorization" not in keyless and keyless["accept"] == "application/json"
    assert provider.auth_headers(None, Credential("authorization", "Bearer sk-ant-oat01-x")) == {}


def test_answers_and_errors_are_translated() -> None:
    provider = make("http://h/v1")
    assert not provider.counts_tokens and not provider.passes_client_credentials
    assert provider.is_stream("text/event-stream") and provider.is_stream("text/plain")
    assert not provider.is_stream("application/json")
    assert isinstance(provider.decoder(client_model="m"), ChatStreamDecoder)
    whole = orjson.loads(
        provider.whole(
            orjson.dumps(
                {
                    "id": "c",
                    "model": "gpt-5",
                    "choices": [
                        {"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}
                    ],
                }
            )
        )
    )
    assert whole["content"] == [{"type": "text", "text": "ok"}]
    error = provider.error(UpstreamAnswer(404, {}, b'{"error": {"message": "no model"}}'))
    assert orjson.loads(error.body)["error"] == {"type": "not_found_error", "message": "no model"}
