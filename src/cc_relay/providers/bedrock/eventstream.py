"""The AWS event stream (``application/vnd.amazon.eventstream``): binary frames.

Bedrock streams ``InvokeModelWithResponseStream`` answers as a sequence of frames, each
laid out big-endian as::

    total_length u32 | headers_length u32 | prelude_crc u32 | headers | payload | message_crc u32

``prelude_crc`` is the CRC32 (zlib's, as in gzip) of the first 8 bytes and
``message_crc`` the CRC32 of everything before it. A header is
``name_length u8 | name | type u8 | value``; the value's size follows from its type
(see `_FIXED_SIZES`; types 6 and 7 carry a u16 length). Every type is parsed, so a header
the relay does not care about can never derail the frames after it.

Frames arrive split across TCP chunks at arbitrary points: `FrameReader` buffers the
remainder and returns whole frames only. Both CRCs are checked; the prelude's before the
frame is complete, so a corrupted length fails at once instead of waiting for bytes that
never come. After an error the reader stays broken: the stream cannot be resynchronised.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass
from typing import Final, TypeAlias

from cc_relay.errors import ChecksumMismatch, EventStreamError

__all__ = [
    "Frame",
    "FrameReader",
    "HeaderValue",
    "MAX_HEADERS_LENGTH",
    "MAX_PAYLOAD_LENGTH",
    "parse_headers",
]

HeaderValue: TypeAlias = bool | int | bytes | str | uuid.UUID

PRELUDE_LENGTH: Final = 12
"""total_length, headers_length, prelude_crc."""
_OVERHEAD: Final = PRELUDE_LENGTH + 4
"""The prelude plus the trailing message CRC."""
MAX_HEADERS_LENGTH: Final = 128 * 1024
MAX_PAYLOAD_LENGTH: Final = 24 * 1024 * 1024
"""Limits from AWS's event-stream specification (botocore enforces the same)."""

_PRELUDE = struct.Struct(">III")
_CRC = struct.Struct(">I")
_U16 = struct.Struct(">H")

#: Header type -> value size in bytes, for the fixed-size types (all signed integers;
#: 8 is a timestamp in milliseconds since the epoch).
_FIXED_SIZES: Final[dict[int, int]] = {2: 1, 3: 2, 4: 4, 5: 8, 8: 8}
_TRUE, _FALSE, _BYTES, _STRING, _UUID = 0, 1, 6, 7, 9


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded event-stream message."""

    headers: dict[str, HeaderValue]
    payload: bytes

    def text(self, name: str) -> str | None:
        """A string header's value (``:message-type``, ``:event-type``...), else None."""
        value = self.headers.get(name)
        return value if isinstance(value, str) else None


class FrameReader:
    """Feed it chunks as they arrive; get back the frames they complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._broken: EventStreamError | None = None

    @property
    def pending(self) -> int:
        """Bytes held back because they do not complete a frame yet."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> list[Frame]:
        """The frames completed by ``chunk``; raises EventStreamError on corrupt input."""
        if self._broken is not None:
            raise self._broken
        buffer = self._buffer
        buffer += chunk
        frames: list[Frame] = []
        offset = 0
        try:
            while len(buffer) - offset >= PRELUDE_LENGTH:
                total = self._check_prelude(buffer, offset)
                if len(buffer) - offset < total:
                    break
                frames.append(self._frame(buffer, offset, total))
                offset += total
        except EventStreamError as exc:
            self._broken = exc
            raise
        finally:
            if offset:
                del buffer[:offset]
        return frames

    @staticmethod
    def _check_prelude(buffer: bytearray, offset: int) -> int:
        total, headers_length, crc = _PRELUDE.unpack_from(buffer, offset)
        if zlib.crc32(memoryview(buffer)[offset : offset + 8]) != crc:
            raise ChecksumMismatch("event stream: prelude checksum mismatch")
        if headers_length > MAX_HEADERS_LENGTH:
            raise EventStreamError(f"event stream: headers too long ({headers_length} bytes)")
        payload_length = total - headers_length - _OVERHEAD
        if payload_length < 0:
            raise EventStreamError(
                f"event stream: frame length {total} cannot hold {headers_length} bytes of headers"
            )
        if payload_length > MAX_PAYLOAD_LENGTH:
            raise EventStreamError(f"event stream: payload too long ({payload_length} bytes)")
        return int(total)

    @staticmethod
    def _frame(buffer: bytearray, offset: int, total: int) -> Frame:
        end = offset + total
        (crc,) = _CRC.unpack_from(buffer, end - 4)
        if zlib.crc32(memoryview(buffer)[offset : end - 4]) != crc:
            raise ChecksumMismatch("event stream: message checksum mismatch")
        (headers_length,) = _CRC.unpack_from(buffer, offset + 4)
        headers_end = offset + PRELUDE_LENGTH + headers_length
        headers = parse_headers(bytes(buffer[offset + PRELUDE_LENGTH : headers_end]))
        return Frame(headers, bytes(buffer[headers_end : end - 4]))


def parse_headers(data: bytes) -> dict[str, HeaderValue]:
    """Decode a frame's header block; a repeated name keeps its last value."""
    headers: dict[str, HeaderValue] = {}
    pos, size = 0, len(data)
    try:
        while pos < size:
            name_length = data[pos]
            name = data[pos + 1 : pos + 1 + name_length].decode("utf-8")
            pos += 1 + name_length
            kind = data[pos]
            pos += 1
            value, pos = _value(data, pos, kind)
            if pos > size:
                raise EventStreamError(f"event stream: header {name!r} runs past its block")
            headers[name] = value
    except (IndexError, struct.error):
        raise EventStreamError("event stream: header block ends mid-header") from None
    except UnicodeDecodeError:
        raise EventStreamError("event stream: header is not valid UTF-8") from None
    return headers


def _value(data: bytes, pos: int, kind: int) -> tuple[HeaderValue, int]:
    if kind == _TRUE:
        return True, pos
    if kind == _FALSE:
        return False, pos
    fixed = _FIXED_SIZES.get(kind)
    if fixed is not None:
        end = pos + fixed
        return int.from_bytes(data[pos:end], "big", signed=True), end
    if kind in (_BYTES, _STRING):
        (length,) = _U16.unpack_from(data, pos)
        end = pos + 2 + length
        raw = data[pos + 2 : end]
        return (raw.decode("utf-8") if kind == _STRING else raw), end
    if kind == _UUID:
        raw = data[pos : pos + 16]
        if len(raw) != 16:
            raise EventStreamError("event stream: header block ends mid-uuid")
        return uuid.UUID(bytes=raw), pos + 16
    raise EventStreamError(f"event stream: unknown header value type {kind}")
