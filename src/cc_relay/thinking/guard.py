"""Making a history with thinking blocks valid for the provider it is sent to.

Thinking blocks from the target's own family stay byte for byte. Foreign ones (signed
by another family, or unsigned as Ollama and OpenAI-compatible servers send them) are
dropped: Anthropic answers them with ``Invalid signature in thinking block`` or
``thinking.signature: Field required``. Messages are never removed, so alternation and
tool_use/tool_result pairing are untouched; an assistant turn left empty gets a short
text block, since only a final assistant turn may be empty.

When thinking is on, Anthropic requires the last assistant turn of a tool loop to start
with a thinking block. If that turn's thinking was foreign, thinking is switched off for
this one request instead of failing it.
"""

from __future__ import annotations

from typing import Any

from cc_relay.thinking.ledger import SignatureLedger

_THINKING_TYPES = ("thinking", "redacted_thinking")
#: Stands in for an assistant turn whose only content was foreign thinking.
OMITTED = {"type": "text", "text": "[thinking omitted]"}


def may_hold_thinking(raw: bytes) -> bool:
    """Cheap pre-check on the raw body: every thinking block carries one of these."""
    return b'"signature"' in raw or b"redacted_thinking" in raw


def block_family(block: dict[str, Any], ledger: SignatureLedger) -> str | None:
    """The family a thinking block belongs to; None for an unsigned block."""
    if block.get("type") == "redacted_thinking":
        return "anthropic"  # only Anthropic's family redacts thinking
    signature = block.get("signature")
    if not isinstance(signature, str) or not signature:
        return None
    return ledger.family_of(signature)


def guard_thinking(
    body: dict[str, Any], family: str, ledger: SignatureLedger
) -> dict[str, Any] | None:
    """A copy of ``body`` fit for ``family``, or None when it is fine as it is."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    changed: dict[int, list[Any]] = {}
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        content = message.get("content")
        if not isinstance(content, list):
            continue
        kept = [b for b in content if not _foreign(b, family, ledger)]
        if len(kept) != len(content):
            changed[index] = kept or [OMITTED]
    if not changed:
        return None
    out = dict(body)
    out["messages"] = [
        {**m, "content": changed[i]} if i in changed else m for i, m in enumerate(messages)
    ]
    if _needs_thinking_off(out, changed):
        out.pop("thinking", None)
        _drop_thinking_edits(out)
    return out


def _foreign(block: Any, family: str, ledger: SignatureLedger) -> bool:
    if not isinstance(block, dict) or block.get("type") not in _THINKING_TYPES:
        return False
    return block_family(block, ledger) != family


def _needs_thinking_off(body: dict[str, Any], changed: dict[int, list[Any]]) -> bool:
    thinking = body.get("thinking")
    if not isinstance(thinking, dict) or thinking.get("type") == "disabled":
        return False
    messages = body["messages"]
    last_assistant = next(
        (
            i
            for i in range(len(messages) - 1, -1, -1)
            if isinstance(messages[i], dict) and messages[i].get("role") == "assistant"
        ),
        None,
    )
    if last_assistant is None or last_assistant not in changed:
        return False
    content = changed[last_assistant]
    in_tool_loop = any(isinstance(b, dict) and b.get("type") == "tool_use" for b in content)
    first = content[0]
    return in_tool_loop and not (isinstance(first, dict) and first.get("type") in _THINKING_TYPES)


def _drop_thinking_edits(body: dict[str, Any]) -> None:
    # Context-management edits that clear thinking are refused without thinking on.
    management = body.get("context_management")
    if not isinstance(management, dict) or not isinstance(management.get("edits"), list):
        return
    edits = [
        e
        for e in management["edits"]
        if not (isinstance(e, dict) and "thinking" in str(e.get("type", "")))
    ]
    if edits:
        body["context_management"] = {**management, "edits": edits}
    else:
        body.pop("context_management")
