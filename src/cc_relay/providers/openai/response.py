"""A non-streamed ``chat.completion`` -> an Anthropic ``message``.

``choices[0].message`` gives the content, in Anthropic's order: a ``thinking`` block
for ``reasoning_content`` (DeepSeek, vLLM, llama.cpp) or ``reasoning`` (OpenRouter,
Ollama), with an empty signature; a ``text`` block for ``content`` (or ``refusal``);
one ``tool_use`` block per tool call, its input parsed (see ``arguments.py``) and its id
made valid (see ``ids.py``). ``finish_reason`` and ``usage`` go through ``outcome.py``.

A 200 answer that holds an error object instead (OpenRouter does this) or is not a chat
completion at all is raised as an UpstreamStatusError in Anthropic's shape, so the relay
treats it like any failed attempt.
"""

from __future__ import annotations

from typing import Any

import orjson

from cc_relay.errors import UpstreamStatusError, envelope
from cc_relay.headers import CONTENT_TYPE
from cc_relay.providers.openai.arguments import tool_input
from cc_relay.providers.openai.errors import error_payload, stream_error
from cc_relay.providers.openai.ids import ToolIds, message_id
from cc_relay.providers.openai.outcome import ChatUsage, stop_reason
from cc_relay.types import UpstreamAnswer

__all__ = ["anthropic_message"]

_NOT_A_COMPLETION = "The upstream provider answered with something that is not a chat completion."


def _failure(status: int, envelope: dict[str, Any]) -> UpstreamStatusError:
    return UpstreamStatusError(
        UpstreamAnswer(status, {CONTENT_TYPE: "application/json"}, orjson.dumps(envelope))
    )


def anthropic_message(body: bytes) -> dict[str, Any]:
    """The Anthropic message for a chat completion body.

    Raises:
        UpstreamStatusError: the body is an error, or not a chat completion.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        data = None
    error = error_payload(data)
    if error is not None:
        raise _failure(*stream_error(error))
    choices = data.get("choices") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or not isinstance(choices, list)
        or not choices
        or not (isinstance(choices[0], dict))
    ):
        raise _failure(502, envelope("api_error", _NOT_A_COMPLETION))
    choice = choices[0]
    message = choice.get("message")
    content = _content(message if isinstance(message, dict) else {})
    has_tools = any(block["type"] == "tool_use" for block in content)
    reason, sequence = stop_reason(
        choice.get("finish_reason"), has_tool_calls=has_tools, matched=choice.get("stop_reason")
    )
    usage = ChatUsage.parse(data.get("usage")) or ChatUsage()
    model = data.get("model")
    return {
        "id": message_id(data.get("id")),
        "type": "message",
        "role": "assistant",
        "model": model if isinstance(model, str) else "",
        "content": content,
        "stop_reason": reason,
        "stop_sequence": sequence,
        "usage": usage.as_anthropic(),
    }


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content as a list of parts
        return "".join(
            p["text"] for p in value if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
    return ""


def _content(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    reasoning = _text(message.get("reasoning_content")) or _text(message.get("reasoning"))
    if reasoning:
        blocks.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    text = _text(message.get("content")) or _text(message.get("refusal"))
    if text:
        blocks.append({"type": "text", "text": text})
    calls = message.get("tool_calls")
    calls = list(calls) if isinstance(calls, list) else []
    if isinstance(message.get("function_call"), dict):
        calls.append({"function": message["function_call"]})
    ids = ToolIds()
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            continue
        name = function.get("name")
        blocks.append(
            {
                "type": "tool_use",
                "id": ids.take(call.get("id")),
                "name": name if isinstance(name, str) and name else "unknown",
                "input": tool_input(function.get("arguments")),
            }
        )
    return blocks
