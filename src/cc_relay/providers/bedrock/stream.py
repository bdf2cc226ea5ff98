"""Bedrock's event stream, turned back into Anthropic's server-sent events.

Each ``chunk`` frame carries one Anthropic event, base64-encoded in
``{"bytes": "...", "p": "<padding>"}``; it leaves as ``event: <type>\\ndata: <json>\\n\\n``
with the event's own JSON bytes, so the client gets what api.anthropic.com would have
sent. The one change: Bedrock's ``amazon-bedrock-invocationMetrics`` is dropped from
``message_stop`` (the usage is in ``message_delta`` already). The SSE then goes through
the relay's `EventCutter`, which reads the usage, records thinking signatures and puts
the client's model name back into ``message_start``, exactly as for Anthropic upstreams.

An ``exception`` frame (``throttlingException``, ``modelStreamErrorException``...) or
an ``error`` frame ends the stream with an Anthropic ``event: error`` of the matching
type (see `errors.ERRORS`). If it comes before anything reached the client, the decoder
raises instead (an UpstreamStatusError, or an UpstreamCutError for a corrupt stream):
the relay has sent nothing yet and can still try another provider.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Final

import orjson

from cc_relay.errors import EventStreamError, UpstreamCutError, UpstreamStatusError
from cc_relay.providers.bedrock.errors import error_answer, error_for
from cc_relay.providers.bedrock.eventstream import Frame, FrameReader
from cc_relay.sse import EventCutter, error_event
from cc_relay.types import Usage

__all__ = ["BedrockStreamDecoder", "EVENTSTREAM_CONTENT_TYPE"]

EVENTSTREAM_CONTENT_TYPE: Final = "application/vnd.amazon.eventstream"
_METRICS: Final = "amazon-bedrock-invocationMetrics"
_MESSAGE_STOP: Final = b'"message_stop"'


class BedrockStreamDecoder:
    """A StreamDecoder for ``InvokeModelWithResponseStream`` answers."""

    def __init__(
        self,
        *,
        client_model: str | None = None,
        on_signature: Callable[[str], None] | None = None,
        where: str = "Amazon Bedrock",
    ) -> None:
        self._frames = FrameReader()
        self._cutter = EventCutter(client_model=client_model, on_signature=on_signature)
        self.ended = False
        self._emitted = False
        self._where = where

    @property
    def usage(self) -> Usage:
        """The EventCutter's: it reads the usage as the SSE goes through it."""
        return self._cutter.usage

    @usage.setter
    def usage(self, value: Usage) -> None:
        self._cutter.usage = value

    def feed(self, chunk: bytes) -> bytes:
        if self.ended:
            return b""
        try:
            frames = self._frames.feed(chunk)
        except EventStreamError as exc:
            return self._broken(f"{self._where} sent a corrupt event stream ({exc})")
        sse = bytearray()
        for frame in frames:
            kind = frame.text(":message-type")
            if kind == "event":
                if frame.text(":event-type") == "chunk":
                    event = self._event(frame.payload)
                    if event is None:
                        return self._finish(
                            sse, self._broken(f"{self._where} sent an unreadable stream chunk")
                        )
                    sse += event
            elif kind in ("exception", "error"):
                return self._finish(sse, self._exception(frame))
        return self._finish(sse, b"")

    def _finish(self, sse: bytearray, tail: bytes) -> bytes:
        out = self._cutter.feed(bytes(sse)) if sse else b""
        if self._cutter.ended:
            self.ended = True
        out += tail
        if out:
            self._emitted = True
        return out

    @staticmethod
    def _event(payload: bytes) -> bytes | None:
        try:
            part = orjson.loads(payload)
            data = base64.b64decode(part["bytes"], validate=True)
            event = orjson.loads(data)
            name = event["type"]
        except (orjson.JSONDecodeError, binascii.Error, KeyError, TypeError, ValueError):
            return None
        if not isinstance(name, str) or not isinstance(event, dict):
            return None
        if (_MESSAGE_STOP in data and _METRICS in event) or b"\n" in data or b"\r" in data:
            event.pop(_METRICS, None)
            data = orjson.dumps(event)
        return b"event: " + name.encode() + b"\ndata: " + data + b"\n\n"

    def _exception(self, frame: Frame) -> bytes:
        if frame.text(":message-type") == "error":
            name = frame.text(":error-code")
            message = frame.text(":error-message") or ""
        else:
            name = frame.text(":exception-type")
            message = _message(frame.payload)
        status, error_type = error_for(name, 500)
        message = message or f"{self._where} reported {name or 'an error'} mid-stream"
        if not self._emitted:
            raise UpstreamStatusError(error_answer(status, error_type, message))
        self.ended = True
        return error_event(error_type, message)

    def _broken(self, why: str) -> bytes:
        if not self._emitted:
            raise UpstreamCutError(why)
        self.ended = True
        return error_event("api_error", why)


def _message(payload: bytes) -> str:
    try:
        value: Any = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", "replace")[:500]
    if isinstance(value, dict):
        for key in ("message", "Message", "originalMessage"):
            if isinstance(value.get(key), str) and value[key]:
                return str(value[key])
    return ""
