"""``type: bedrock`` through the relay, judged by the official SDK and the Bedrock emulator.

The emulator checks every SigV4 signature with botocore and refuses what Bedrock refuses
(``model``/``stream`` in the body, unknown betas, non-Bedrock model ids), so each test
that gets an answer at all has proven the request was signed and shaped right.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import orjson
import pytest
from anthropic.types import MessageParam

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, SdkFactory, body_of, provider, text_of
from tests.emulators import (
    AnthropicEmulator,
    BedrockEmulator,
    Drop,
    Fail,
    Reply,
    text,
    thinking,
    tool_use,
)
from tests.emulators._bedrock import TEST_CREDENTIALS

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
MODEL = "claude-opus-4-8"
CLIENT_KEY = "sk-ant-api03-client-own-secret-key"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS setting of the machine leaks in, and botocore never calls IMDS."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


@pytest.fixture
async def bedrock() -> AsyncIterator[BedrockEmulator]:
    async with BedrockEmulator() as server:
        yield server


def bedrock_entry(
    emu: BedrockEmulator, name: str = "bedrock", *, credentials: bool = True, **extra: Any
) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    if credentials:
        keys = {
            "aws_access_key_id": TEST_CREDENTIALS.access_key,
            "aws_secret_access_key": TEST_CREDENTIALS.secret_key,
            "aws_session_token": TEST_CREDENTIALS.token,
        }
    return provider(emu, name=name, type="bedrock", region="us-east-1", **keys, **extra)


async def _raw_events(
    relay: RelayServer, body: dict[str, Any], headers: dict[str, str] | None = None
) -> list[tuple[str, Any]]:
    """The relay's SSE answer as (event name, parsed data), pings dropped."""
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages", json={**body, "stream": True}, headers=headers or {}
        ) as resp:
            assert resp.status == 200, await resp.text()
            raw = await resp.read()
    events = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        name_line, data_line = block.split("\n")
        assert name_line.startswith("event: ") and data_line.startswith("data: ")
        if name_line != "event: ping":
            events.append((name_line[7:], orjson.loads(data_line[6:])))
    return events


def _without_ids(events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    for name, data in events:
        if name == "message_start":
            data["message"].pop("id")
    return events


# -- requests: shape, signature, credentials --------------------------------------------------


async def test_create_is_signed_and_reshaped_for_bedrock(
    make_relay: RelayFactory, bedrock: BedrockEmulator, sdk: SdkFactory
) -> None:
    bedrock.enqueue(Reply(text("hello from bedrock"), input_tokens=21, output_tokens=5))
    relay = await make_relay(bedrock_entry(bedrock))
    message = await sdk(relay, api_key=CLIENT_KEY).messages.create(
        model=MODEL, max_tokens=50, messages=USER, metadata={"user_id": "u1"}
    )
    assert text_of(message.content[0]) == "hello from bedrock"
    assert message.model == MODEL
    assert (message.usage.input_tokens, message.usage.output_tokens) == (21, 5)
    seen = bedrock.invoke_requests[-1]
    assert seen.path == "/model/us.anthropic.claude-opus-4-8/invoke"
    assert seen.json == {
        "max_tokens": 50,
        "messages": USER,
        "metadata": {"user_id": "u1"},
        "anthropic_version": "bedrock-2023-05-31",
    }
    assert seen.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert seen.headers["x-amz-security-token"] == TEST_CREDENTIALS.token
    assert "x-api-key" not in seen.headers and "anthropic-version" not in seen.headers
    assert all(CLIENT_KEY not in value for value in seen.headers.values())
    assert bedrock.auth_failures == []


async def test_betas_move_into_the_body_and_unknown_ones_are_dropped(
    make_relay: RelayFactory, bedrock: BedrockEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(bedrock_entry(bedrock))
    betas = [
        "claude-code-20250219",
        "interleaved-thinking-2025-05-14",
        "oauth-2025-04-20",
        "advanced-tool-use-2025-11-20",
        "context-1m-2025-08-07",
    ]
    message = await sdk(relay).beta.messages.create(
        model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}], betas=betas
    )
    assert text_of(message.content[0]) == "pong"
    seen = bedrock.invoke_requests[-1]
    assert seen.json["anthropic_beta"] == [
        "interleaved-thinking-2025-05-14",
        "tool-search-tool-2025-10-19",
        "context-1m-2025-08-07",
    ]
    assert "anthropic-beta" not in seen.headers


