"""Small wire helpers shared by every dialect: ids, framing, delta splitting, gzip choice."""

from __future__ import annotations

import re
import secrets
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

__all__ = [
    "accepts_gzip",
    "b62",
    "compact",
    "rfc3339",
    "split_even",
    "split_words",
    "sse_frame",
]

_B62 = string.ascii_letters + string.digits
_WORDS = re.compile(r"\s*\S+|\s+")


def b62(length: int) -> str:
    """Random base62 text, the alphabet of Anthropic's ids."""
    return "".join(secrets.choice(_B62) for _ in range(length))


def compact(obj: Any) -> bytes:
    """JSON without spaces and with raw UTF-8, as Anthropic writes its SSE data lines."""
    return orjson.dumps(obj)


def sse_frame(event: str, data: bytes) -> bytes:
    """One SSE event; Anthropic always names the event and sends a single data line."""
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


def split_words(value: str) -> list[str]:
    """Split text into word-sized deltas (leading whitespace kept) that join back exactly."""
    return _WORDS.findall(value)


def split_even(value: str, parts: int = 3) -> list[str]:
    """Split into about `parts` pieces: how tool JSON trickles out of Anthropic."""
    if not value:
        return []
    size = max(1, -(-len(value) // parts))
    return [value[i : i + size] for i in range(0, len(value), size)]


def rfc3339(delta_seconds: float = 0.0) -> str:
    """A UTC timestamp `delta_seconds` from now, second precision, `Z` suffix."""
    moment = datetime.now(UTC) + timedelta(seconds=delta_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding value allows gzip (explicitly or by `*`), honouring q=0."""
    if not accept_encoding:
        return False
    allowed: dict[str, bool] = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        allowed[coding.strip().lower()] = quality > 0
    if "gzip" in allowed:
        return allowed["gzip"]
    return allowed.get("*", False)
