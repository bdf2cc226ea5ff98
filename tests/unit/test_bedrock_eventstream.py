"""The AWS event-stream frame reader: published vectors, arbitrary splits, corruption."""

from __future__ import annotations

import itertools
import struct
import uuid
import zlib
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_relay.errors import ChecksumMismatch, EventStreamError
from cc_relay.providers.bedrock.eventstream import Frame, FrameReader, parse_headers
from tests.emulators._bedrock import encode_frame

# Byte vectors published with botocore's own event-stream tests
# (boto/botocore tests/unit/test_eventstream.py), with the values AWS's spec gives them.
EMPTY = b"\x00\x00\x00\x10\x00\x00\x00\x00\x05\xc2H\xeb}\x98\xc8\xff"
INT8 = b"\x00\x00\x00\x17\x00\x00\x00\x07)\x86\x01X\x04byte\x02\xff\xc2\xf8i\xdc"
INT16 = b"\x00\x00\x00\x19\x00\x00\x00\tq\x0e\x92>\x05short\x03\xff\xff\xb2|\xb6\xcc"
INT32 = (
    b"\x00\x00\x00\x1d\x00\x00\x00\r\x83\xe3\xf0\xe7\x07integer\x04\xff\xff\xff\xff\x8b\x8e\x12\xeb"
)
INT64 = (
    b"\x00\x00\x00\x1e\x00\x00\x00\x0e]J\xdb\x8d\x04long\x05"
    b"\xff\xff\xff\xff\xff\xff\xff\xffK\xc22\xda"
)
PAYLOAD = b"\x00\x00\x00\x1d\x00\x00\x00\x00\xfdR\x8cZ{'foo':'bar'}\xc3e96"
STRING = (
    b"\x00\x00\x00=\x00\x00\x00 \x07\xfd\x83\x96\x0ccontent-type\x07\x00\x10"
    b"application/json{'foo':'bar'}\x8d\x9c\x08\xb1"
)
ALL_TYPES = (
    b"\x00\x00\x00\x62\x00\x00\x00\x52\x03\xb5\xcb\x9c"
    b"\x010\x00\x011\x01\x012\x02\x02\x013\x03\x00\x03"
    b"\x014\x04\x00\x00\x00\x04\x015\x05\x00\x00\x00\x00\x00\x00\x00\x05"
    b"\x016\x06\x00\x05bytes\x017\x07\x00\x04utf8"
    b"\x018\x08\x00\x00\x00\x00\x00\x00\x00\x08\x019\x090123456789abcdef"
    b"\x63\x35\x36\x71"
)
ERROR = (
    b"\x00\x00\x00\x52\x00\x00\x00\x42\xbf\x23\x63\x7e"
    b"\x0d:message-type\x07\x00\x05error\x0b:error-code\x07\x00\x04code"
    b"\x0e:error-message\x07\x00\x07message\x6b\x6c\xea\x3d"
)

VECTORS: list[tuple[bytes, Frame]] = [
    (EMPTY, Frame({}, b"")),
    (INT8, Frame({"byte": -1}, b"")),
    (INT16, Frame({"short": -1}, b"")),
    (INT32, Frame({"integer": -1}, b"")),
    (INT64, Frame({"long": -1}, b"")),
    (PAYLOAD, Frame({}, b"{'foo':'bar'}")),
    (STRING, Frame({"content-type": "application/json"}, b"{'foo':'bar'}")),
    (
        ALL_TYPES,
        Frame(
            {
                "0": True,
                "1": False,
                "2": 2,
                "3": 3,
                "4": 4,
                "5": 5,
                "6": b"bytes",
                "7": "utf8",
                "8": 8,
                "9": uuid.UUID(bytes=b"0123456789abcdef"),
            },
            b"",
        ),
    ),
    (
        ERROR,
        Frame({":message-type": "error", ":error-code": "code", ":error-message": "message"}, b""),
    ),
]


@pytest.mark.parametrize(("encoded", "expected"), VECTORS)
def test_reader_decodes_published_vectors(encoded: bytes, expected: Frame) -> None:
    assert FrameReader().feed(encoded) == [expected]


def test_reader_splits_at_every_byte_boundary() -> None:
    stream = b"".join(encoded for encoded, _ in VECTORS)
    expected = [frame for _, frame in VECTORS]
    for cut in range(len(stream) + 1):
        reader = FrameReader()
        frames = reader.feed(stream[:cut]) + reader.feed(stream[cut:])
        assert frames == expected, cut
        assert reader.pending == 0


def test_reader_byte_by_byte_holds_partial_frames() -> None:
    reader = FrameReader()
    frames: list[Frame] = []
    for index in range(len(ALL_TYPES)):
        frames += reader.feed(ALL_TYPES[index : index + 1])
        assert reader.pending == (index + 1) % len(ALL_TYPES)
    assert frames == [VECTORS[7][1]]