async def test_tampered_credentials_are_refused_like_aws(
    make_relay: RelayFactory, bedrock: BedrockEmulator, sdk: SdkFactory
) -> None:
    entry = {**bedrock_entry(bedrock), "aws_secret_access_key": "not-the-secret"}
    relay = await make_relay(entry)
    with pytest.raises(anthropic.PermissionDeniedError) as caught:
        await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert caught.value.status_code == 403
    assert body_of(caught.value)["error"]["type"] == "permission_error"
    assert "signature we calculated does not match" in body_of(caught.value)["error"]["message"]
    assert bedrock.auth_failures == ["InvalidSignatureException"]


@pytest.mark.parametrize("source", ["keys", "env"])
async def test_bedrock_api_key_is_sent_as_bearer(
    make_relay: RelayFactory, monkeypatch: pytest.MonkeyPatch, sdk: SdkFactory, source: str
) -> None:
    async with BedrockEmulator(api_keys=("ABSKbedrock-key-1",)) as emu:
        if source == "env":
            monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKbedrock-key-1")
            entry = bedrock_entry(emu, credentials=False)
        else:
            entry = bedrock_entry(emu, credentials=False, keys=["ABSKbedrock-key-1"])
        relay = await make_relay(entry)
        message = await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
        assert text_of(message.content[0]) == "pong"
        assert emu.invoke_requests[-1].headers["authorization"] == "Bearer ABSKbedrock-key-1"
        assert "x-amz-date" not in emu.invoke_requests[-1].headers


async def test_credentials_from_a_named_profile(
    make_relay: RelayFactory, aws_env: Path, bedrock: BedrockEmulator, sdk: SdkFactory
) -> None:
    (aws_env / "aws-credentials").write_text(
        "[relay]\n"
        f"aws_access_key_id = {TEST_CREDENTIALS.access_key}\n"
        f"aws_secret_access_key = {TEST_CREDENTIALS.secret_key}\n"
        f"aws_session_token = {TEST_CREDENTIALS.token}\n"
    )
    relay = await make_relay(bedrock_entry(bedrock, credentials=False, aws_profile="relay"))
    message = await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "pong"


async def test_credentials_from_the_default_chain(
    make_relay: RelayFactory,
    monkeypatch: pytest.MonkeyPatch,
    bedrock: BedrockEmulator,
    sdk: SdkFactory,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_CREDENTIALS.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_CREDENTIALS.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TEST_CREDENTIALS.token)
    relay = await make_relay(bedrock_entry(bedrock, credentials=False))
    message = await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "pong"


async def test_no_credentials_anywhere_fails_over(
    make_relay: RelayFactory, bedrock: BedrockEmulator, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        bedrock_entry(bedrock, credentials=False),
        provider(emu, name="anthropic", keys=["sk-up-1"]),
        routing={"strategy": "round-robin"},
    )
    message = await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "pong"
    assert bedrock.requests == []


# -- answers: golden comparison with api.anthropic.com ---------------------------------------


async def test_stream_leaves_the_relay_as_server_sent_events(
    make_relay: RelayFactory, bedrock: BedrockEmulator
) -> None:
    relay = await make_relay(bedrock_entry(bedrock))
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}/v1/messages",
            json={"model": MODEL, "max_tokens": 5, "messages": USER, "stream": True},
        ) as resp:
            await resp.read()
    content_types = [v for k, v in resp.raw_headers if k.lower() == b"content-type"]
    assert content_types == [b"text/event-stream; charset=utf-8"]


