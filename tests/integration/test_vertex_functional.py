"""Vertex AI through the relay: google-auth against a local token endpoint, the official
SDK as the judge, and the Vertex emulator checking URLs, bodies and Bearer tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import orjson
import pytest
from anthropic.types import MessageParam

from tests.conftest import RelayFactory, SdkFactory, body_of, provider, text_of
from tests.emulators import (
    AnthropicEmulator,
    Fail,
    GoogleTokenServer,
    Reply,
    VertexEmulator,
    text,
    tool_use,
)
from tests.emulators._google_oauth import IssuedToken
from tests.emulators._vertex import VERTEX_VERSION, google_error

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
PROJECT = "proj-1"


@pytest.fixture
async def tokens() -> AsyncIterator[GoogleTokenServer]:
    async with GoogleTokenServer() as server:
        yield server


@pytest.fixture
async def vertex(tokens: GoogleTokenServer) -> AsyncIterator[VertexEmulator]:
    async with VertexEmulator(tokens=tokens, project=PROJECT) as emu:
        yield emu


@pytest.fixture
def key_file(tokens: GoogleTokenServer, tmp_path: Path) -> Path:
    return tokens.write_service_account(tmp_path / "sa.json", project_id=PROJECT)


def vertex_entry(emu: VertexEmulator, key_file: Path, **extra: Any) -> dict[str, Any]:
    return provider(
        emu,
        name="vertex",
        type="vertex",
        project_id=emu.project,
        region=emu.location,
        credentials_file=str(key_file),
        **extra,
    )


async def test_create_sends_vertex_request_with_minted_token(
    make_relay: RelayFactory,
    vertex: VertexEmulator,
    tokens: GoogleTokenServer,
    key_file: Path,
    sdk: SdkFactory,
) -> None:
    relay = await make_relay(vertex_entry(vertex, key_file))
    vertex.enqueue(Reply(text("hello from vertex"), input_tokens=21, output_tokens=5))
    message = await sdk(relay).messages.create(
        model="claude-opus-4-8", max_tokens=50, messages=USER, metadata={"user_id": "u-1"}
    )
    assert text_of(message.content[0]) == "hello from vertex"
    assert message.model == "claude-opus-4-8"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (21, 5)
    seen = vertex.predict_requests[-1]
    assert seen.path == vertex.path_for("claude-opus-4-8", "rawPredict")
    assert seen.query == {}
    assert "model" not in seen.json
    assert seen.json["anthropic_version"] == VERTEX_VERSION
    assert seen.json["metadata"] == {"user_id": "u-1"}
    assert seen.json["messages"] == USER
    assert len(tokens.issued) == 1
    assert seen.headers["authorization"] == f"Bearer {tokens.issued[0].value}"
    assert seen.headers["content-type"] == "application/json"
    for absent in ("x-api-key", "anthropic-version"):
        assert absent not in seen.headers


GOLDEN_REPLIES = {
    "text": Reply(text("streamed words arrive in pieces"), input_tokens=30),
    "tool_use": Reply(
        text("Let me check."),
        tool_use("Bash", {"command": "ls -la /tmp", "description": "list"}, id="toolu_01AbC-d_e"),
        stop_reason="tool_use",
    ),
}


@pytest.mark.parametrize("kind", sorted(GOLDEN_REPLIES))
async def test_stream_final_message_matches_anthropic(
    make_relay: RelayFactory,
    vertex: VertexEmulator,
    emu: AnthropicEmulator,
    key_file: Path,
    sdk: SdkFactory,
    kind: str,
) -> None:
    via_vertex = await make_relay(vertex_entry(vertex, key_file))
    via_anthropic = await make_relay(provider(emu))
    finals, events = {}, {}
    for name, relay, upstream in (
        ("vertex", via_vertex, vertex),
        ("anthropic", via_anthropic, emu),
    ):
        upstream.enqueue(GOLDEN_REPLIES[kind])
        async with sdk(relay).messages.stream(
            model="claude-opus-4-8", max_tokens=50, messages=USER
        ) as stream:
            events[name] = [event.type async for event in stream]
            finals[name] = (await stream.get_final_message()).model_dump(exclude={"id"})
    assert finals["vertex"] == finals["anthropic"]
    assert events["vertex"] == events["anthropic"]
    seen = vertex.predict_requests[-1]
    assert seen.path == vertex.path_for("claude-opus-4-8", "streamRawPredict")
    assert seen.json["stream"] is True
    assert "model" not in seen.json


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("client_model", "vertex_model", "extra"),
    [
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5@20251001", {}),
        (
            "my-sonnet",
            "claude-sonnet-4-5@20250929",
            {"models": ["claude-*"], "model_map": {"my-sonnet": "claude-sonnet-4-5@20250929"}},
        ),
    ],
)
async def test_model_ids_mapped_and_answer_names_client_model(
    make_relay: RelayFactory,
    vertex: VertexEmulator,
    key_file: Path,
    sdk: SdkFactory,
    stream: bool,
    client_model: str,
    vertex_model: str,
    extra: dict[str, Any],
) -> None:
    relay = await make_relay(vertex_entry(vertex, key_file, **extra))
    kwargs: dict[str, Any] = {"model": client_model, "max_tokens": 20, "messages": USER}
    client = sdk(relay)
    if stream:
        async with client.messages.stream(**kwargs) as s:
            message = await s.get_final_message()
    else:
        message = await client.messages.create(**kwargs)
    method = "streamRawPredict" if stream else "rawPredict"
    assert vertex.predict_requests[-1].path == vertex.path_for(vertex_model, method)
    assert message.model == client_model


async def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_token_renewed_before_expiry_without_waiting(
    make_relay: RelayFactory,
    vertex: VertexEmulator,
    tokens: GoogleTokenServer,
    key_file: Path,
    sdk: SdkFactory,
) -> None:
    # A 4 s token is renewed once past half its life. The request that notices goes out
    # at once with the current token, while the token endpoint holds the renewal.
    tokens.expires_in = 4
    relay = await make_relay(vertex_entry(vertex, key_file))
    client = sdk(relay)
    await client.messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    first = tokens.issued[0].value
    await asyncio.sleep(2.1)
    tokens.pause()
    # Must not wait for the held renewal: a relay that does would time out here.
    await asyncio.wait_for(
        client.messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER), 5
    )
    assert vertex.predict_requests[-1].headers["authorization"] == f"Bearer {first}"
    await _until(lambda: tokens.waiting == 1)
    assert len(tokens.issued) == 1
    tokens.resume()
    await _until(lambda: len(tokens.issued) == 2)
    await client.messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    second = tokens.issued[1].value
    assert second != first
    assert vertex.predict_requests[-1].headers["authorization"] == f"Bearer {second}"
    assert len(tokens.issued) == 2


async def test_expired_token_replaced_before_the_request(
    make_relay: RelayFactory,
    vertex: VertexEmulator,
    tokens: GoogleTokenServer,
    key_file: Path,
    sdk: SdkFactory,
) -> None:
    tokens.expires_in = 1
    relay = await make_relay(vertex_entry(vertex, key_file))
    client = sdk(relay)
    await client.messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    await asyncio.sleep(1.1)
    message = await client.messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "pong"
    latest = tokens.issued[-1]
    assert len(tokens.issued) >= 2
    assert vertex.predict_requests[-1].headers["authorization"] == f"Bearer {latest.value}"


ANTHROPIC_529 = orjson.dumps(
    {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
)


@pytest.mark.parametrize(
    ("fail", "exception", "error_type", "wording"),
    [
        (
            Fail(429, body=google_error(429)),
            anthropic.RateLimitError,
            "rate_limit_error",
            "Quota exceeded",
        ),
        (
            Fail(403, body=google_error(403, as_list=True)),
            anthropic.PermissionDeniedError,
            "permission_error",
            "aiplatform.endpoints.predict",
        ),
        (
            Fail(503, body=google_error(503)),
            anthropic.ServiceUnavailableError,
            "overloaded_error",
            "currently unavailable",
        ),
        (
            Fail(400, body=google_error(400, "Invalid JSON payload received.")),
            anthropic.BadRequestError,
            "invalid_request_error",
            "Invalid JSON payload",
        ),
        (
            Fail(529, body=ANTHROPIC_529),
            anthropic.OverloadedError,
            "overloaded_error",
            "Overloaded",
        ),
    ],
)
async def test_errors_reach_the_sdk_in_anthropic_shape(
    make_relay: RelayFactory,
    vertex: VertexEmulator,
    key_file: Path,
    sdk: SdkFactory,
    fail: Fail,
    exception: type[anthropic.APIStatusError],
    error_type: str,
    wording: str,
) -> None:
    relay = await make_relay(vertex_entry(vertex, key_file))
    vertex.enqueue(fail)
    with pytest.raises(exception) as caught:
        await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    assert caught.value.status_code == fail.status
    body = caught.value.body
    assert isinstance(body, dict) and body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert wording in body["error"]["message"]


async def test_unknown_model_is_not_found(
    make_relay: RelayFactory, tokens: GoogleTokenServer, key_file: Path, sdk: SdkFactory
) -> None:
    async with VertexEmulator(tokens=tokens, models=["claude-opus-4-8"]) as vertex:
        relay = await make_relay(vertex_entry(vertex, key_file))
        with pytest.raises(anthropic.NotFoundError) as caught:
            await sdk(relay).messages.create(model="claude-opus-4-1", max_tokens=5, messages=USER)
    assert body_of(caught.value)["error"]["type"] == "not_found_error"
    assert "Publisher Model" in body_of(caught.value)["error"]["message"]


async def test_refused_credentials_answer_502_without_secrets(
    make_relay: RelayFactory, vertex: VertexEmulator, tmp_path: Path, sdk: SdkFactory
) -> None:
    # A key the token endpoint does not know: google-auth's grant is refused every time.
    async with GoogleTokenServer() as stranger:
        info = stranger.service_account(project_id=PROJECT)
    info["token_uri"] = vertex.tokens.token_uri if vertex.tokens else ""
    key_file = tmp_path / "stranger.json"
    key_file.write_text(orjson.dumps(info).decode())
    relay = await make_relay(vertex_entry(vertex, key_file))
    with pytest.raises(anthropic.InternalServerError) as caught:
        await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    assert caught.value.status_code == 502
    message = body_of(caught.value)["error"]["message"]
    assert "Google token request failed" in message and "invalid_grant" in message
    assert "Invalid JWT Signature" in message
    assert vertex.tokens is not None and "unknown key" in vertex.tokens.rejections[-1]
    assert info["private_key"].splitlines()[1] not in message
    assert vertex.predict_requests == []


async def test_count_tokens_uses_count_endpoint_with_model(
    make_relay: RelayFactory, vertex: VertexEmulator, key_file: Path, sdk: SdkFactory
) -> None:
    relay = await make_relay(vertex_entry(vertex, key_file))
    vertex.enqueue_count(42)
    counted = await sdk(relay).messages.count_tokens(
        model="claude-haiku-4-5-20251001", messages=USER
    )
    assert counted.input_tokens == 42
    seen = vertex.count_requests[-1]
    assert seen.path == vertex.path_for("count-tokens", "rawPredict")
    assert seen.json["model"] == "claude-haiku-4-5@20251001"
    assert seen.json["anthropic_version"] == VERTEX_VERSION


async def test_betas_kept_query_and_client_credentials_dropped(
    make_relay: RelayFactory, vertex: VertexEmulator, tokens: GoogleTokenServer, key_file: Path
) -> None:
    relay = await make_relay(vertex_entry(vertex, key_file))
    body = {
        "model": "claude-opus-4-8",
        "max_tokens": 5,
        "messages": USER,
        "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
    }
    headers = {
        "anthropic-beta": "oauth-2025-04-20, interleaved-thinking-2025-05-14,"
        "context-management-2025-06-27",
        "anthropic-version": "2023-06-01",
        "authorization": "Bearer sk-ant-oat01-client-token",
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages?beta=true", json=body, headers=headers
        ) as resp:
            assert resp.status == 200
    seen = vertex.predict_requests[-1]
    assert seen.query == {}
    assert seen.headers["anthropic-beta"] == (
        "interleaved-thinking-2025-05-14,context-management-2025-06-27"
    )
    assert seen.headers["authorization"] == f"Bearer {tokens.issued[-1].value}"
    assert seen.json["context_management"] == body["context_management"]


async def test_global_region_path(
    make_relay: RelayFactory, tokens: GoogleTokenServer, key_file: Path, sdk: SdkFactory
) -> None:
    async with VertexEmulator(tokens=tokens, location="global") as vertex:
        relay = await make_relay(vertex_entry(vertex, key_file))
        message = await sdk(relay).messages.create(
            model="claude-opus-4-8", max_tokens=5, messages=USER
        )
        assert text_of(message.content[0]) == "pong"
        assert vertex.predict_requests[-1].path == (
            f"/v1/projects/{PROJECT}/locations/global/publishers/anthropic/models/"
            "claude-opus-4-8:rawPredict"
        )


async def test_application_default_credentials_with_quota_project(
    make_relay: RelayFactory,
    vertex: VertexEmulator,
    tokens: GoogleTokenServer,
    key_file: Path,
    sdk: SdkFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No credentials_file: google-auth's ADC chain finds the key through the environment.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-proj")
    entry = vertex_entry(vertex, key_file)
    del entry["credentials_file"]
    relay = await make_relay(entry)
    await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    seen = vertex.predict_requests[-1]
    assert seen.headers["authorization"] == f"Bearer {tokens.issued[-1].value}"
    assert seen.headers["x-goog-user-project"] == "billing-proj"


async def test_emulator_refuses_what_vertex_refuses(
    vertex: VertexEmulator, tokens: GoogleTokenServer
) -> None:
    # The checks the tests above lean on: unminted tokens, a model in the body, a stream
    # flag that disagrees with the method.
    url = f"{vertex.base_url}{vertex.path_for('claude-opus-4-8')}"
    good = {"anthropic_version": VERTEX_VERSION, "max_tokens": 5, "messages": USER}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json=good, headers={"authorization": "Bearer ya29.forged"}
        ) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]["status"] == "UNAUTHENTICATED"
        tokens.issued.append(IssuedToken("ya29.ok", "sa@x", time.time(), time.time() + 60))
        auth = {"authorization": "Bearer ya29.ok"}
        for body, status in (
            ({**good, "model": "claude-opus-4-8"}, 400),
            ({**good, "stream": True}, 400),
            ({**good, "anthropic_version": "2023-06-01"}, 400),
            (good, 200),
        ):
            async with session.post(url, json=body, headers=auth) as resp:
                assert resp.status == status, body
