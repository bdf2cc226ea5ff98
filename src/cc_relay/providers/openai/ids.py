"""Ids that both dialects accept: tool-call ids and message ids.

Anthropic requires ``tool_use.id`` to match ``^[a-zA-Z0-9_-]+$``; OpenAI refuses a
``tool_calls[].id`` longer than 40 characters (``string_above_max_length``). Servers
behind the OpenAI dialect mint ids of their own shape (Kimi: ``functions.Bash:0``),
send none, or repeat one across parallel calls.

One pure function maps every id, in both directions: ``tool_use.id`` and
``tool_result.tool_use_id`` on the way up, ``tool_calls[].id`` on the way down. A valid
id maps to itself and the mapping is idempotent, so ids already in a client's history
never change and a tool_use and its tool_result always pair up. Ids that must change get
a short hash of the original, so two different ids cannot collapse into one.
"""

from __future__ import annotations

import hashlib
import re
import secrets

__all__ = ["MAX_TOOL_ID_LENGTH", "ToolIds", "fresh_tool_id", "message_id", "tool_id"]

#: OpenAI's limit on ``tool_calls[].id``.
MAX_TOOL_ID_LENGTH = 40
_VALID = re.compile(r"[a-zA-Z0-9_-]+")
_INVALID_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
_HASH_BYTES = 4  # 8 hex characters


def _digest(raw: str) -> str:
    return hashlib.blake2s(raw.encode(), digest_size=_HASH_BYTES).hexdigest()


def tool_id(raw: str) -> str:
    """``raw`` made valid for both dialects; unchanged when it already is.

    Args:
        raw: A tool-call id from either side (any string, maybe empty).
    """
    if len(raw) <= MAX_TOOL_ID_LENGTH and _VALID.fullmatch(raw):
        return raw
    suffix = "_" + _digest(raw)
    stem = _INVALID_CHARS.sub("_", raw)[: MAX_TOOL_ID_LENGTH - len(suffix)] or "toolu"
    return stem + suffix


def fresh_tool_id() -> str:
    """An id for a tool call the upstream sent without one."""
    return "toolu_" + secrets.token_hex(12)


def message_id(upstream: object) -> str:
    """An Anthropic-style ``msg_`` id, derived from the upstream's id when it has one
    (so logs on both sides can be matched), else random."""
    if isinstance(upstream, str) and upstream:
        return "msg_" + _INVALID_CHARS.sub("_", upstream)[:64]
    return "msg_" + secrets.token_hex(12)


class ToolIds:
    """Tool ids for one answer: sanitised, minted when missing, never repeated.

    Some servers reuse one id for parallel calls, or send ``""``; Claude Code pairs
    results by id, so each call of an answer must get its own.
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def take(self, raw: object) -> str:
        candidate = tool_id(raw) if isinstance(raw, str) and raw else fresh_tool_id()
        while candidate in self._seen:
            candidate = tool_id(f"{candidate}_{len(self._seen)}")
        self._seen.add(candidate)
        return candidate