SCRIPTS = {
    "text": lambda: Reply(text("Hello there, friend."), input_tokens=30, output_tokens=7),
    "tool_use": lambda: Reply(
        text("Let me look."),
        tool_use("Bash", {"command": "ls -la"}, id="toolu_01Abc"),
        stop_reason="tool_use",
    ),
    "thinking": lambda: Reply(thinking("Two plus two is four."), text("4")),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
async def test_stream_is_byte_compatible_with_anthropic(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory, script: str
) -> None:
    async with BedrockEmulator(write_size=7) as bedrock:
        emu.enqueue(SCRIPTS[script](), SCRIPTS[script]())
        bedrock.enqueue(SCRIPTS[script](), SCRIPTS[script]())
        direct = await make_relay(provider(emu, keys=["sk-up-1"]))
        via_bedrock = await make_relay(bedrock_entry(bedrock))
        body: dict[str, Any] = {"model": MODEL, "max_tokens": 1024, "messages": USER}
        expected = _without_ids(await _raw_events(direct, body))
        assert _without_ids(await _raw_events(via_bedrock, body)) == expected

        finals = []
        for relay in (direct, via_bedrock):
            async with sdk(relay).messages.stream(**body) as stream:
                finals.append((await stream.get_final_message()).model_dump(exclude={"id"}))
        assert finals[0] == finals[1]
        assert finals[1]["model"] == MODEL


@pytest.mark.parametrize("script", sorted(SCRIPTS))
async def test_create_matches_anthropic(
    make_relay: RelayFactory,
    emu: AnthropicEmulator,
    bedrock: BedrockEmulator,
    sdk: SdkFactory,
    script: str,
) -> None:
    emu.enqueue(SCRIPTS[script]())
    bedrock.enqueue(SCRIPTS[script]())
    answers = []
    for entry in (provider(emu, keys=["sk-up-1"]), bedrock_entry(bedrock)):
        relay = await make_relay(entry)
        message = await sdk(relay).messages.create(model=MODEL, max_tokens=1024, messages=USER)
        answers.append(message.model_dump(exclude={"id"}))
    assert answers[0] == answers[1]


@pytest.mark.parametrize("stream", [False, True])
async def test_answer_names_the_model_the_client_asked_for(
    make_relay: RelayFactory, bedrock: BedrockEmulator, sdk: SdkFactory, stream: bool
) -> None:
    bedrock.enqueue(Reply(text("hi"), model="claude-opus-4-8-20260101"))
    relay = await make_relay(
        bedrock_entry(bedrock, model_map={MODEL: "global.anthropic.claude-opus-4-8-v1"})
    )
    client = sdk(relay)
    message: anthropic.types.Message
    if stream:
        async with client.messages.stream(model=MODEL, max_tokens=5, messages=USER) as s:
            message = await s.get_final_message()
    else:
        message = await client.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert message.model == MODEL
    path = bedrock.invoke_requests[-1].path
    assert path.startswith("/model/global.anthropic.claude-opus-4-8-v1/invoke")


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "stream"),
    [
        *(
            (failure, stream)
            for stream in (False, True)
            for failure in (
                Fail(
                    429, "ThrottlingException", "Too many tokens, please wait before trying again."
                ),
                Fail(
                    503, "ServiceUnavailableException", "Bedrock is unable to process your request."
                ),
                Reply(text("never"), cut_after_events=0),
                Drop(),
            )
        ),
        # An exception frame, or a corrupt one, before any event reached the client: HTTP 200
        # was answered, yet the relay can still move on.
        (Reply(text("never"), error_after_events=(0, "throttlingException", "Too many")), True),
        (Reply(text("never"), error_after_events=(2, "modelStreamErrorException", "x")), True),
    ],
)
async def test_failure_before_first_byte_fails_over(
    make_relay: RelayFactory,
    bedrock: BedrockEmulator,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    failure: Any,
    stream: bool,
) -> None:
    relay = await make_relay(
        bedrock_entry(bedrock),
        provider(emu, name="anthropic", keys=["sk-up-1"]),
        routing={"strategy": "round-robin"},
    )
    bedrock.enqueue(failure)
    emu.enqueue(Reply(text("from anthropic")))
    client = sdk(relay)
    message: anthropic.types.Message
    if stream:
        async with client.messages.stream(model=MODEL, max_tokens=5, messages=USER) as s:
            message = await s.get_final_message()
    else:
        message = await client.messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert text_of(message.content[0]) == "from anthropic"
    assert len(bedrock.invoke_requests) == 1 and len(emu.messages_requests) == 1


