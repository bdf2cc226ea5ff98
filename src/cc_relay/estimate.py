"""Local estimate of ``POST /v1/messages/count_tokens`` for providers without one (Z.AI, Ollama).

Claude's tokenizer is not public, so this counts characters: Claude averages about 3.5
characters per token on English prose and source code, so text costs ``len(text) / 3.5``.
Structured parts (``tool_use`` input, tool definitions, blocks of unknown type) count as their
compact JSON text at the same rate. Fixed costs come from Anthropic's docs: the tool-use system
prompt added when ``tools`` is non-empty, images at ``ceil(w * h / 750)`` after scaling the long
edge to at most 1568 px (at most about 1600 tokens), and about 1500 tokens per PDF page.

Expected error: 3.5 is an average, not a calibration against the live endpoint, so expect
roughly +-20% on English text and code, the common Claude Code case. Dense scripts (CJK) and
long runs of digits or base64 count low, by 2x or more.
Thinking blocks from earlier turns count in full, although some models drop them. Images are
exact only when the header can be read; a URL image counts at the cap. PDFs count their page text
only, not the page images, and a PDF whose page objects sit in compressed object streams gets a
fixed guess. The function is total: any JSON-valid body, however odd, gives an ``int >= 1``.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from typing import Any, Literal

import orjson

__all__ = ["estimate_input_tokens"]

CHARS_PER_TOKEN = 3.5
"""Average characters per Claude token on English text and code."""
BASE_REQUEST_TOKENS = 3
"""Framing every request pays, whatever it holds."""
PER_MESSAGE_TOKENS = 3
"""Role and turn markers around each message."""
TOOLS_PROMPT_AUTO_TOKENS = 346
"""Tool-use system prompt for ``tool_choice`` auto or none (Claude 4 family, Anthropic docs)."""
TOOLS_PROMPT_FORCED_TOKENS = 313
"""Tool-use system prompt for ``tool_choice`` any or tool."""
IMAGE_MAX_EDGE = 1568
"""Anthropic scales images so their long edge is at most this many pixels."""
IMAGE_PIXELS_PER_TOKEN = 750
IMAGE_MAX_TOKENS = 1600
"""Cap on one image, also used when its size cannot be read (URL source, odd header)."""
IMAGE_HEADER_BYTES = 64 * 1024
"""Decoded prefix searched for the size; JPEG EXIF and ICC segments can sit before SOF."""
PDF_TOKENS_PER_PAGE = 1500
DOCUMENT_UNKNOWN_TOKENS = 1500
"""A document whose size cannot be told (URL or file source, PDF without visible pages)."""
MAX_DEPTH = 32
"""Blocks nested deeper than this count as their JSON text."""

_FORCED_TOOL_CHOICES = ("any", "tool")  # a tuple: `in` must not hash odd JSON values
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9])")
# Every SOFn marker carries the frame size; C4 (DHT), C8 (JPG) and CC (DAC) are not SOFs.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_NO_LENGTH = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})  # TEM, SOI, RSTn: no length


def estimate_input_tokens(body: Mapping[str, Any]) -> int:
    """Estimate the ``input_tokens`` Anthropic would report for a messages request.

    Args:
        body: A parsed count_tokens or messages request body. Nothing in it is trusted: wrong
            types, missing keys and unknown block types are counted as their JSON text.

    Returns:
        The estimated input token count, at least 1.
    """
    if not isinstance(body, Mapping):
        return max(1, math.ceil(_text(body)))
    total = float(BASE_REQUEST_TOKENS) + _content(body.get("system"), 0)
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            content = message.get("content") if isinstance(message, Mapping) else [message]
            total += PER_MESSAGE_TOKENS + _content(content, 0)
    elif messages is not None:
        total += _text(messages)
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        choice = body.get("tool_choice")
        forced = isinstance(choice, Mapping) and choice.get("type") in _FORCED_TOOL_CHOICES
        total += TOOLS_PROMPT_FORCED_TOKENS if forced else TOOLS_PROMPT_AUTO_TOKENS
        total += sum(_text(_without_cache_control(tool)) for tool in tools)
    elif tools:
        total += _text(tools)
    return max(1, math.ceil(total))


def _json(value: object) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # orjson refuses ints past 64 bits, lone surrogates, deep nesting
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        except (TypeError, ValueError, RecursionError):
            return ""


def _text(value: object) -> float:
    """Tokens for a string, or for anything else as its compact JSON text."""
    return len(value if isinstance(value, str) else _json(value)) / CHARS_PER_TOKEN


def _without_cache_control(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: item for key, item in value.items() if key != "cache_control"}
    return value


def _content(content: object, depth: int) -> float:
    """Tokens for a ``content`` or ``system`` value: a string, a list of blocks, or nothing."""
    if content is None or isinstance(content, str):
        return _text(content) if content else 0.0
    if isinstance(content, list):
        return sum(_block(block, depth + 1) for block in content)
    return _text(content)


def _block(block: object, depth: int) -> float:
    if not isinstance(block, Mapping) or depth > MAX_DEPTH:
        return _text(block)
    kind = block.get("type")
    if kind == "text":
        return _text(block.get("text"))
    if kind == "thinking":
        return _text(block.get("thinking"))
    if kind == "redacted_thinking":
        return _text(block.get("data"))
    if kind in ("tool_use", "server_tool_use"):
        return _text(block.get("name")) + _text(block.get("input"))
    if kind == "tool_result":
        return _content(block.get("content"), depth)
    if kind == "search_result":
        head = _text(block.get("source")) + _text(block.get("title"))
        return head + _content(block.get("content"), depth)
    if kind == "image":
        return float(_image_tokens(block.get("source")))
    if kind == "document":
        return _document_tokens(block.get("source"), depth)
    return _text(_without_cache_control(block))


def _b64decode(data: str, limit: int | None = None) -> bytes:
    """Decode base64, or only about the first ``limit`` bytes of it; ``b""`` when invalid."""
    if limit is not None:
        # Take twice the characters needed so line breaks cannot starve the prefix, then cut
        # to whole 4-character groups so a cut mid-stream still decodes.
        chunk = "".join(data[: limit // 3 * 8].split())
        data = chunk[: min(len(chunk), limit // 3 * 4) // 4 * 4]
    try:
        return base64.b64decode(data)
    except ValueError:  # binascii.Error, or non-ASCII text
        return b""


def _image_tokens(source: object) -> int:
    if not isinstance(source, Mapping) or source.get("type") != "base64":
        return IMAGE_MAX_TOKENS
    data = source.get("data")
    size = _image_size(_b64decode(data, IMAGE_HEADER_BYTES)) if isinstance(data, str) else None
    if size is None or min(size) <= 0:
        return IMAGE_MAX_TOKENS
    width, height = size
    scale = min(1.0, IMAGE_MAX_EDGE / max(width, height))
    width, height = max(1, round(width * scale)), max(1, round(height * scale))
    return min(IMAGE_MAX_TOKENS, math.ceil(width * height / IMAGE_PIXELS_PER_TOKEN))


def _uint(raw: bytes, order: Literal["little", "big"] = "little") -> int:
    return int.from_bytes(raw, order)


def _image_size(head: bytes) -> tuple[int, int] | None:
    """Pixel ``(width, height)`` from a PNG, GIF, WebP or JPEG header, or ``None``."""
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and len(head) >= 24:
        return _uint(head[16:20], "big"), _uint(head[20:24], "big")
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        return _uint(head[6:8]), _uint(head[8:10])
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_size(head)
    if head[:2] == b"\xff\xd8":
        return _jpeg_size(head)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8L" and head[20:21] == b"\x2f" and len(head) >= 25:
        bits = _uint(head[21:25])  # lossless: two 14-bit sizes minus one, packed
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if len(head) < 30:
        return None
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":  # lossy: after the 3-byte frame tag
        return _uint(head[26:28]) & 0x3FFF, _uint(head[28:30]) & 0x3FFF
    if chunk == b"VP8X":  # extended: 24-bit canvas sizes minus one
        return _uint(head[24:27]) + 1, _uint(head[27:30]) + 1
    return None


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    """Walk the JPEG segments up to the first SOF marker, which holds the frame size."""
    index = 2
    while index + 4 <= len(head):
        if head[index] != 0xFF:
            return None
        marker = head[index + 1]
        if marker == 0xFF:  # fill byte before a marker
            index += 1
        elif marker in _JPEG_NO_LENGTH:
            index += 2
        elif marker in _JPEG_SOF:
            if index + 9 > len(head):
                return None
            height, width = head[index + 5 : index + 7], head[index + 7 : index + 9]
            return _uint(width, "big"), _uint(height, "big")
        elif marker == 0xDA:  # scan data before any frame header: not a readable JPEG
            return None
        else:
            index += 2 + _uint(head[index + 2 : index + 4], "big")
    return None


def _document_tokens(source: object, depth: int) -> float:
    if not isinstance(source, Mapping):
        return float(DOCUMENT_UNKNOWN_TOKENS)
    kind, data = source.get("type"), source.get("data")
    if kind == "text":
        return _text(data)
    if kind == "content":
        return _content(source.get("content"), depth)
    if kind == "base64" and isinstance(data, str):
        pages = len(_PDF_PAGE.findall(_b64decode(data)))
        if pages:
            return float(pages * PDF_TOKENS_PER_PAGE)
    return float(DOCUMENT_UNKNOWN_TOKENS)
