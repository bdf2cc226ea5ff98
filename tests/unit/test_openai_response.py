"""Non-streamed chat completions and error bodies, in Anthropic's shape."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cc_relay.errors import UpstreamStatusError
from cc_relay.providers.openai.arguments import UNPARSED_KEY
from cc_relay.providers.openai.errors import anthropic_error, error_type, translate
from cc_relay.providers.openai.response import anthropic_message
from cc_relay.types import UpstreamAnswer
from tests.emulators import Reply, text, thinking, tool_use
from tests.emulators._openai import Chat, OpenAIDialect

DIALECT = OpenAIDialect()


def completion(message: dict[str, Any], finish: str | None = "stop", **extra: Any) -> bytes:
    return orjson.dumps(
        {
            "id": "chatcmpl-9",
            "object": "chat.completion",
            "model": "gpt-5",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            **extra,
        }
    )


def test_emulator_completion_translates_to_the_same_blocks() -> None:
    reply = Reply(
        thinking("because"),
        text("Here."),
        tool_use("Bash", {"command": "ls"}, id="call_1"),
        stop_reason="tool_use",
        input_tokens=30,
        cache_read_input_tokens=70,
        output_tokens=9,
    )
    body = DIALECT.completion(Chat(reply), DIALECT.resolve(reply), model="gpt-5-2025-08-07")
    message = anthropic_message(orjson.dumps(body))
    assert message["content"] == [
        {"type": "thinking", "thinking": "because", "signature": ""},
        {"type": "text", "text": "Here."},
        {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"command": "ls"}},
    ]
    assert message["stop_reason"] == "tool_use" and message["stop_sequence"] is None
    assert message["usage"] == {
        "input_tokens": 30,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 70,
        "output_tokens": 9,
    }
    assert message["model"] == "gpt-5-2025-08-07"
    assert message["id"].startswith("msg_") and message["type"] == "message"
    assert message["role"] == "assistant"


def test_reasoning_field_and_content_parts() -> None:
    message = anthropic_message(
        completion(
            {
                "role": "assistant",
                "reasoning": "r",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            }
        )
    )
    assert message["content"] == [
        {"type": "thinking", "thinking": "r", "signature": ""},
        {"type": "text", "text": "ab"},
    ]


def test_empty_answer_has_no_blocks() -> None:
    message = anthropic_message(completion({"role": "assistant", "content": None}, "length"))
    assert message["content"] == [] and message["stop_reason"] == "max_tokens"


def test_refusal_is_text_with_refusal_stop() -> None:
    message = anthropic_message(
        completion(
            {"role": "assistant", "content": None, "refusal": "I can't help"}, "content_filter"
        )
    )
    assert message["content"] == [{"type": "text", "text": "I can't help"}]
    assert message["stop_reason"] == "refusal"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("", {}),
        (None, {}),
        ({"a": 2}, {"a": 2}),
        ("{'a': 1}", {UNPARSED_KEY: "{'a': 1}"}),
        ("[1]", {UNPARSED_KEY: "[1]"}),
    ],
)
def test_tool_arguments(arguments: Any, expected: dict[str, Any]) -> None:
    message = anthropic_message(
        completion(
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "functions.f:0",
                        "type": "function",
                        "function": {"name": "f", "arguments": arguments},
                    }
                ],
            },
            "tool_calls",
        )
    )
    block = message["content"][0]
    assert block["input"] == expected and block["id"].startswith("functions_f_0_")


def test_stop_with_tool_calls_and_legacy_function_call() -> None:
    message = anthropic_message(
        completion(
            {
                "role": "assistant",
                "content": "x",
                "function_call": {"name": "g", "arguments": "{}"},
            },
            "stop",
        )
    )
    assert message["content"][1]["name"] == "g" and message["stop_reason"] == "tool_use"


def test_deepseek_cache_hit_tokens() -> None:
    message = anthropic_message(
        completion(
            {"role": "assistant", "content": "x"},
            usage={
                "prompt_tokens": 100,
                "completion_tokens": 5,
                "prompt_cache_hit_tokens": 80,
                "prompt_cache_miss_tokens": 20,
            },
        )
    )
    assert (message["usage"]["input_tokens"], message["usage"]["cache_read_input_tokens"]) == (
        20,
        80,
    )


def test_error_in_a_200_body_is_a_failed_attempt() -> None:
    with pytest.raises(UpstreamStatusError) as caught:
        anthropic_message(orjson.dumps({"error": {"message": "No credits", "code": 402}}))
    answer = caught.value.answer
    assert answer.status == 402
    assert orjson.loads(answer.body) == {
        "type": "error",
        "error": {"type": "billing_error", "message": "No credits"},
    }


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"{}", b'{"choices": []}', b"[]"])
def test_not_a_completion_is_a_502(body: bytes) -> None:
    with pytest.raises(UpstreamStatusError) as caught:
        anthropic_message(body)
    assert caught.value.answer.status == 502
    assert orjson.loads(caught.value.answer.body)["error"]["type"] == "api_error"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (402, "billing_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (422, "invalid_request_error"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (502, "api_error"),
        (503, "overloaded_error"),
        (504, "timeout_error"),
        (529, "overloaded_error"),
    ],
)
def test_error_types_by_status(status: int, kind: str) -> None:
    assert error_type(status) == kind


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": {"message": "Bad key here", "type": "invalid_request_error", "code": "x"}}',
        b'{"object": "error", "message": "Bad key here", "type": "BadRequestError", "code": 400}',
        b'{"detail": "Bad key here"}',
        b'{"message": "Bad key here"}',
        b"Bad key here",
    ],
)
def test_error_bodies_keep_their_message(body: bytes) -> None:
    assert anthropic_error(401, body) == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "Bad key here"},
    }


def test_empty_error_body_names_the_status() -> None:
    assert anthropic_error(503, b"")["error"]["message"] == "upstream answered HTTP 503"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {
                "message": "This model's maximum context length is 128000 tokens. However, your "
                "messages resulted in 130512 tokens (1000 in the completion).",
                "code": "context_length_exceeded",
            },
            "prompt is too long: 130512 tokens > 128000 maximum. This model's",
        ),
        (
            {
                "message": "the request exceeds the available context size, try increasing it",
                "code": "exceed_context_size_error",
                "n_prompt_tokens": 40000,
                "n_ctx": 32768,
            },
            "prompt is too long: 40000 tokens > 32768 maximum. the request",
        ),
        (
            {
                "message": "Input length 131393 exceeds the maximum allowed input length of 131040 "
                "tokens."
            },
            "prompt is too long: 131393 tokens > 131040 maximum.",
        ),
        ({"message": "context length exceeded"}, "prompt is too long. context length exceeded"),
    ],
)
def test_context_overflow_gets_claude_codes_wording(error: dict[str, Any], expected: str) -> None:
    message = anthropic_error(400, orjson.dumps({"error": error}))["error"]["message"]
    assert message.startswith(expected)


def test_unrelated_errors_are_not_called_overflows() -> None:
    message = anthropic_error(400, b'{"error": {"message": "max_tokens must be at most 4096"}}')
    assert message["error"]["message"] == "max_tokens must be at most 4096"


def test_translate_keeps_status_and_useful_headers() -> None:
    answer = UpstreamAnswer(
        429,
        {
            "content-type": "application/json; charset=utf-8",
            "content-length": "99",
            "retry-after": "3",
            "x-request-id": "req_1",
        },
        b'{"error": {"message": "Rate limit reached", "type": "requests"}}',
    )
    out = translate(answer)
    assert out.status == 429
    assert out.headers == {
        "retry-after": "3",
        "x-request-id": "req_1",
        "content-type": "application/json",
    }
    assert orjson.loads(out.body)["error"] == {
        "type": "rate_limit_error",
        "message": "Rate limit reached",
    }
