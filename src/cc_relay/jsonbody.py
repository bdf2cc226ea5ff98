"""Reading request JSON safely: a depth limit on every tree the relay builds.

Real requests stay under 20 levels of arrays and objects. A hostile body of a thousand
levels would raise ``RecursionError`` in code that walks it, and orjson cannot write past
254, so the relay refuses anything deeper than ``MAX_JSON_DEPTH`` with a 400 that says so.
"""

from __future__ import annotations

from typing import Any

import orjson

from cc_relay.errors import InvalidRequest

#: Deepest nesting of arrays and objects the relay builds from a request body.
MAX_JSON_DEPTH = 128
TOO_DEEP = (
    "Request body is nested too deeply: the relay reads JSON up to "
    f"{MAX_JSON_DEPTH} levels of arrays and objects."
)


def deeper_than(value: object, limit: int) -> bool:
    """True if ``value`` nests lists and dicts more than ``limit`` deep (no recursion)."""
    if not isinstance(value, (dict, list)):
        return False
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def load_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from bytes, no deeper than MAX_JSON_DEPTH.

    Raises:
        InvalidRequest: not JSON, not an object, or too deep.
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(TOO_DEEP if "depth" in str(exc) else f"Invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidRequest("Request body must be a JSON object.")
    if deeper_than(value, MAX_JSON_DEPTH):
        raise InvalidRequest(TOO_DEEP)
    return value
