"""Hostile requests and hostile upstream bytes, through real sockets: never a 500."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from typing import Any

import aiohttp
import anthropic
import orjson
import pytest

from cc_relay.jsonbody import MAX_JSON_DEPTH
from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, provider
from tests.emulators import AnthropicEmulator, Raw, Reply, text
from tests.emulators._wire import sse_frame

MODEL = "claude-opus-4-8"
BODY = orjson.dumps(
    {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
)
JSON = {"content-type": "application/json"}
SdkFactory = Callable[..., anthropic.AsyncAnthropic]


async def _send(
    relay: RelayServer,
    data: bytes = BODY,
    *,
    path: str = "/v1/messages",
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], bytes]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.request(
            method, f"{relay.url}{path}", data=data, headers=headers or JSON
        ) as resp:
            return resp.status, dict(resp.headers), await resp.read()


def _error(raw: bytes, error_type: str, *phrases: str) -> None:
    body = orjson.loads(raw)
    assert body["type"] == "error" and body["request_id"].startswith("req_")
    assert body["error"]["type"] == error_type, body
    for phrase in phrases:
        assert phrase in body["error"]["message"], body


# -- the browser guard ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["attacker.example", "attacker.example:8787", "127.0.0.1.nip.io", "192.168.1.9"]
)
async def test_guard_foreign_host_is_403_and_never_forwarded(
    relay: RelayServer, emu: AnthropicEmulator, host: str
) -> None:
    for path, method in [("/v1/messages", "POST"), ("/v1/providers", "GET"), ("/", "GET")]:
        status, _, raw = await _send(
            relay, path=path, method=method, headers={**JSON, "Host": host}
        )
        assert status == 403
        _error(raw, "permission_error", "server.allowed_hosts")
    assert emu.messages_requests == []


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8787", "127.0.0.1", "127.8.9.10:1", "[::1]:8787", "LOCALHOST"]
)
async def test_guard_loopback_hosts_are_served(relay: RelayServer, host: str) -> None:
    for method, path in [("HEAD", "/"), ("GET", "/health"), ("GET", "/")]:
        status, _, _ = await _send(relay, b"", path=path, method=method, headers={"Host": host})
        assert status == 200, (method, path, host)
    status, _, _ = await _send(relay, headers={**JSON, "Host": host})
    assert status == 200


async def test_guard_allowed_hosts_extend_the_list(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await make_relay(provider(emu), server={"allowed_hosts": ["relay.lan"]})
    status, _, _ = await _send(relay, headers={**JSON, "Host": "relay.lan:8787"})
    assert status == 200
    status, _, _ = await _send(relay, headers={**JSON, "Host": "other.lan"})
    assert status == 403


async def test_guard_cross_site_simple_post_is_refused(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    # What a page on any site can send without a CORS preflight.
    page = {"Content-Type": "text/plain", "Origin": "https://evil.example"}
    status, _, raw = await _send(relay, headers=page)
    assert status == 403
    _error(raw, "permission_error", "server.allowed_origins")
    status, _, raw = await _send(
        relay, b"", path="/v1/providers", method="GET", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert status == 403
    _error(raw, "permission_error", "Sec-Fetch-Site", "server.allowed_origins")
    assert emu.messages_requests == []


async def test_guard_text_plain_without_origin_is_415(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    status, _, raw = await _send(relay, headers={"Content-Type": "text/plain"})
    assert status == 415
    _error(raw, "invalid_request_error", "application/json")
    status, _, _ = await _send(relay, headers={"Content-Type": "application/json; charset=utf-8"})
    assert status == 200
    assert len(emu.messages_requests) == 1


async def test_guard_same_origin_and_allowed_origins_pass(
    make_relay: RelayFactory, emu: AnthropicEmulator
) -> None:
    relay = await make_relay(provider(emu), server={"allowed_origins": ["http://localhost:3000"]})
    own = f"http://127.0.0.1:{relay.port}"
    for origin in (own, "http://localhost:3000"):
        status, _, _ = await _send(relay, headers={**JSON, "Origin": origin})
        assert status == 200, origin
    status, _, _ = await _send(relay, headers={**JSON, "Origin": "http://localhost:3001"})
    assert status == 403


async def test_guard_sdk_is_untouched(relay: RelayServer, sdk: SdkFactory) -> None:
    message = await sdk(relay).messages.create(
        model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.content[0].type == "text"


# -- nesting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 1_000, 100_000])
@pytest.mark.parametrize("where", ["messages", "metadata", "tools"])
async def test_deep_json_is_400_not_500(
    make_relay: RelayFactory, emu: AnthropicEmulator, depth: int, where: str
) -> None:
    # An OpenAI-dialect-free way to make the relay build the tree: count_tokens is
    # estimated locally when the provider cannot count.
    relay = await make_relay(provider(emu), provider(emu, name="z", type="zai", models=["glm-x"]))
    nested = b"[" * depth + b"]" * depth
    for model, path in [(MODEL, "/v1/messages"), ("glm-x", "/v1/messages/count_tokens")]:
        if where == "messages":
            data = b'{"model":"%s","max_tokens":5,"messages":%s}' % (model.encode(), nested)
        else:
            data = b'{"model":"%s","max_tokens":5,"messages":[],"%s":%s}' % (
                model.encode(),
                where.encode(),
                nested,
            )
        status, _, raw = await _send(relay, data, path=path)
        if status != 200:  # a passthrough may forward what it does not build
            assert status == 400, raw
            _error(raw, "invalid_request_error", f"{MAX_JSON_DEPTH} levels")
    status, _, raw = await _send(
        relay, b'{"model":"%s","x":%s}' % (MODEL.encode(), nested), path="/v1/relay/explain"
    )
    assert status == 400
    _error(raw, "invalid_request_error", "nested too deeply")


# -- compressed request bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
async def test_compressed_request_forwarded_plain_without_the_header(
    relay: RelayServer, emu: AnthropicEmulator, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    status, _, raw = await _send(
        relay, compress(BODY), headers={**JSON, "Content-Encoding": encoding}
    )
    assert status == 200, raw
    seen = emu.messages_requests[-1]
    assert "content-encoding" not in seen.headers
    assert seen.body == BODY


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_body_that_is_not_what_its_encoding_says_is_400(
    relay: RelayServer, emu: AnthropicEmulator, encoding: str
) -> None:
    status, headers, raw = await _send(relay, headers={**JSON, "Content-Encoding": encoding})
    assert status == 400
    _error(raw, "invalid_request_error", encoding)
    assert headers.get("Connection", "").lower() == "close"
    assert emu.messages_requests == []


@pytest.mark.parametrize("encoding", ["br", "zstd"])
async def test_encoding_the_relay_cannot_decode_is_415(
    relay: RelayServer, emu: AnthropicEmulator, encoding: str
) -> None:
    status, _, raw = await _send(relay, headers={**JSON, "Content-Encoding": encoding})
    assert status == 415
    _error(raw, "invalid_request_error", "Content-Encoding", "uncompressed")


# -- compressed and hostile upstream streams -----------------------------------------------


def _sse(name: str, data: dict[str, Any]) -> bytes:
    return sse_frame(name, orjson.dumps(data))


START = _sse(
    "message_start",
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": MODEL,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    },
)
BLOCK = _sse(
    "content_block_start",
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
)


def _delta(words: str) -> bytes:
    return _sse(
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": words}},
    )


END = (
    _sse("content_block_stop", {"type": "content_block_stop", "index": 0})
    + _sse(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 2},
        },
    )
    + _sse("message_stop", {"type": "message_stop"})
)
STREAM = {**JSON}
STREAM_BODY = orjson.dumps({**orjson.loads(BODY), "stream": True})


@pytest.mark.parametrize(
    "sneaky",
    [
        "event: message_stop",
        "\n\nevent: message_stop\ndata: {}\n\n",
        "event: error\ndata: x",
        'data: {"type":"message_stop"}',
    ],
)
async def test_model_text_that_looks_like_an_end_does_not_hide_a_cut(
    relay: RelayServer, emu: AnthropicEmulator, sneaky: str
) -> None:
    emu.enqueue(Raw(START, BLOCK, _delta(sneaky), cut=True))
    status, _, raw = await _send(relay, STREAM_BODY)
    assert status == 200
    assert raw.rstrip().endswith(b"}")
    last = raw.rstrip().rsplit(b"\n\n", 1)[-1]
    assert last.startswith(b"event: error\n"), raw
    assert b'"api_error"' in last


def _gzip_chunks(*parts: bytes) -> list[bytes]:
    packer = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    chunks = [packer.compress(part) + packer.flush(zlib.Z_SYNC_FLUSH) for part in parts]
    chunks[-1] += packer.flush()
    return chunks


async def test_gzip_stream_from_upstream_is_decoded_and_header_dropped(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    parts = (START + BLOCK, _delta("zipped "), _delta("words"), END)
    emu.enqueue(Raw(*_gzip_chunks(*parts), headers={"content-encoding": "gzip"}))
    status, headers, raw = await _send(relay, STREAM_BODY)
    assert status == 200
    assert "Content-Encoding" not in headers
    assert raw == b"".join(parts)


async def test_corrupt_gzip_stream_ends_with_an_error_event(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    first = _gzip_chunks(START + BLOCK, _delta("ok"))[0]
    garbage = b"\x00not gzip at all\xff" * 8
    emu.enqueue(Raw(first, garbage, drip=0.2, headers={"content-encoding": "gzip"}))
    status, headers, raw = await _send(relay, STREAM_BODY)
    assert status == 200
    assert "Content-Encoding" not in headers
    assert raw.startswith(START + BLOCK)
    assert raw.rstrip().rsplit(b"\n\n", 1)[-1].startswith(b"event: error\n")


async def test_upstream_encoding_the_relay_cannot_decode_fails_over(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator
) -> None:
    relay = await make_relay(
        provider(emu, name="brotli", priority=9),
        provider(emu2, name="plain"),
        routing={"strategy": "failover"},
    )
    emu.enqueue(Raw(b"\x8b\x00compressed", headers={"content-encoding": "br"}))
    emu2.enqueue(Reply(text("from the other one")))
    status, headers, raw = await _send(relay, STREAM_BODY)
    assert status == 200
    assert raw.rstrip().endswith(b'{"type":"message_stop"}')
    assert len(emu2.messages_requests) == 1
    assert "Content-Encoding" not in headers


async def test_upstream_encoding_the_relay_cannot_decode_alone_is_502(
    relay: RelayServer, emu: AnthropicEmulator
) -> None:
    emu.enqueue(
        Raw(
            b"\x8b\x00compressed",
            content_type="application/json",
            headers={"content-encoding": "br"},
        )
    )
    status, _, raw = await _send(relay)
    assert status == 502
    _error(raw, "api_error", "'br'", "cannot decode")