async def test_stall_before_the_first_byte_fails_over(
    make_relay: RelayFactory, bedrock: BedrockEmulator, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(
        bedrock_entry(bedrock, timeouts={"first_byte": 0.3}),
        provider(emu, name="anthropic", keys=["sk-up-1"]),
        routing={"strategy": "round-robin"},
    )
    bedrock.enqueue(Reply(text("too late"), stall_before_headers=5))
    async with sdk(relay).messages.stream(model=MODEL, max_tokens=5, messages=USER) as s:
        message = await s.get_final_message()
    assert text_of(message.content[0]) == "pong"
    await asyncio.wait_for(bedrock.disconnected.wait(), 2)


@pytest.mark.parametrize("stream", [False, True])
async def test_throttling_alone_reaches_the_client_as_rate_limit(
    make_relay: RelayFactory, bedrock: BedrockEmulator, sdk: SdkFactory, stream: bool
) -> None:
    bedrock.enqueue(Fail(429, "ThrottlingException", "Too many tokens, please wait."))
    relay = await make_relay(bedrock_entry(bedrock))
    with pytest.raises(anthropic.RateLimitError) as caught:
        if stream:
            async with sdk(relay).messages.stream(model=MODEL, max_tokens=5, messages=USER) as s:
                await s.get_final_message()
        else:
            await sdk(relay).messages.create(model=MODEL, max_tokens=5, messages=USER)
    assert caught.value.body == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": "Too many tokens, please wait."},
    }


@pytest.mark.parametrize(
    ("exception", "error_type"),
    [
        ("throttlingException", "rate_limit_error"),
        ("serviceUnavailableException", "overloaded_error"),
        ("modelStreamErrorException", "api_error"),
        ("validationException", "invalid_request_error"),
    ],
)
async def test_exception_mid_stream_becomes_an_error_event(
    make_relay: RelayFactory,
    bedrock: BedrockEmulator,
    sdk: SdkFactory,
    exception: str,
    error_type: str,
) -> None:
    # drip: the first events reach the client before the exception frame exists.
    bedrock.enqueue(
        Reply(
            text("partial answer here"),
            drip=0.05,
            error_after_events=(3, exception, "Something went wrong."),
        )
    )
    relay = await make_relay(bedrock_entry(bedrock))
    seen = []
    with pytest.raises(anthropic.APIStatusError) as caught:
        async with sdk(relay).messages.stream(model=MODEL, max_tokens=5, messages=USER) as s:
            async for event in s:
                seen.append(event.type)
    assert caught.value.body == {
        "type": "error",
        "error": {"type": error_type, "message": "Something went wrong."},
    }
    assert seen[0] == "message_start"


async def test_cut_mid_stream_ends_with_api_error(
    make_relay: RelayFactory, bedrock: BedrockEmulator
) -> None:
    bedrock.enqueue(Reply(text("partial answer here"), cut_after_events=3, drip=0.05))
    relay = await make_relay(bedrock_entry(bedrock))
    events = await _raw_events(relay, {"model": MODEL, "max_tokens": 5, "messages": USER})
    assert [name for name, _ in events][:3] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
    ]
    assert events[-1][0] == "error" and events[-1][1]["error"]["type"] == "api_error"


# -- count_tokens --------------------------------------------------------------------------


async def test_count_tokens_uses_bedrock_count_tokens(
    make_relay: RelayFactory, bedrock: BedrockEmulator, sdk: SdkFactory
) -> None:
    bedrock.enqueue_count(1234)
    relay = await make_relay(bedrock_entry(bedrock))
    counted = await sdk(relay, api_key=CLIENT_KEY).messages.count_tokens(
        model=MODEL, messages=USER, system="be brief"
    )
    assert counted.input_tokens == 1234
    seen = bedrock.count_requests[-1]
    # CountTokens takes the foundation model, never the inference profile.
    assert seen.path == "/model/anthropic.claude-opus-4-8/count-tokens"
    assert bedrock.auth_failures == []
    assert all(CLIENT_KEY not in value for value in seen.headers.values())


async def test_count_tokens_failure_is_anthropic_shaped(
    make_relay: RelayFactory, bedrock: BedrockEmulator, sdk: SdkFactory
) -> None:
    bedrock.enqueue_count(
        Fail(400, "ValidationException", "The provided model doesn't support counting tokens.")
    )
    relay = await make_relay(bedrock_entry(bedrock))
    with pytest.raises(anthropic.BadRequestError) as caught:
        await sdk(relay).messages.count_tokens(model=MODEL, messages=USER)
    assert body_of(caught.value)["error"] == {
        "type": "invalid_request_error",
        "message": "The provided model doesn't support counting tokens.",
    }
