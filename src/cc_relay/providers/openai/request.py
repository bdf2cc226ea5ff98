"""Anthropic Messages request -> OpenAI chat completions request.

=====================================  ===================================================
Anthropic                              OpenAI
=====================================  ===================================================
``model``                              the upstream model id
``system``, ``messages``               ``messages`` (see ``messages.py``)
``max_tokens``                         ``max_tokens``; ``max_completion_tokens`` for
                                       api.openai.com (see ``TokenField``)
``temperature``, ``top_p``             unchanged
``stop_sequences``                     ``stop``
``stream: true``                       ``stream: true`` and
                                       ``stream_options: {include_usage: true}``, so the
                                       last chunk carries the token counts
``tools`` (custom)                     ``tools: [{type: function, function: {name,
                                       description, parameters}}]``
``tools`` (Anthropic server tools)     refused: nobody else runs ``web_search_*`` & co.
``tool_choice`` auto / any / tool /    ``auto`` / ``required`` /
none                                   ``{type: function, function: {name}}`` / ``none``
``disable_parallel_tool_use``          ``parallel_tool_calls: false``
``thinking: enabled, budget_tokens``   ``reasoning_effort``: ``low`` below 4096 tokens,
                                       ``medium`` below 16384, else ``high`` (Claude
                                       Code's think / think hard / ultrathink budgets of
                                       4000 / 10000 / 31999 land on each level)
``thinking: adaptive`` / ``disabled``  nothing: the server's default. Claude Code sends
                                       ``adaptive`` on every request, and a
                                       ``reasoning_effort`` makes models that cannot
                                       reason fail (OpenAI: "Unsupported parameter";
                                       Ollama: "does not support thinking")
``output_config.format`` /             ``response_format: {type: json_schema, ...}``
``output_format`` (JSON schema)
``metadata``, ``top_k``,               dropped: no OpenAI equivalent, and OpenAI refuses
``cache_control``, ``service_tier``,   parameters it does not know. ``metadata.user_id``
``context_management``, ``container``,  is not sent as ``user``: it holds Claude Code's
``mcp_servers``, ``output_config``     device and session ids
(effort), unknown fields
=====================================  ===================================================
"""

from __future__ import annotations

from typing import Any, Literal

from cc_relay.errors import InvalidRequest
from cc_relay.providers.openai.messages import chat_messages

__all__ = [
    "LOW_EFFORT_BELOW",
    "MEDIUM_EFFORT_BELOW",
    "TokenField",
    "chat_request",
    "reasoning_effort",
]

TokenField = Literal["max_tokens", "max_completion_tokens"]
"""Where the output limit goes. OpenAI deprecated ``max_tokens`` and its reasoning models
(o-series, gpt-5) refuse it, but many compatible servers (llama.cpp before 2026,
llama-cpp-python, LM Studio, DeepSeek) only read ``max_tokens`` and silently ignore
``max_completion_tokens``, which lets a model generate without limit."""

#: Thinking budgets below this many tokens ask for ``reasoning_effort: low``.
LOW_EFFORT_BELOW = 4096
#: Thinking budgets below this many tokens (and not low) ask for ``medium``.
MEDIUM_EFFORT_BELOW = 16384

_TOOL_CHOICES = {"auto": "auto", "any": "required", "none": "none"}
_SAMPLING = ("temperature", "top_p")


def chat_request(
    body: dict[str, Any],
    model: str,
    *,
    stream: bool,
    token_field: TokenField,
    replay_reasoning: bool = True,
) -> dict[str, Any]:
    """The chat completions body for an Anthropic request body.

    Args:
        body: The client's parsed request.
        model: The upstream model id.
        stream: Ask for a streamed answer.
        token_field: The name the output limit goes under.
        replay_reasoning: Send earlier reasoning back (see ``messages.py``).
    """
    out: dict[str, Any] = {
        "model": model,
        "messages": chat_messages(body, replay_reasoning=replay_reasoning),
    }
    if isinstance(body.get("max_tokens"), int):
        out[token_field] = body["max_tokens"]
    for name in _SAMPLING:
        if isinstance(body.get(name), (int, float)):
            out[name] = body[name]
    stops = body.get("stop_sequences")
    if isinstance(stops, list) and stops:
        out["stop"] = stops
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    tools = _tools(body.get("tools"))
    if tools:
        out["tools"] = tools
        out.update(_tool_choice(body.get("tool_choice")))
    effort = reasoning_effort(body.get("thinking"))
    if effort is not None:
        out["reasoning_effort"] = effort
    response_format = _response_format(body)
    if response_format is not None:
        out["response_format"] = response_format
    return out


def reasoning_effort(thinking: object) -> str | None:
    """``reasoning_effort`` for an Anthropic ``thinking`` value, or None to send none."""
    if not isinstance(thinking, dict) or thinking.get("type") != "enabled":
        return None
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or budget < LOW_EFFORT_BELOW:
        return "low"
    return "medium" if budget < MEDIUM_EFFORT_BELOW else "high"


def _tools(tools: object) -> list[dict[str, Any]]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidRequest("tools: expected a list")
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise InvalidRequest(f"tools[{i}]: expected an object with a name")
        kind = tool.get("type")
        if kind not in (None, "custom"):
            raise InvalidRequest(
                f"tools[{i}]: {tool['name']!r} is an Anthropic tool of "
                f"type {kind!r}, which an OpenAI-compatible provider "
                "cannot run"
            )
        function: dict[str, Any] = {"name": tool["name"]}
        if isinstance(tool.get("description"), str):
            function["description"] = tool["description"]
        schema = tool.get("input_schema")
        function["parameters"] = schema if isinstance(schema, dict) else {"type": "object"}
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: object) -> dict[str, Any]:
    if not isinstance(choice, dict):
        return {}
    kind = choice.get("type")
    out: dict[str, Any] = {}
    if kind in _TOOL_CHOICES:
        out["tool_choice"] = _TOOL_CHOICES[kind]
    elif kind == "tool" and isinstance(choice.get("name"), str):
        out["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    if choice.get("disable_parallel_tool_use") is True and kind != "none":
        out["parallel_tool_calls"] = False
    return out


def _response_format(body: dict[str, Any]) -> dict[str, Any] | None:
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    if fmt is None:
        fmt = body.get("output_format")
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return None
    schema = fmt.get("schema")
    if not isinstance(schema, dict):
        return None
    return {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