# -- corruption --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoded",
    [
        b"\x01" + PAYLOAD[1:],  # total length changed
        PAYLOAD[:-5] + b"\x8d" + PAYLOAD[-4:],  # payload changed
        STRING.replace(b"content-type", b"content+type"),  # header changed
        STRING[:4] + b"\xff\x00\x01\x02" + STRING[8:],  # headers length changed
        PAYLOAD[:-1] + b"\x00",  # message CRC changed
    ],
)
def test_reader_detects_corruption(encoded: bytes) -> None:
    with pytest.raises(ChecksumMismatch):
        FrameReader().feed(encoded)


def test_every_single_byte_change_is_caught() -> None:
    for index in range(len(ALL_TYPES)):
        corrupted = bytearray(ALL_TYPES)
        corrupted[index] ^= 0x40
        with pytest.raises(EventStreamError):
            FrameReader().feed(bytes(corrupted))


def test_prelude_corruption_is_caught_before_the_frame_completes() -> None:
    reader = FrameReader()
    with pytest.raises(ChecksumMismatch):
        reader.feed(b"\x7f" + ERROR[1:12])  # a huge length, and only the prelude so far


def test_reader_stays_broken_after_an_error() -> None:
    reader = FrameReader()
    with pytest.raises(ChecksumMismatch):
        reader.feed(PAYLOAD[:-1] + b"\x00")
    with pytest.raises(ChecksumMismatch):
        reader.feed(EMPTY)


def _framed(headers_block: bytes, total: int | None = None) -> bytes:
    total = 16 + len(headers_block) if total is None else total
    prelude = struct.pack(">II", total, len(headers_block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers_block
    return message + struct.pack(">I", zlib.crc32(message))


@pytest.mark.parametrize(
    ("encoded", "why"),
    [
        (_framed(b"\x01a\x0a"), "unknown header value type 10"),
        (_framed(b"\x01a\x07\x00\x09abc"), "runs past"),
        (_framed(b"\x01a\x09" + b"\x00" * 5), "mid-uuid"),
        (_framed(b"\x01a"), "mid-header"),
        (_framed(b"", total=15), "cannot hold"),
    ],
)
def test_reader_refuses_malformed_headers(encoded: bytes, why: str) -> None:
    with pytest.raises(EventStreamError, match=why):
        FrameReader().feed(encoded)


def test_oversized_headers_are_refused_from_the_prelude() -> None:
    prelude = struct.pack(">II", 300_000, 200_000)
    with pytest.raises(EventStreamError, match="headers too long"):
        FrameReader().feed(prelude + struct.pack(">I", zlib.crc32(prelude)))


# -- round trips through the emulator's encoder, cross-checked by botocore -------------------

_NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12
).filter(lambda n: len(n.encode()) < 256)
_VALUES = st.one_of(
    st.booleans(),
    st.tuples(st.sampled_from([2]), st.integers(-(2**7), 2**7 - 1)),
    st.tuples(st.sampled_from([3]), st.integers(-(2**15), 2**15 - 1)),
    st.tuples(st.sampled_from([4]), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.sampled_from([5, 8]), st.integers(-(2**63), 2**63 - 1)),
    st.binary(max_size=40),
    st.text(max_size=40),
    st.uuids(),
)
_FRAMES = st.lists(
    st.tuples(st.dictionaries(_NAMES, _VALUES, max_size=5), st.binary(max_size=300)),
    min_size=1,
    max_size=5,
)


def _plain(value: Any) -> Any:
    return value[1] if isinstance(value, tuple) else value


@settings(max_examples=200, deadline=None)
@given(frames=_FRAMES, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_any_frames_split_anywhere_round_trip(
    frames: list[tuple[dict[str, Any], bytes]], cuts: list[int]
) -> None:
    stream = b"".join(encode_frame(headers, payload) for headers, payload in frames)
    points = sorted({cut % (len(stream) + 1) for cut in cuts} | {0, len(stream)})
    reader = FrameReader()
    decoded: list[Frame] = []
    for start, end in itertools.pairwise(points):
        decoded += reader.feed(stream[start:end])
    expected = [
        Frame({k: _plain(v) for k, v in headers.items()}, payload) for headers, payload in frames
    ]
    assert decoded == expected
    assert reader.pending == 0


@settings(max_examples=100, deadline=None)
@given(frames=_FRAMES)
def test_encoder_agrees_with_botocore(frames: list[tuple[dict[str, Any], bytes]]) -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(b"".join(encode_frame(headers, payload) for headers, payload in frames))
    theirs = list(buffer)
    assert len(theirs) == len(frames)
    for message, (headers, payload) in zip(theirs, frames, strict=True):
        expected = {
            k: (v.bytes if isinstance(v, uuid.UUID) else _plain(v)) for k, v in headers.items()
        }
        assert message.headers == expected
        assert message.payload == payload


def test_parse_headers_keeps_the_last_of_a_repeated_name() -> None:
    block = b"\x04test\x07\x00\x01a\x04test\x07\x00\x01b"
    assert parse_headers(block) == {"test": "b"}
