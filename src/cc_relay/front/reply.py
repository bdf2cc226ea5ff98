"""A Reply written straight to the client's transport, as HTTP/1.1.

A whole answer is its head and body in one ``writelines``; a stream is chunked, its
head sent with its first piece, each piece one ``writelines`` followed by a wait while
the client's socket is full. The
framing headers (``content-length``, ``transfer-encoding``, ``connection``, ``date``) are
this module's to write; the caller's copies of them are dropped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING

from cc_relay.api.reply import Reply

if TYPE_CHECKING:
    from cc_relay.front.connection import FrontConnection

_FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "date"})
_status_lines: dict[int, bytes] = {}
_date: tuple[int, bytes] = (0, b"")


def _status_line(status: int) -> bytes:
    line = _status_lines.get(status)
    if line is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        line = _status_lines[status] = b"HTTP/1.1 %d %s\r\n" % (status, phrase.encode())
    return line


def _date_line() -> bytes:
    """``date: ...`` for this second, formatted once a second (as aiohttp does)."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, b"date: %s\r\n" % formatdate(now, usegmt=True).encode())
    return _date[1]


class TransportReply(Reply):
    """One answer on a front connection."""

    __slots__ = ("_connection", "_head_only", "_held", "close_after", "finished")

    def __init__(
        self, connection: FrontConnection, *, keep_alive: bool, head_only: bool = False
    ) -> None:
        super().__init__()
        self._connection = connection
        self._head_only = head_only
        """An answer to ``HEAD``: its headers as for ``GET``, no body."""
        self.close_after = not keep_alive
        """The connection closes once the answer is out (the client or the answer asked)."""
        self.finished = False
        """The whole answer was written; a stream cut short leaves this False."""
        self._held = b""
        """A stream's head, until its first piece goes with it."""

    def send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        head = self._head(status, headers, b"content-length: %d\r\n" % len(body))
        self._connection.write(head, b"" if self._head_only else body)
        self.finished = True

    async def start(self, status: int, headers: Mapping[str, str]) -> None:
        # Held back and sent with the first piece: one write, and the client wakes up
        # once for its head and first event instead of twice.
        self._held = self._head(status, headers, b"transfer-encoding: chunked\r\n")
        self.status = status
        self.started = True

    async def write(self, data: bytes) -> None:
        if data:
            held, self._held = self._held, b""
            self._connection.write(held, b"%x\r\n" % len(data), data, b"\r\n")
            await self._connection.drained()

    async def end(self) -> None:
        held, self._held = self._held, b""
        self._connection.write(held, b"0\r\n\r\n")
        self.finished = True
        await self._connection.drained()

    def _head(self, status: int, headers: Mapping[str, str], framing: bytes) -> bytes:
        lines = []
        for name, value in headers.items():
            lower = name.lower()
            if lower in _FRAMING:
                if lower == "connection" and value.lower() == "close":
                    self.close_after = True
                continue
            if "\n" in value or "\r" in value:
                raise ValueError(f"header {name!r} has a line break in its value")
            lines.append(f"{name}: {value}\r\n")
        if self.close_after:
            framing += b"connection: close\r\n"
        text = "".join(lines).encode("utf-8", "surrogateescape")
        return b"%b%b%b%b\r\n" % (_status_line(status), text, _date_line(), framing)
