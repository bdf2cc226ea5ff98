"""Anthropic's thinking-signature checks, as the real API applies them.

Only the backend that issued a signature accepts it; an unsigned block is refused; and
with thinking on, the last assistant turn of a tool loop must start with thinking. The
wording follows the API's error messages, which Claude Code matches on.
"""

from __future__ import annotations

from typing import Any

_THINKING = ("thinking", "redacted_thinking")


def signature_problem(body: dict[str, Any], issued: set[str]) -> str | None:
    """The 400 message the real API would give for this body, or None."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        content = message.get("content")
        for j, block in enumerate(content if isinstance(content, list) else ()):
            if not isinstance(block, dict) or block.get("type") != "thinking":
                continue
            signature = block.get("signature")
            if not signature:
                return f"messages.{i}.content.{j}.thinking.signature: Field required"
            if signature not in issued:
                return f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
    return _tool_loop_problem(body, messages)


def _tool_loop_problem(body: dict[str, Any], messages: list[Any]) -> str | None:
    thinking = body.get("thinking")
    if not isinstance(thinking, dict) or thinking.get("type") == "disabled":
        return None
    last = next(
        (m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "assistant"),
        None,
    )
    content = last.get("content") if last else None
    if not isinstance(content, list) or not content:
        return None
    has_tool_use = any(isinstance(b, dict) and b.get("type") == "tool_use" for b in content)
    first = content[0]
    if has_tool_use and not (isinstance(first, dict) and first.get("type") in _THINKING):
        index = messages.index(last)
        return (
            f"messages.{index}.content.0.type: Expected `thinking` or "
            "`redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a "
            "final `assistant` message must start with a thinking block"
        )
    return None
