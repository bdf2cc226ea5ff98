"""How an OpenAI answer ended and what it cost, in Anthropic's terms.

``finish_reason`` -> ``stop_reason``:

====================  ================  =================================================
OpenAI                Anthropic         why
====================  ================  =================================================
``stop``              ``end_turn``      ``stop_sequence`` when the server names the
                                        matched string (vLLM's ``stop_reason``); OpenAI
                                        itself never says which sequence matched
``length``            ``max_tokens``
``tool_calls``        ``tool_use``      also the legacy ``function_call``
``content_filter``    ``refusal``       the answer was withheld by a safety system,
                                        which is what Anthropic's ``refusal`` means
anything else, null   ``end_turn``
====================  ================  =================================================

An answer holding tool calls that ends with ``stop`` (older Ollama, some llama.cpp
builds) is reported as ``tool_use``: Claude Code runs tools on that stop reason.

Usage: OpenAI's ``prompt_tokens`` include cached tokens; Anthropic's ``input_tokens``
do not, so cached tokens (``prompt_tokens_details.cached_tokens``, or DeepSeek's
``prompt_cache_hit_tokens``) are taken out and reported as ``cache_read_input_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ChatUsage", "stop_reason"]

_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def stop_reason(
    finish_reason: object, *, has_tool_calls: bool, matched: object = None
) -> tuple[str, str | None]:
    """Anthropic's ``(stop_reason, stop_sequence)`` for one finished choice.

    Args:
        finish_reason: The choice's ``finish_reason`` (any JSON value).
        has_tool_calls: The answer holds at least one tool call.
        matched: vLLM's ``stop_reason``: the stop string that ended the answer, if any.
    """
    reason = (
        _STOP_REASONS.get(finish_reason, "end_turn")
        if isinstance(finish_reason, str)
        else "end_turn"
    )
    if has_tool_calls and reason == "end_turn":
        return "tool_use", None
    if reason == "end_turn" and isinstance(matched, str) and matched:
        return "stop_sequence", matched
    return reason, None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(slots=True)
class ChatUsage:
    """Token counts of one answer, from OpenAI's ``usage`` object."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None

    @classmethod
    def parse(cls, usage: object) -> ChatUsage | None:
        """The counts in an OpenAI ``usage`` object; None when it is not one."""
        if not isinstance(usage, dict):
            return None
        prompt = _int(usage.get("prompt_tokens"))
        details = usage.get("prompt_tokens_details")
        cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else None
        if cached is None:
            cached = _int(usage.get("prompt_cache_hit_tokens"))
        if prompt is not None and cached is not None:
            cached = min(cached, prompt)
        return cls(
            input_tokens=None if prompt is None else prompt - (cached or 0),
            output_tokens=_int(usage.get("completion_tokens")),
            cache_read_input_tokens=cached,
        )

    def as_anthropic(self) -> dict[str, Any]:
        """Anthropic's ``usage`` object; unknown counts are 0, as the SDKs need ints."""
        return {
            "input_tokens": self.input_tokens or 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": self.cache_read_input_tokens or 0,
            "output_tokens": self.output_tokens or 0,
        }
