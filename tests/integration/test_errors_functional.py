"""Errors: upstream errors reach the SDK unchanged; bad input gets the right 4xx."""

from __future__ import annotations

from typing import Any

import aiohttp
import anthropic
import orjson
import pytest
from anthropic.types import MessageParam

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, body_of, provider
from tests.emulators import AnthropicEmulator, Fail

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]

SDK_ERRORS = [
    (400, anthropic.BadRequestError),
    (401, anthropic.AuthenticationError),
    (403, anthropic.PermissionDeniedError),
    (404, anthropic.NotFoundError),
    (413, anthropic.APIStatusError),
    (429, anthropic.RateLimitError),
    (500, anthropic.InternalServerError),
    (529, anthropic.APIStatusError),
]


@pytest.mark.parametrize(("status", "error_class"), SDK_ERRORS)
async def test_upstream_error_surfaces_as_sdk_exception(
    relay: RelayServer,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    status: int,
    error_class: type[anthropic.APIStatusError],
) -> None:
    emu.enqueue(Fail(status, message=f"upstream says {status}", retry_after=7))
    with pytest.raises(error_class) as caught:
        await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    error = caught.value
    assert error.status_code == status
    assert f"upstream says {status}" in str(error)
    assert body_of(error)["error"]["message"] == f"upstream says {status}"
    assert error.response.headers["retry-after"] == "7"
    assert error.response.headers["request-id"].startswith("req_")


async def test_upstream_error_body_forwarded_verbatim(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    body = b'{"type":"error","error":{"type":"invalid_request_error","message":"odd \\u00e9"}}'
    emu.enqueue(Fail(400, body=body))
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={"model": "claude-x", "max_tokens": 5, "messages": USER},
        ) as resp:
            assert resp.status == 400
            assert await resp.read() == body


async def _post(
    relay: RelayServer,
    data: bytes | None = None,
    *,
    path: str = "/v1/messages",
    method: str = "POST",
    **kwargs: Any,
) -> tuple[int, dict[str, Any]]:
    # Clients of the API send JSON (the relay refuses other POST bodies with a 415).
    kwargs.setdefault("headers", {"content-type": "application/json"})
    async with aiohttp.ClientSession() as session:
        async with session.request(method, f"{relay.url}{path}", data=data, **kwargs) as resp:
            raw = await resp.read()
            assert resp.headers["content-type"].startswith("application/json")
            return resp.status, orjson.loads(raw)


def _assert_error(
    status: int, body: dict[str, Any], expected_status: int, error_type: str, *phrases: str
) -> None:
    assert status == expected_status, body
    assert body["type"] == "error"
    assert body["error"]["type"] == error_type
    assert body["request_id"].startswith("req_")
    for phrase in phrases:
        assert phrase in body["error"]["message"]


@pytest.mark.parametrize(
    ("body", "phrases"),
    [
        (b"{not json", ["not valid JSON"]),
        (b"", ["empty"]),
        (b"[1, 2]", ["JSON object", "array"]),
        (b'{"max_tokens": 5, "messages": []}', ["model: Field required"]),
        (b'{"model": 5, "max_tokens": 5, "messages": []}', ["model: Input should be a string"]),
        (b'{"model": "", "max_tokens": 5, "messages": []}', ["model"]),
        (b'{"model": "claude-x", "max_tokens": 5}', ["messages: Field required"]),
        (b'{"model": "claude-x", "max_tokens": 5, "messages": "hi"}', ["messages", "list"]),
        (b'{"model": "claude-x", "messages": []}', ["max_tokens: Field required"]),
        (b'{"model": "claude-x", "max_tokens": "5", "messages": []}', ["max_tokens"]),
        (b'{"model": "claude-x", "max_tokens": 0, "messages": []}', ["max_tokens"]),
        (b'{"model": "claude-x", "max_tokens": 5, "messages": [], "stream": "yes"}', ["stream"]),
    ],
)
async def test_bad_input_is_invalid_request(
    relay: RelayServer, emu: AnthropicEmulator, body: bytes, phrases: list[str]
) -> None:
    status, answer = await _post(relay, body)
    _assert_error(status, answer, 400, "invalid_request_error", *phrases)
    assert emu.messages_requests == []


async def test_bad_input_through_sdk(relay: RelayServer, sdk: SdkFactory) -> None:
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):
        await sdk(relay).messages.create(
            model="claude-x", max_tokens=5, messages=USER, extra_body={"max_tokens": "many"}
        )


async def test_oversized_body_is_413(make_relay: RelayFactory, emu: AnthropicEmulator) -> None:
    relay = await make_relay(provider(emu), server={"max_body_bytes": 1000})
    body = orjson.dumps(
        {
            "model": "claude-x",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "x" * 2000}],
        }
    )
    status, answer = await _post(relay, body)
    _assert_error(status, answer, 413, "request_too_large", "1000 bytes")
    assert emu.messages_requests == []


async def test_unknown_model_is_404_listing_models(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(provider(emu, models=["claude-opus-4-8", "claude-haiku-4-8"]))
    with pytest.raises(anthropic.NotFoundError) as caught:
        await sdk(relay).messages.create(model="gpt-7", max_tokens=5, messages=USER)
    message = body_of(caught.value)["error"]["message"]
    assert body_of(caught.value)["error"]["type"] == "not_found_error"
    assert "gpt-7" in message and "claude-opus-4-8" in message and "claude-haiku-4-8" in message


async def test_unknown_route_is_anthropic_404(relay: RelayServer) -> None:
    status, answer = await _post(relay, b"{}", path="/v1/complete")
    _assert_error(status, answer, 404, "not_found_error", "/v1/complete")


async def test_wrong_method_is_405(relay: RelayServer) -> None:
    status, answer = await _post(relay, None, method="GET")
    _assert_error(status, answer, 405, "invalid_request_error", "GET")


async def test_count_tokens_bad_input(relay: RelayServer) -> None:
    status, answer = await _post(relay, b'{"model": "claude-x"}', path="/v1/messages/count_tokens")
    _assert_error(status, answer, 400, "invalid_request_error", "messages: Field required")
