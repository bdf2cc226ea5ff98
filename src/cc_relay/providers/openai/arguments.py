"""Tool-call arguments (a JSON string in OpenAI's dialect) as Anthropic tool input.

Anthropic's ``tool_use.input`` is always a JSON object, and the official SDKs refuse a
stream whose ``input_json_delta`` pieces are not valid JSON ("Unable to parse tool
parameter JSON"), which would break the whole answer. Models behind OpenAI-compatible
servers do produce broken arguments (Python-style quotes, trailing text, a cut at
``max_tokens``), so arguments are checked before they are relayed:

- empty or blank -> ``{}``;
- a JSON object -> itself;
- anything else -> ``{"_unparsed_arguments": "<the raw text>"}``. Claude Code then
  reports a schema error to the model, which sees its own text and can retry, instead
  of the user seeing a failed request.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["UNPARSED_KEY", "is_complete", "tool_input", "tool_input_json"]

#: The key that carries arguments that were not a JSON object.
UNPARSED_KEY = "_unparsed_arguments"


def _object(raw: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def is_complete(raw: str) -> bool:
    """Whether ``raw`` already is a whole JSON object (so no piece can follow it)."""
    return raw.rstrip().endswith("}") and _object(raw) is not None


def tool_input(raw: object) -> dict[str, Any]:
    """The tool input for an ``arguments`` value (a string, or an object some servers send)."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        return {}
    parsed = _object(raw)
    return parsed if parsed is not None else {UNPARSED_KEY: raw}


def tool_input_json(raw: str) -> str | None:
    """The text to stream for ``raw``: None when ``raw`` itself is a valid object (stream
    its own pieces), ``""`` when there is nothing to send, else a replacement object."""
    if not raw.strip():
        return ""
    if _object(raw) is not None:
        return None
    return orjson.dumps({UNPARSED_KEY: raw}).decode()
