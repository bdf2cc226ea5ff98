"""A minimal, fast Anthropic-like upstream for benchmarks.

``POST /v1/messages`` (any query) answers with constant bytes: a small JSON message
with ``usage``, or, when the body says ``"stream":true``, a short fixed SSE sequence
(message_start, ping, content_block_start, 3 text deltas, content_block_stop,
message_delta, message_stop); ``?hold=SECONDS`` holds a stream open after its head.
``count_tokens`` answers a constant count. No JSON parsing and no per-request formatting, so the
upstream costs as little as aiohttp allows and does not dominate the measurements.
(tests/emulators/ are protocol-faithful and do far more work per request.)

    python -m bench.upstream [--cpu N] [--port 0]      # prints "READY http://127.0.0.1:PORT"
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from bench._common import HOST, announce, pin, run_loop

MODEL = "claude-opus-4-8"
#: Longest a stream may be held open with ``?hold=SECONDS``.
MAX_HOLD = 60.0

MESSAGE = (
    b'{"id":"msg_01BenchUpstreamFixedReply","type":"message","role":"assistant",'
    b'"model":"' + MODEL.encode() + b'","content":[{"type":"text","text":"Hello! '
    b'How can I help you today?"}],"stop_reason":"end_turn","stop_sequence":null,'
    b'"usage":{"input_tokens":21043,"cache_creation_input_tokens":0,'
    b'"cache_read_input_tokens":0,"output_tokens":12}}'
)


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


_DELTA = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"%s"}}'

STREAM_HEAD = b"".join(
    (
        _event(
            "message_start",
            '{"type":"message_start","message":{"id":"msg_01BenchUpstreamFixedReply",'
            '"type":"message","role":"assistant","model":"' + MODEL + '","content":[],'
            '"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":21043,'
            '"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}',
        ),
        _event("ping", '{"type": "ping"}'),
        _event(
            "content_block_start",
            '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
        ),
    )
)
"""First write of a stream: what a real upstream sends before the model's first token."""

STREAM_TAIL = b"".join(
    (
        _event("content_block_delta", _DELTA % "Hello!"),
        _event("content_block_delta", _DELTA % " How can I"),
        _event("content_block_delta", _DELTA % " help you today?"),
        _event("content_block_stop", '{"type":"content_block_stop","index":0}'),
        _event(
            "message_delta",
            '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},'
            '"usage":{"output_tokens":12}}',
        ),
        _event("message_stop", '{"type":"message_stop"}'),
    )
)
"""Second write: the tokens and the end of the message."""

_STREAM_FLAG = b'"stream":true'
_JSON_HEADERS = {"Content-Type": "application/json", "request-id": "req_bench_upstream"}
_SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "request-id": "req_bench_upstream",
}


async def messages(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    if _STREAM_FLAG not in body:
        return web.Response(body=MESSAGE, headers=_JSON_HEADERS)
    response = web.StreamResponse(headers=_SSE_HEADERS)
    await response.prepare(request)
    await response.write(STREAM_HEAD)
    hold = request.query.get("hold")
    if hold:  # bench/streams.py: keep the stream open, as a model thinking would
        await asyncio.sleep(min(float(hold), MAX_HOLD))
    await response.write(STREAM_TAIL)
    await response.write_eof()
    return response


async def count_tokens(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=b'{"input_tokens":21043}', headers=_JSON_HEADERS)


def create_app() -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/v1/messages/count_tokens", count_tokens)
    return app


async def serve(stop: asyncio.Event, port: int) -> None:
    runner = web.AppRunner(create_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, reuse_address=True)
    await site.start()
    announce(f"http://{HOST}:{runner.addresses[0][1]}")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    pin(args.cpu)
    run_loop(lambda stop: serve(stop, args.port))


if __name__ == "__main__":
    main()
