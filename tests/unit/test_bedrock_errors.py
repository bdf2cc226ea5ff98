"""Bedrock's errors and token counts, in Anthropic's shapes."""

from __future__ import annotations

import orjson
import pytest

from cc_relay.config import ProviderConfig
from cc_relay.errors import RETRYABLE_STATUSES
from cc_relay.providers.bedrock import BedrockProvider
from cc_relay.types import UpstreamAnswer

NS = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


def _provider() -> BedrockProvider:
    return BedrockProvider(ProviderConfig(name="b", type="bedrock", region="us-east-1"))


@pytest.mark.parametrize(
    ("status", "name", "client_status", "error_type", "retryable"),
    [
        (429, "ThrottlingException", 429, "rate_limit_error", True),
        (400, "ServiceQuotaExceededException", 429, "rate_limit_error", True),
        (429, "ModelNotReadyException", 429, "rate_limit_error", True),
        (503, "ServiceUnavailableException", 529, "overloaded_error", True),
        (500, "InternalServerException", 500, "api_error", True),
        (408, "ModelTimeoutException", 408, "timeout_error", True),
        (400, "ValidationException", 400, "invalid_request_error", False),
        (403, "AccessDeniedException", 403, "permission_error", False),
        (403, "UnrecognizedClientException", 403, "permission_error", False),
        (404, "ResourceNotFoundException", 404, "not_found_error", False),
        (424, "ModelErrorException", 424, "api_error", False),
        (502, None, 502, "api_error", True),
        (503, None, 503, "overloaded_error", True),
        (418, "TeapotException", 418, "api_error", False),
    ],
)
def test_error_answers_become_anthropic_errors(
    status: int, name: str | None, client_status: int, error_type: str, retryable: bool
) -> None:
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": "r-1"}
    if name is not None:
        headers["x-amzn-ErrorType"] = name + NS
    answer = _provider().error(UpstreamAnswer(status, headers, b'{"message":"Why it failed."}'))
    assert answer.status == client_status
    assert orjson.loads(answer.body) == {
        "type": "error",
        "error": {"type": error_type, "message": "Why it failed."},
    }
    assert answer.headers == {"x-amzn-RequestId": "r-1", "content-type": "application/json"}
    assert (answer.status in RETRYABLE_STATUSES) is retryable


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"Message":"User: arn:aws:iam::1:user/x is not authorized"}',
            "User: arn:aws:iam::1:user/x is not authorized",
        ),
        (b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
        (b"", "Amazon Bedrock answered HTTP 403"),
        (b'["odd"]', "Amazon Bedrock answered HTTP 403"),
    ],
)
def test_error_message_is_kept_whatever_the_shape(body: bytes, message: str) -> None:
    answer = _provider().error(UpstreamAnswer(403, {}, body))
    assert orjson.loads(answer.body)["error"]["message"] == message


def test_count_tokens_answer_is_renamed() -> None:
    assert orjson.loads(_provider().whole(b'{"inputTokens":1234}')) == {"input_tokens": 1234}


@pytest.mark.parametrize(
    "body",
    [
        b'{"id":"msg_bdrk_01","type":"message","content":[{"type":"text","text":"inputTokens"}]}',
        b'{"type":"message","inputTokens":3}',
        b'{"inputTokens": 3',
    ],
)
def test_messages_pass_through_untouched(body: bytes) -> None:
    assert _provider().whole(body) == body
