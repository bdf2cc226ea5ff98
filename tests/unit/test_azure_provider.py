"""AzureProvider: configuration checks, URL, auth headers, Entra credential lifecycle, errors."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from cc_relay.config import KeyConfig, ProviderConfig
from cc_relay.errors import ProviderSetupError
from cc_relay.providers import AzureProvider, _entra, create
from cc_relay.types import Credential, RelayRequest, UpstreamAnswer

BODY: dict[str, Any] = {
    "model": "claude-opus-4-8",
    "max_tokens": 10,
    "messages": [{"role": "user", "content": "hi"}],
}


def azure(**extra: Any) -> AzureProvider:
    extra.setdefault("resource", "my-res")
    provider = create(ProviderConfig(name="az", type="azure", **extra))
    assert isinstance(provider, AzureProvider)
    return provider


def request(
    *, headers: dict[str, str] | None = None, query: str = "", credential: Credential | None = None
) -> RelayRequest:
    return RelayRequest(
        id="r1",
        path="/v1/messages",
        query=query,
        headers=CIMultiDictProxy(CIMultiDict(headers or {})),
        raw=orjson.dumps(BODY),
        body=BODY,
        model=BODY["model"],
        stream=False,
        credential=credential,
    )


def test_needs_keys_or_entra() -> None:
    with pytest.raises(ProviderSetupError, match="provider 'az' \\(azure\\) needs keys"):
        azure()


@pytest.mark.parametrize(
    ("extra", "url"),
    [
        ({"keys": ["k"]}, "https://my-res.services.ai.azure.com/anthropic/v1/messages?beta=true"),
        (
            {"keys": ["k"], "base_url": "https://gw.example/anthropic/"},
            "https://gw.example/anthropic/v1/messages?beta=true",
        ),
    ],
)
def test_url(extra: dict[str, Any], url: str) -> None:
    assert azure(**extra).url(request(query="beta=true"), "opus-prod") == url


def test_facts() -> None:
    provider = azure(keys=["k"])
    assert provider.counts_tokens is False
    assert provider.passes_client_credentials is False


def test_body_names_the_deployment() -> None:
    provider = azure(keys=["k"], model_map={"claude-opus-4-8": "opus-prod"})
    sent = orjson.loads(provider.body(request(), provider.upstream_model("claude-opus-4-8")))
    assert sent == {**BODY, "model": "opus-prod"}


@pytest.mark.parametrize(
    "credential",
    [
        None,
        Credential("authorization", "Bearer sk-ant-oat01-user"),
        Credential("x-api-key", "sk-ant-api03-user"),
    ],
)
async def test_key_sent_as_x_api_key_never_the_clients(credential: Credential | None) -> None:
    provider = azure(keys=["az-key"])
    client = {"anthropic-version": "2023-06-01", "anthropic-beta": "b-1"}
    headers = await provider.headers(
        request(headers=client, credential=credential), KeyConfig(key="az-key"), url="", body=b""
    )
    assert headers["x-api-key"] == "az-key"
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["anthropic-beta"] == "b-1"
    assert "authorization" not in headers and "api-key" not in headers


class FakeCredential:
    def __init__(self) -> None:
        self.closed = False
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.scopes.append(scopes)
        return type("AccessToken", (), {"token": "entra-tok", "expires_on": 4_000_000_000})()

    async def close(self) -> None:
        self.closed = True


async def test_entra_bearer_and_credential_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeCredential()
    monkeypatch.setattr(_entra, "default_credential", lambda: fake)
    provider = azure(entra=True, keys=["unused"])
    await provider.start()
    headers = await provider.headers(
        request(headers={"x-api-key": "client"}), KeyConfig(key="unused"), url="", body=b""
    )
    assert headers["authorization"] == "Bearer entra-tok"
    assert "x-api-key" not in headers
    assert fake.scopes == [("https://ai.azure.com/.default",)]
    await provider.close()
    assert fake.closed


async def test_entra_without_azure_identity_fails_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.identity.aio", None)
    provider = azure(entra=True)
    with pytest.raises(ProviderSetupError) as caught:
        await provider.start()
    assert str(caught.value) == (
        "provider 'az': `entra: true` needs the azure-identity package; "
        "install it with: pip install 'cc-relay[azure]'"
    )
    with pytest.raises(RuntimeError, match="not started"):
        _ = provider.session
    await provider.close()


async def test_discover_lists_nothing() -> None:
    assert await azure(keys=["k"]).discover() == ()


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            401,
            {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}},
            {
                "type": "authentication_error",
                "message": "Access denied due to invalid subscription key.",
            },
        ),
        (
            404,
            {"error": {"code": "DeploymentNotFound", "message": "The API deployment ..."}},
            {"type": "not_found_error", "message": "The API deployment ..."},
        ),
        (
            400,
            {"error": {"code": "OperationNotSupported"}},
            {"type": "invalid_request_error", "message": "OperationNotSupported"},
        ),
        (
            404,
            {"statusCode": 404, "message": "Resource not found"},
            {"type": "not_found_error", "message": "Resource not found"},
        ),
    ],
)
def test_azure_errors_translated(status: int, body: dict[str, Any], error: dict[str, str]) -> None:
    answer = azure(keys=["k"]).error(UpstreamAnswer(status, {}, orjson.dumps(body)))
    assert answer.status == status
    assert orjson.loads(answer.body) == {"type": "error", "error": error}


def test_anthropic_errors_kept() -> None:
    raw = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
    answer = UpstreamAnswer(429, {"retry-after": "3"}, raw)
    assert azure(keys=["k"]).error(answer) is answer
