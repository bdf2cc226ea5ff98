"""Tests for the local count_tokens estimate."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_relay import estimate
from cc_relay.estimate import (
    BASE_REQUEST_TOKENS,
    IMAGE_MAX_TOKENS,
    PDF_TOKENS_PER_PAGE,
    PER_MESSAGE_TOKENS,
    TOOLS_PROMPT_AUTO_TOKENS,
    TOOLS_PROMPT_FORCED_TOKENS,
    estimate_input_tokens,
)

EMPTY_TURN = BASE_REQUEST_TOKENS + PER_MESSAGE_TOKENS


# --- tiny real images -------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def make_png(width: int, height: int) -> bytes:
    """A complete RGB PNG, every pixel red."""
    row = b"\x00" + b"\xff\x00\x00" * width
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(row * height))
        + _png_chunk(b"IEND", b"")
    )


def make_gif(width: int, height: int) -> bytes:
    """A GIF89a with a ``width`` x ``height`` screen holding a single 1x1 frame."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + frame + b"\x3b"


def make_jpeg(width: int, height: int, *, sof: int = 0xC0, exif_bytes: int = 0) -> bytes:
    """A JPEG header: SOI, JFIF APP0, optional EXIF-sized APP1, DQT, SOFn, then EOI."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload

    out = b"\xff\xd8" + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    if exif_bytes:
        out += segment(0xE1, b"Exif\x00\x00" + b"\x00" * exif_bytes)
    out += segment(0xDB, b"\x00" + bytes(range(64)))
    out += b"\xff"  # a fill byte before the frame marker is legal
    components = b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    out += segment(sof, struct.pack(">BHHB", 8, height, width, 3) + components)
    return out + b"\xff\xd9"


def _riff(chunk: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def make_webp_lossy(width: int, height: int) -> bytes:
    return _riff(b"VP8 ", b"\x30\x01\x00\x9d\x01\x2a" + struct.pack("<HH", width, height))


def make_webp_lossless(width: int, height: int) -> bytes:
    bits = (width - 1) | (height - 1) << 14
    return _riff(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\x00")


def make_webp_extended(width: int, height: int) -> bytes:
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return _riff(b"VP8X", b"\x10\x00\x00\x00" + canvas)


def image_block(raw: bytes, media_type: str = "image/png") -> dict[str, Any]:
    data = base64.b64encode(raw).decode()
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def user(content: Any) -> dict[str, Any]:
    return {"model": "glm-4.6", "messages": [{"role": "user", "content": content}]}


def block_cost(block: dict[str, Any]) -> int:
    """Tokens one block adds to an otherwise empty single-turn request."""
    return estimate_input_tokens(user([block])) - estimate_input_tokens(user([]))


# --- text ---------------------------------------------------------------------------------------


def test_estimate_empty_request_is_base_only() -> None:
    assert estimate_input_tokens({}) == BASE_REQUEST_TOKENS
    assert estimate_input_tokens(user([])) == EMPTY_TURN


def test_estimate_text_tracks_chars_per_token() -> None:
    text = "The quick brown fox jumps over the lazy dog; def f(x): return x + 1\n" * 500
    expected = len(text) / 3.5
    got = estimate_input_tokens(user(text)) - EMPTY_TURN
    assert abs(got - expected) <= 1
    assert estimate_input_tokens(user([{"type": "text", "text": text}])) - EMPTY_TURN == got


@pytest.mark.parametrize("field", ["system", "message", "thinking", "tool_use"])
def test_estimate_more_text_gives_more_tokens(field: str) -> None:
    def body(text: str) -> dict[str, Any]:
        if field == "system":
            return {"system": [{"type": "text", "text": text}], "messages": []}
        if field == "message":
            return user(text)
        if field == "thinking":
            return user([{"type": "thinking", "thinking": text, "signature": "sig"}])
        return user([{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"cmd": text}}])

    counts = [estimate_input_tokens(body("word " * n)) for n in (10, 100, 1000)]
    assert counts[0] < counts[1] < counts[2]


def test_estimate_each_message_adds_overhead() -> None:
    one = {"messages": [{"role": "user", "content": "hi"}]}
    two = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hi"}]}
    assert estimate_input_tokens(two) - estimate_input_tokens(one) >= PER_MESSAGE_TOKENS


# --- tools --------------------------------------------------------------------------------------

TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Get the current weather in a given location",
    "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}},
}


def test_estimate_tools_add_system_prompt_and_definitions() -> None:
    base = estimate_input_tokens(user("hello"))
    with_tool = estimate_input_tokens({**user("hello"), "tools": [TOOL]})
    definition = len(estimate._json(TOOL)) / 3.5
    assert with_tool - base == pytest.approx(TOOLS_PROMPT_AUTO_TOKENS + definition, abs=1)


@pytest.mark.parametrize(
    ("choice", "prompt"),
    [
        ({"type": "auto"}, TOOLS_PROMPT_AUTO_TOKENS),
        ({"type": "none"}, TOOLS_PROMPT_AUTO_TOKENS),
        ({"type": "any"}, TOOLS_PROMPT_FORCED_TOKENS),
        ({"type": "tool", "name": "get_weather"}, TOOLS_PROMPT_FORCED_TOKENS),
    ],
)
def test_estimate_tool_choice_picks_prompt(choice: dict[str, str], prompt: int) -> None:
    auto = estimate_input_tokens({**user("hello"), "tools": [TOOL]})
    chosen = estimate_input_tokens({**user("hello"), "tools": [TOOL], "tool_choice": choice})
    assert chosen - auto == prompt - TOOLS_PROMPT_AUTO_TOKENS


def test_estimate_empty_tools_add_no_prompt() -> None:
    assert estimate_input_tokens({**user("hi"), "tools": []}) == estimate_input_tokens(user("hi"))


def test_estimate_longer_tool_description_costs_more() -> None:
    long_tool = {**TOOL, "description": TOOL["description"] * 20}
    short = estimate_input_tokens({"tools": [TOOL]})
    assert estimate_input_tokens({"tools": [long_tool]}) > short


# --- images -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        (make_png(37, 21), (37, 21)),
        (make_gif(300, 17), (300, 17)),
        (make_jpeg(640, 480), (640, 480)),
        (make_jpeg(123, 45, sof=0xC1), (123, 45)),
        (make_jpeg(800, 600, sof=0xC2), (800, 600)),
        (make_jpeg(1024, 768, exif_bytes=20_000), (1024, 768)),
        (make_webp_lossy(320, 240), (320, 240)),
        (make_webp_lossless(99, 1000), (99, 1000)),
        (make_webp_extended(5000, 7), (5000, 7)),
    ],
    ids=["png", "gif", "jpeg-sof0", "jpeg-sof1", "jpeg-sof2", "jpeg-exif", "vp8", "vp8l", "vp8x"],
)
def test_image_size_reads_header(raw: bytes, size: tuple[int, int]) -> None:
    assert estimate._image_size(raw) == size


@pytest.mark.parametrize(
    "raw",
    [make_png(200, 100), make_gif(200, 100), make_jpeg(200, 100), make_webp_lossless(200, 100)],
    ids=["png", "gif", "jpeg", "webp"],
)
def test_estimate_image_costs_area_over_750(raw: bytes) -> None:
    assert block_cost(image_block(raw)) == 27  # ceil(200 * 100 / 750)


def test_estimate_image_long_edge_scaled_to_1568() -> None:
    # 3136x200 becomes 1568x100: 210 tokens, not the unscaled 837.
    assert block_cost(image_block(make_gif(3136, 200))) == 210


@pytest.mark.parametrize(
    "raw", [make_gif(8000, 6000), make_webp_extended(4000, 4000)], ids=["gif", "webp"]
)
def test_estimate_large_image_capped(raw: bytes) -> None:
    assert block_cost(image_block(raw)) == IMAGE_MAX_TOKENS


@pytest.mark.parametrize(
    "source",
    [
        {"type": "url", "url": "https://example.com/cat.png"},
        {"type": "base64", "media_type": "image/png", "data": base64.b64encode(b"nope").decode()},
        {"type": "base64", "media_type": "image/png", "data": "%%% not base64 %%%"},
        {"type": "base64", "data": 42},
        None,
    ],
)
def test_estimate_unreadable_image_costs_cap(source: Any) -> None:
    assert block_cost({"type": "image", "source": source}) == IMAGE_MAX_TOKENS


def test_estimate_image_decodes_only_a_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = base64.b64decode

    def spy(data: str | bytes) -> bytes:
        seen.append(len(data))
        return real(data)

    monkeypatch.setattr(base64, "b64decode", spy)
    raw = make_png(64, 64) + b"\x00" * 3_000_000
    assert block_cost(image_block(raw)) == 6  # ceil(64 * 64 / 750)
    assert seen and max(seen) <= 100_000


def test_estimate_image_with_line_breaks_in_base64() -> None:
    data = base64.encodebytes(make_jpeg(640, 480, exif_bytes=3000)).decode()
    block = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/jpeg", "data": data},
    }
    assert block_cost(block) == 410  # ceil(640 * 480 / 750)


# --- documents ----------------------------------------------------------------------------------


def pdf_block(raw: bytes) -> dict[str, Any]:
    data = base64.b64encode(raw).decode()
    return {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": data},
    }


def test_estimate_pdf_counts_pages_not_page_tree() -> None:
    pdf = (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n"
        b"4 0 obj <</Type/Page/Parent 2 0 R>> endobj\n"
        b"5 0 obj << /Parent 2 0 R /Type /Page>> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    assert block_cost(pdf_block(pdf)) == 3 * PDF_TOKENS_PER_PAGE


def test_estimate_pdf_more_pages_cost_more() -> None:
    def pdf(pages: int) -> bytes:
        return b"%PDF-1.7\n" + b"<< /Type /Page >>\n" * pages + b"%%EOF"

    assert block_cost(pdf_block(pdf(10))) == 10 * PDF_TOKENS_PER_PAGE
    assert block_cost(pdf_block(pdf(2))) == 2 * PDF_TOKENS_PER_PAGE


def test_estimate_text_document_counts_as_text() -> None:
    text = "lorem ipsum dolor sit amet " * 200
    block = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": text},
    }
    assert block_cost(block) == pytest.approx(len(text) / 3.5, abs=1)


@pytest.mark.parametrize(
    "source",
    [{"type": "url", "url": "https://example.com/a.pdf"}, {"type": "file", "file_id": "f"}, 7],
)
def test_estimate_unknown_document_costs_constant(source: Any) -> None:
    assert block_cost({"type": "document", "source": source}) == estimate.DOCUMENT_UNKNOWN_TOKENS


# --- other blocks -------------------------------------------------------------------------------


def test_estimate_nested_tool_result_counts_every_level() -> None:
    def result(text: str) -> dict[str, Any]:
        inner = {
            "type": "tool_result",
            "tool_use_id": "b",
            "content": [{"type": "text", "text": text}],
        }
        return {"type": "tool_result", "tool_use_id": "a", "content": [inner, "plain"]}

    short, long = block_cost(result("x" * 35)), block_cost(result("x" * 3500))
    assert long - short == pytest.approx((3500 - 35) / 3.5, abs=1)


def test_estimate_tool_result_with_image_and_string() -> None:
    as_string = {"type": "tool_result", "tool_use_id": "a", "content": "y" * 700}
    assert block_cost(as_string) == 200
    with_image = {
        "type": "tool_result",
        "tool_use_id": "a",
        "content": [image_block(make_png(200, 100))],
    }
    assert block_cost(with_image) == 27


def test_estimate_search_result_and_redacted_thinking() -> None:
    search = {
        "type": "search_result",
        "source": "https://example.com",
        "title": "Example",
        "content": [{"type": "text", "text": "z" * 3500}],
    }
    assert block_cost(search) >= 1000
    assert block_cost({"type": "redacted_thinking", "data": "q" * 7000}) == 2000


def test_estimate_server_tool_use_counts_name_and_input_like_tool_use() -> None:
    call = {"id": "srvtoolu_" + "0" * 200, "name": "web_search", "input": {"query": "q" * 350}}
    server = block_cost({"type": "server_tool_use", **call})
    assert server == block_cost({"type": "tool_use", **call})
    assert server == pytest.approx((10 + len('{"query":""}') + 350) / 3.5, abs=1)


def test_estimate_unknown_block_counts_as_json() -> None:
    block = {"type": "web_search_tool_result", "tool_use_id": "s", "content": [{"url": "u" * 700}]}
    assert block_cost(block) == pytest.approx(len(estimate._json(block)) / 3.5, abs=1)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "",
        "text",
        None,
        {"messages": "oops", "system": 5, "tools": {"a": 1}},
        {"messages": [None, 3, {"content": {"x": 2**80}}], "tool_choice": {"type": ["any"]}},
        {"tools": [{"name": "t", "input_schema": {"n": 2**100}}], "tool_choice": "any"},
        {"messages": [{"role": "user", "content": "\ud800 lone surrogate"}]},
    ],
)
def test_estimate_odd_bodies_do_not_raise(body: Any) -> None:
    assert estimate_input_tokens(body) >= 1


def test_estimate_deep_nesting_does_not_raise() -> None:
    content: Any = "leaf"
    for _ in range(5000):
        content = [{"type": "tool_result", "content": content}]
    assert estimate_input_tokens(user(content)) >= 1


# --- property -----------------------------------------------------------------------------------

BLOCK_TYPES = [
    "text",
    "image",
    "document",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "server_tool_use",
    "tool_result",
    "search_result",
    "web_search_tool_result",
    "mystery",
]
KEYS = ["type", "text", "source", "data", "content", "input", "name", "thinking", "title"]

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars
    | st.sampled_from(BLOCK_TYPES)
    | st.sampled_from(["base64", "url", "text", "content", "auto", "any", "tool"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "model": json_values,
        "system": json_values,
        "messages": json_values,
        "tools": json_values,
        "tool_choice": json_values,
        "thinking": json_values,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies | json_values)
def test_estimate_never_raises_on_json_like_bodies(body: Any) -> None:
    result = estimate_input_tokens(body)
    assert isinstance(result, int)
    assert result >= 1
