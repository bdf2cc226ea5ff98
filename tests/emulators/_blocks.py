"""Content blocks an emulated model answers with, and the builders tests call.

A block says *what* the model said; the dialect decides *how* it goes on the wire (ids, deltas,
signatures). Keeping the two apart is what lets one script drive both the Anthropic and the
Ollama emulator.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = [
    "Block",
    "RedactedThinkingBlock",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "redacted_thinking",
    "text",
    "thinking",
    "tool_use",
]


@dataclass(frozen=True, slots=True)
class TextBlock:
    """A `text` block."""

    text: str
    chunks: tuple[str, ...] | None = None
    """Exact `text_delta` pieces; `None` splits on word boundaries."""


@dataclass(frozen=True, slots=True)
class ToolUseBlock:
    """A `tool_use` block. `id=None` lets the dialect mint one (`toolu_01...`, `call_...`)."""

    name: str
    input: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None
    json_chunks: tuple[str, ...] | None = None
    """Exact `input_json_delta` pieces after the leading `""`; `None` splits the JSON."""


@dataclass(frozen=True, slots=True)
class ThinkingBlock:
    """A `thinking` block; dialects without signatures (Ollama) drop `signature`."""

    thinking: str
    signature: str
    chunks: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class RedactedThinkingBlock:
    """A `redacted_thinking` block: opaque data, sent whole in `content_block_start`."""

    data: str


Block: TypeAlias = TextBlock | ToolUseBlock | ThinkingBlock | RedactedThinkingBlock


def _chunks(chunks: Sequence[str] | None, whole: str, what: str) -> tuple[str, ...] | None:
    if chunks is None:
        return None
    pieces = tuple(chunks)
    if "".join(pieces) != whole:
        raise ValueError(f"emulators: {what} chunks must join to the whole value")
    return pieces


def text(value: str, *, chunks: Sequence[str] | None = None) -> TextBlock:
    """Build a text block; `chunks` pins the exact deltas (e.g. to split before an emoji)."""
    return TextBlock(value, _chunks(chunks, value, "text"))


def tool_use(
    name: str,
    input: Mapping[str, Any] | None = None,
    *,
    id: str | None = None,
    json_chunks: Sequence[str] | None = None,
) -> ToolUseBlock:
    """Build a tool_use block. `json_chunks`, if given, must join to valid JSON of `input`."""
    return ToolUseBlock(
        name=name,
        input=dict(input or {}),
        id=id,
        json_chunks=None if json_chunks is None else tuple(json_chunks),
    )


def thinking(
    value: str, *, signature: str | None = None, chunks: Sequence[str] | None = None
) -> ThinkingBlock:
    """Build a thinking block.

    The default signature is derived from the text so tests can predict it without it
    looking like any real Anthropic signature (replaying it upstream must fail loudly).
    """
    if signature is None:
        digest = hashlib.sha256(value.encode()).digest()
        signature = "EmuSig" + base64.b64encode(digest * 2).decode()
    return ThinkingBlock(value, signature, _chunks(chunks, value, "thinking"))


def redacted_thinking(data: str) -> RedactedThinkingBlock:
    """Build a redacted_thinking block."""
    return RedactedThinkingBlock(data)
