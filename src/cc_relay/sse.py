"""Server-sent events from an Anthropic-dialect upstream, cut at event boundaries.

The relay forwards upstream bytes as they arrive, but only whole events: if the
upstream dies mid-event, the client never sees half an event followed by an error,
which the SDKs would fail to parse. Bytes after the last blank line at EOF are dropped,
as the SSE spec tells every client to do. Most chunks hold whole events, so the usual cost is
one ``rfind`` per chunk. Events are parsed only where the relay must read them:
``message_start`` (input tokens, and the model name when the relay renamed it) and
``message_delta`` (output tokens, and the input and cache counts when it repeats them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import orjson

from cc_relay.errors import error_body
from cc_relay.types import Usage

_MESSAGE_START = b"event: message_start"
_MESSAGE_DELTA = b"event: message_delta"
_SIGNATURE_DELTA = b'"signature_delta"'
_STREAM_END = (b"event: message_stop", b"event: error")
_DELTA_INPUT_COUNTS = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def _event_at(data: bytes, field: bytes) -> int:
    """Where the line ``field`` (``event: NAME``) starts in ``data``, or -1.

    Only a line counts: JSON escapes line breaks inside strings, so a model writing
    ``event: message_stop`` in its text never puts it at the start of a line. ``data``
    begins at an event boundary (the cutter only hands on whole events), so the usual
    check is one ``startswith`` and one ``find`` per field.
    """
    size = len(field)
    if data.startswith(field) and data[size : size + 1] in (b"\n", b"\r"):
        return 0
    at = data.find(b"\n" + field)
    while at >= 0:
        end = at + 1 + size
        if data[end : end + 1] in (b"\n", b"\r"):
            return at + 1
        at = data.find(b"\n" + field, end)
    return -1


def error_event(error_type: str, message: str) -> bytes:
    """An ``event: error`` in the nested envelope Claude Code recognises."""
    data = error_body(error_type, message)
    return b"event: error\ndata: " + data + b"\n\n"


def _boundary(data: bytes) -> int:
    """Index just past the last complete event in ``data`` (0 when there is none)."""
    lf = data.rfind(b"\n\n")
    crlf = data.rfind(b"\r\n\r\n")
    return max(lf + 2 if lf >= 0 else 0, crlf + 4 if crlf >= 0 else 0)


def _data_of(event: bytes) -> dict[str, object] | None:
    for line in event.splitlines():
        if line.startswith(b"data:"):
            try:
                value = orjson.loads(line[5:])
            except orjson.JSONDecodeError:
                return None
            return value if isinstance(value, dict) else None
    return None


class StreamDecoder(Protocol):
    """Turns a provider's stream into Anthropic SSE, one chunk at a time.

    Every provider has one: for Anthropic dialects it is the EventCutter below; for
    others it translates (AWS event-stream frames, OpenAI chat chunks).
    """

    usage: Usage
    ended: bool
    """The stream reached its proper end (``message_stop``) or an ``error`` event."""

    def feed(self, chunk: bytes) -> bytes:
        """Anthropic SSE bytes for whole events completed by ``chunk`` (maybe b"")."""
        ...


class EventCutter:
    """Feeds on upstream chunks; returns the bytes of the complete events so far."""

    def __init__(
        self, *, client_model: str | None = None, on_signature: Callable[[str], None] | None = None
    ) -> None:
        self.usage = Usage()
        self._on_signature = on_signature
        self.ended = False
        """Saw ``message_stop`` or an upstream ``error`` event: the stream is complete."""
        self._client_model = client_model
        self._started = False
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        data = self._pending + chunk if self._pending else chunk
        end = _boundary(data)
        if end == 0:
            self._pending = data
            return b""
        out, self._pending = data[:end], data[end:]
        if not self._started and (begin := _event_at(out, _MESSAGE_START)) >= 0:
            out = self._message_start(out, begin)
        if _MESSAGE_DELTA in out:  # a cheap filter; _read_deltas looks at whole events
            self._read_deltas(out)
        if self._on_signature is not None and _SIGNATURE_DELTA in out:
            self._read_signatures(out, self._on_signature)
        if any(_event_at(out, marker) >= 0 for marker in _STREAM_END):
            self.ended = True
        return out

    def _message_start(self, out: bytes, begin: int) -> bytes:
        self._started = True
        end = out.find(b"\n\n", begin)
        if end < 0:
            end = out.find(b"\r\n\r\n", begin)
        data = _data_of(out[begin:end])
        message = data.get("message") if data else None
        if not isinstance(message, dict):
            return out
        usage = message.get("usage")
        if isinstance(usage, dict):
            for name in Usage.__slots__:
                setattr(self.usage, name, _int(usage.get(name)))
        if self._client_model is None or message.get("model") == self._client_model:
            return out
        message["model"] = self._client_model
        event = b"event: message_start\ndata: " + orjson.dumps(data)
        return out[:begin] + event + out[end:]

    def _read_deltas(self, out: bytes) -> None:
        for event in out.split(b"\n\n"):
            if _event_at(event.lstrip(b"\r\n"), _MESSAGE_DELTA) >= 0:
                data = _data_of(event)
                usage = data.get("usage") if data else None
                if isinstance(usage, dict):
                    self.usage.output_tokens = _int(usage.get("output_tokens"))
                    # Counts here are cumulative and win over message_start's; translated
                    # OpenAI streams report the input side only here.
                    for name in _DELTA_INPUT_COUNTS:
                        count = _int(usage.get(name))
                        if count is not None:
                            setattr(self.usage, name, count)

    @staticmethod
    def _read_signatures(out: bytes, on_signature: Callable[[str], None]) -> None:
        for event in out.split(b"\n\n"):
            if _SIGNATURE_DELTA in event:
                data = _data_of(event)
                delta = data.get("delta") if data else None
                if isinstance(delta, dict) and isinstance(delta.get("signature"), str):
                    on_signature(delta["signature"])


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
