"""OpenAI's server-sent events, cut into payloads, whatever the TCP chunking.

OpenAI writes one ``data: {json}`` line per event, a blank line after it, and
``data: [DONE]`` last. Servers behind the dialect vary: ``\\r\\n`` line ends, ``:``
keep-alive comments, ``event:`` and ``id:`` lines, events separated by a single newline,
or (legal SSE) one JSON value spread over several ``data:`` lines. Each ``data:`` line is
taken as soon as it is complete, so nothing waits for a blank line that may never come;
lines that do not parse on their own are joined with the following ones until they do.
Lines are split on bytes, so a multi-byte character cut by a chunk boundary is whole
again before anything is decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import orjson

__all__ = ["COMMENT", "DONE", "Malformed", "Payloads"]

#: The payload ending an OpenAI stream.
DONE: Final = b"[DONE]"
#: Stands for a ``:`` comment line: servers send them as keep-alives.
COMMENT: Final = b":"
#: Longest run of unparsable data lines kept before the stream is called malformed.
MAX_PENDING_BYTES = 8 * 1024 * 1024


class Malformed:
    """A payload that is not JSON, even joined with its neighbours."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw


class Payloads:
    """Feeds on raw chunks; yields parsed ``data:`` values, ``DONE``, ``COMMENT`` or
    ``Malformed``."""

    def __init__(self) -> None:
        self._partial = b""
        self._pending: list[bytes] = []

    def feed(self, chunk: bytes) -> Iterator[object]:
        data = self._partial + chunk if self._partial else chunk
        end = data.rfind(b"\n")
        if end < 0:
            self._partial = data
            return
        self._partial = data[end + 1 :]
        for line in data[:end].split(b"\n"):
            yield from self._line(line.removesuffix(b"\r"))

    def _line(self, line: bytes) -> Iterator[object]:
        if not line:
            if self._pending:  # the event ended and its data never parsed
                yield Malformed(b"\n".join(self._pending))
                self._pending = []
            return
        if line.startswith(b":"):
            yield COMMENT
            return
        if not line.startswith(b"data:"):
            return  # "event: ...", "id: ...", "retry: ..."
        value = line[5:].removeprefix(b" ")
        if not self._pending and value == DONE:
            yield DONE
            return
        self._pending.append(value)
        joined = b"\n".join(self._pending)
        try:
            parsed = orjson.loads(joined)
        except orjson.JSONDecodeError:
            if len(joined) > MAX_PENDING_BYTES:
                self._pending = []
                yield Malformed(joined[:200])
            return
        self._pending = []
        yield parsed
