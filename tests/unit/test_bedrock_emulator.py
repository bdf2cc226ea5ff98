"""The Bedrock emulator judged by AWS's own client: botocore signs, parses and decodes.

botocore is the reference implementation of bedrock-runtime's wire format (its service
model, SigV4 signer, event-stream parser and error parser), so an emulator it can talk to
is an emulator the relay can be tested against.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError
from botocore.session import Session

from cc_relay.providers.bedrock.body import count_tokens_body
from tests.emulators import BedrockEmulator, Fail, Reply, text, tool_use
from tests.emulators._bedrock import TEST_CREDENTIALS

MODEL_ID = "us.anthropic.claude-opus-4-8"
BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 50,
    "messages": [{"role": "user", "content": "hi"}],
}


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
async def bedrock() -> AsyncIterator[BedrockEmulator]:
    async with BedrockEmulator() as server:
        yield server


_clients: list[Any] = []


@pytest.fixture(autouse=True)
def close_clients() -> Iterator[None]:
    yield
    while _clients:
        _clients.pop().close()


def _client(emu: BedrockEmulator, **overrides: Any) -> Any:
    """A botocore bedrock-runtime client for the emulator (no retries; closed after)."""
    options = {
        "aws_access_key_id": TEST_CREDENTIALS.access_key,
        "aws_secret_access_key": TEST_CREDENTIALS.secret_key,
        "aws_session_token": TEST_CREDENTIALS.token,
        **overrides,
    }
    client = Session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=emu.base_url,
        config=Config(retries={"total_max_attempts": 1}),
        **options,
    )
    _clients.append(client)
    return client


async def test_botocore_invoke_model(bedrock: BedrockEmulator) -> None:
    bedrock.enqueue(Reply(text("hello"), input_tokens=9, output_tokens=2))
    client = _client(bedrock)
    answer = await asyncio.to_thread(client.invoke_model, modelId=MODEL_ID, body=orjson.dumps(BODY))
    message = orjson.loads(answer["body"].read())
    assert message["content"] == [{"type": "text", "text": "hello"}]
    assert message["model"] == "claude-opus-4-8"
    assert message["id"].startswith("msg_bdrk_01")
    assert bedrock.auth_failures == []
    # botocore percent-encodes the ':' of a model id; the signature still verifies.
    assert bedrock.requests[0].path == f"/model/{MODEL_ID}/invoke"


async def test_botocore_reads_the_stream(bedrock: BedrockEmulator) -> None:
    bedrock.enqueue(
        Reply(text("Hi there"), tool_use("Bash", {"command": "ls"}), stop_reason="tool_use")
    )
    client = _client(bedrock)

    def events() -> list[dict[str, Any]]:
        answer = client.invoke_model_with_response_stream(modelId=MODEL_ID, body=orjson.dumps(BODY))
        try:
            return [orjson.loads(event["chunk"]["bytes"]) for event in answer["body"]]
        finally:
            answer["body"].close()

    received = await asyncio.to_thread(events)
    assert [e["type"] for e in received][:2] == ["message_start", "content_block_start"]
    assert received[-1]["type"] == "message_stop"
    assert received[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0


async def test_botocore_raises_the_mid_stream_exception(bedrock: BedrockEmulator) -> None:
    bedrock.enqueue(
        Reply(text("Hi there"), error_after_events=(2, "throttlingException", "Slow down."))
    )
    client = _client(bedrock)

    def drain() -> None:
        answer = client.invoke_model_with_response_stream(modelId=MODEL_ID, body=orjson.dumps(BODY))
        try:
            for _ in answer["body"]:
                pass
        finally:
            answer["body"].close()

    with pytest.raises(EventStreamError) as caught:
        await asyncio.to_thread(drain)
    assert caught.value.response["Error"] == {
        "Code": "throttlingException",
        "Message": "Slow down.",
    }


@pytest.mark.parametrize(
    ("fail", "code"),
    [
        (Fail(429, "ThrottlingException", "Too many requests."), "ThrottlingException"),
        (Fail(503), "ServiceUnavailableException"),
        (Fail(400, "ServiceQuotaExceededException", "Quota."), "ServiceQuotaExceededException"),
    ],
)
async def test_botocore_parses_the_errors(bedrock: BedrockEmulator, fail: Fail, code: str) -> None:
    bedrock.enqueue(fail)
    client = _client(bedrock)
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(client.invoke_model, modelId=MODEL_ID, body=orjson.dumps(BODY))
    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == fail.status


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"aws_secret_access_key": "wrong"}, "InvalidSignatureException"),
        ({"aws_session_token": "other"}, "UnrecognizedClientException"),
    ],
)
async def test_botocore_bad_credentials_are_refused(
    bedrock: BedrockEmulator, overrides: dict[str, str], code: str
) -> None:
    client = _client(bedrock, **overrides)
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(client.invoke_model, modelId=MODEL_ID, body=orjson.dumps(BODY))
    assert caught.value.response["Error"]["Code"] == code


async def test_botocore_count_tokens_matches_the_relays_request(bedrock: BedrockEmulator) -> None:
    bedrock.enqueue_count(77)
    client = _client(bedrock)
    answer = await asyncio.to_thread(
        client.count_tokens,
        modelId="anthropic.claude-opus-4-8",
        input={"invokeModel": {"body": orjson.dumps(BODY)}},
    )
    assert answer["inputTokens"] == 77
    theirs = bedrock.count_requests[0].json
    ours = orjson.loads(count_tokens_body(BODY))
    assert theirs == ours
    assert orjson.loads(base64.b64decode(ours["input"]["invokeModel"]["body"])) == BODY


async def test_count_tokens_refuses_inference_profiles(bedrock: BedrockEmulator) -> None:
    client = _client(bedrock)
    with pytest.raises(ClientError) as caught:
        await asyncio.to_thread(
            client.count_tokens,
            modelId=MODEL_ID,
            input={"invokeModel": {"body": orjson.dumps(BODY)}},
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
