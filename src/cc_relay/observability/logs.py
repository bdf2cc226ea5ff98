"""Logging setup: named loggers, JSON or console lines, written off the event loop.

Records go through a QueueHandler to a listener thread, so a slow terminal or disk
never stalls a request. Every line passes the Redactor on its way out.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO

import orjson

from cc_relay.observability.redact import Redactor

#: Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and v is not None}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class ConsoleFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        return f"{text} {fields}" if fields else text


class _RedactingFormatter(logging.Formatter):
    def __init__(self, inner: logging.Formatter, redactor: Redactor) -> None:
        super().__init__()
        self._inner = inner
        self._redact = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(self._inner.format(record))


class LogSetup:
    """Owns the listener thread; ``close`` flushes and stops it (idempotent)."""

    def __init__(
        self,
        *,
        level: str = "info",
        fmt: str = "console",
        secrets: Iterable[str] = (),
        stream: TextIO | None = None,
    ) -> None:
        handler = logging.StreamHandler(stream or sys.stderr)
        inner = JsonFormatter() if fmt == "json" else ConsoleFormatter()
        self._redactor = Redactor(secrets)
        handler.setFormatter(_RedactingFormatter(inner, self._redactor))
        records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._listener: logging.handlers.QueueListener | None = logging.handlers.QueueListener(
            records, handler
        )
        self._root = logging.getLogger("cc_relay")
        self._saved = (self._root.handlers[:], self._root.level, self._root.propagate)
        self._root.handlers = [logging.handlers.QueueHandler(records)]
        self._root.setLevel(level.upper())
        self._root.propagate = False
        self._listener.start()

    def remember(self, secrets: Iterable[str]) -> None:
        """Mask these too, from now on (a reloaded config's new keys)."""
        self._redactor.remember(secrets)

    def close(self) -> None:
        """Flush what is queued, stop the thread, and put the logger back as it was."""
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
            self._root.handlers, level, self._root.propagate = self._saved
            self._root.setLevel(level)
