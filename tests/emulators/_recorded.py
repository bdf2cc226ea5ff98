"""What an emulator saw: one `RecordedRequest` per request, kept in arrival order.

Tests assert on exactly what the relay forwarded (headers, raw body bytes), so the record is
a copy taken before any handler looks at the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from multidict import CIMultiDict

__all__ = ["RecordedRequest", "record"]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as it arrived."""

    method: str
    path: str
    """The path without the query string."""
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: bytes
    json: Any = field(default=None)
    """The parsed body, or `None` when it is empty or not JSON."""

    def header(self, name: str) -> str | None:
        """The first value of header `name`, case-insensitively."""
        return self.headers.get(name)


async def record(request: web.Request) -> RecordedRequest:
    """Read the whole body and snapshot the request."""
    body = await request.read()
    parsed: Any = None
    if body:
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            parsed = None
    return RecordedRequest(
        method=request.method,
        path=request.path,
        query={key: request.query[key] for key in request.query},
        headers=CIMultiDict(request.headers),
        body=body,
        json=parsed,
    )
