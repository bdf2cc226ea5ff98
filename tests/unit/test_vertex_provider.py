"""VertexProvider's wire decisions: URLs, model ids, bodies, headers and start-up checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from cc_relay.config import ProviderConfig
from cc_relay.errors import ProviderSetupError
from cc_relay.providers import VertexProvider, create
from cc_relay.providers._credentials import Token
from cc_relay.providers._google_auth import GoogleCredentials
from cc_relay.types import RelayRequest

MESSAGES = "/v1/messages"
COUNT = "/v1/messages/count_tokens"


def vertex(**extra: Any) -> VertexProvider:
    provider = create(ProviderConfig(name="v", type="vertex", project_id="proj-1", **extra))
    assert isinstance(provider, VertexProvider)
    return provider


def request(
    body: dict[str, Any],
    *,
    path: str = MESSAGES,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> RelayRequest:
    raw = orjson.dumps(body)
    return RelayRequest(
        id="r1",
        path=path,
        query=query,
        headers=CIMultiDictProxy(CIMultiDict(headers or {})),
        raw=raw,
        body=body,
        model=body["model"],
        stream=body.get("stream") is True,
    )


BODY = {
    "model": "claude-opus-4-8",
    "max_tokens": 10,
    "messages": [{"role": "user", "content": "hi"}],
}
MODELS = "publishers/anthropic/models"


@pytest.mark.parametrize(
    ("extra", "stream", "url"),
    [
        (
            {},
            False,
            f"https://us-east5-aiplatform.googleapis.com/v1/projects/proj-1/locations/"
            f"us-east5/{MODELS}/claude-opus-4-8:rawPredict",
        ),
        (
            {},
            True,
            f"https://us-east5-aiplatform.googleapis.com/v1/projects/proj-1/locations/"
            f"us-east5/{MODELS}/claude-opus-4-8:streamRawPredict",
        ),
        (
            {"region": "europe-west1"},
            False,
            "https://europe-west1-aiplatform.googleapis.com/v1/"
            f"projects/proj-1/locations/europe-west1/{MODELS}/claude-opus-4-8:rawPredict",
        ),
        (
            {"region": "global"},
            True,
            "https://aiplatform.googleapis.com/v1/projects/proj-1/"
            f"locations/global/{MODELS}/claude-opus-4-8:streamRawPredict",
        ),
        (
            {"region": "us"},
            False,
            "https://aiplatform.us.rep.googleapis.com/v1/projects/proj-1/"
            f"locations/us/{MODELS}/claude-opus-4-8:rawPredict",
        ),
        (
            {"region": "eu", "base_url": "http://127.0.0.1:9/"},
            False,
            f"http://127.0.0.1:9/v1/projects/proj-1/locations/eu/{MODELS}/claude-opus-4-8:rawPredict",
        ),
    ],
)
def test_url_by_region_and_stream(extra: dict[str, Any], stream: bool, url: str) -> None:
    provider = vertex(**extra)
    req = request({**BODY, "stream": stream}, query="beta=true")
    assert provider.url(req, provider.upstream_model(req.model)) == url


def test_count_tokens_url_names_no_model() -> None:
    provider = vertex(region="global")
    assert provider.url(request(BODY, path=COUNT), "claude-opus-4-8") == (
        f"https://aiplatform.googleapis.com/v1/projects/proj-1/locations/global/{MODELS}/"
        "count-tokens:rawPredict"
    )


def test_model_id_quoted_into_one_path_segment() -> None:
    url = vertex().url(request(BODY), "claude-x@2025/../evil?q")
    assert url.endswith(f"/{MODELS}/claude-x@2025%2F..%2Fevil%3Fq:rawPredict")


@pytest.mark.parametrize(
    ("client", "upstream"),
    [
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5@20250929"),
        ("claude-3-5-haiku-20241022", "claude-3-5-haiku@20241022"),
        ("claude-opus-4-8", "claude-opus-4-8"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5@20250929"),
        ("claude-opus-4-8-2025", "claude-opus-4-8-2025"),
        ("glm-4.5-20250101", "glm-4.5-20250101"),
        ("fast", "claude-haiku-4-5@20251001"),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5@custom"),
    ],
)
def test_upstream_model(client: str, upstream: str) -> None:
    provider = vertex(
        model_map={
            "fast": "claude-haiku-4-5@20251001",
            "claude-haiku-4-5-20251001": "claude-haiku-4-5@custom",
        }
    )
    assert provider.upstream_model(client) == upstream


def test_body_drops_model_adds_version_keeps_the_rest() -> None:
    body = {
        **BODY,
        "stream": True,
        "anthropic_version": "bedrock-2023-05-31",
        "future_field": {"x": [1, 2.5]},
        "thinking": {"type": "adaptive"},
    }
    sent = orjson.loads(vertex().body(request(body), "claude-opus-4-8"))
    assert "model" not in sent
    assert next(iter(sent)) == "anthropic_version"
    assert sent == {
        "anthropic_version": "vertex-2023-10-16",
        "max_tokens": 10,
        "messages": BODY["messages"],
        "stream": True,
        "future_field": {"x": [1, 2.5]},
        "thinking": {"type": "adaptive"},
    }


def test_count_tokens_body_keeps_the_vertex_model() -> None:
    provider = vertex()
    req = request({**BODY, "model": "claude-haiku-4-5-20251001"}, path=COUNT)
    sent = orjson.loads(provider.body(req, provider.upstream_model(req.model)))
    assert sent["model"] == "claude-haiku-4-5@20251001"
    assert sent["anthropic_version"] == "vertex-2023-10-16"


@pytest.fixture
def fake_token(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fetch(self: GoogleCredentials) -> Token:
        return Token("ya29.fake", 4_000_000_000.0)

    monkeypatch.setattr(GoogleCredentials, "fetch", fetch)


@pytest.mark.usefixtures("fake_token")
@pytest.mark.parametrize(
    ("betas", "forwarded"),
    [
        ("oauth-2025-04-20,interleaved-thinking-2025-05-14", "interleaved-thinking-2025-05-14"),
        ("a-1, b-2 ,c-3", "a-1,b-2,c-3"),
        ("oauth-2025-04-20", None),
        (None, None),
    ],
)
async def test_headers(betas: str | None, forwarded: str | None) -> None:
    client = {
        "x-api-key": "client-key",
        "authorization": "Bearer sk-ant-oat01-x",
        "anthropic-version": "2023-06-01",
        "x-claude-code-session-id": "s-1",
    }
    if betas is not None:
        client["anthropic-beta"] = betas
    provider = vertex()
    headers = await provider.headers(request(BODY, headers=client), None, url="", body=b"")
    assert headers["authorization"] == "Bearer ya29.fake"
    assert headers["content-type"] == "application/json"
    assert headers.get("anthropic-beta") == forwarded
    assert headers["x-claude-code-session-id"] == "s-1"
    for absent in ("x-api-key", "anthropic-version", "x-goog-user-project"):
        assert absent not in headers
    await provider.close()


@pytest.mark.parametrize("content", [None, "{not json", json.dumps({"type": "service_account"})])
async def test_unreadable_credentials_fail_start(tmp_path: Path, content: str | None) -> None:
    key_file = tmp_path / "sa.json"
    if content is not None:
        key_file.write_text(content)
    provider = vertex(credentials_file=str(key_file))
    with pytest.raises(ProviderSetupError) as caught:
        await provider.start()
    assert str(caught.value).startswith(
        f"provider 'v': cannot load Google credentials from credentials_file '{key_file}'"
    )
    with pytest.raises(RuntimeError, match="not started"):
        _ = provider.session
    await provider.close()


async def test_disabled_provider_starts_without_credentials(tmp_path: Path) -> None:
    provider = vertex(credentials_file=str(tmp_path / "missing.json"), enabled=False)
    await provider.start()
    await provider.close()
