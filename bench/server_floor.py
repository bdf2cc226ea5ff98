"""The server framework alone: what answering one request costs, before any proxying.

Three servers give the same constant JSON answer to every request after reading its
body: aiohttp's ``web.Application`` (one route, no middleware), its low-level
``web.Server``, and a bare ``asyncio.Protocol`` with ``httptools`` (llhttp, as uvicorn
uses it) that writes the answer in one ``transport.write``. Measured at c=32 with the
76 KB Claude Code body and the small one, in alternating rounds: the server's CPU per
request. The difference between aiohttp and the bare protocol is the most a purpose-built
server side could save the relay per request (``bench/server_side.py`` compares the two
aiohttp shapes inside the pass-through proxy).

    .venv/bin/python -m bench.server_floor [--rounds 3] [--duration 3]
    .venv/bin/python -m bench.server_floor --serve KIND   # one server, for the above
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, cast

from bench._common import HOST, announce, pin
from bench.run import LOADGEN_CPU, PROXY_CPU, LoadGen, Proc, process_seconds

KINDS = ("application", "low-level", "httptools")
ANSWER = (
    b'{"id":"msg_floor","type":"message","role":"assistant","model":"claude-opus-4-8",'
    b'"content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn",'
    b'"usage":{"input_tokens":1,"output_tokens":1}}'
)


async def _aiohttp(kind: str) -> Any:
    from aiohttp import web

    async def answer(request: web.BaseRequest) -> web.Response:
        await request.read()
        return web.Response(body=ANSWER, content_type="application/json")

    loop = asyncio.get_running_loop()
    if kind == "low-level":
        return await loop.create_server(web.Server(answer), HOST, 0)
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/messages", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    return site._server


class _Bare(asyncio.Protocol):
    """Keep-alive HTTP/1.1 on httptools: the body is collected, the answer written whole."""

    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        import httptools

        self.transport = cast(asyncio.Transport, transport)  # uvloop's is only alike
        self.parser = httptools.HttpRequestParser(self)
        self.body: list[bytes] = []
        self.received = b""

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.received = b"".join(self.body)  # what a handler would be given
        self.body.clear()
        self.transport.write(self.head % len(ANSWER) + ANSWER)


async def serve(kind: str) -> None:
    if kind == "httptools":
        server = await asyncio.get_running_loop().create_server(_Bare, HOST, 0)
    else:
        server = await _aiohttp(kind)
    announce(f"http://{HOST}:{server.sockets[0].getsockname()[1]}")
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0)
    args = parser.parse_args()
    if args.serve:
        import uvloop

        pin(PROXY_CPU)
        uvloop.run(serve(args.serve))
        return
    pin(LOADGEN_CPU)
    logdir = Path(tempfile.mkdtemp(prefix="cc-relay-server-floor-"))
    servers = {k: Proc(k, ["-m", "bench.server_floor", "--serve", k], logdir) for k in KINDS}
    gen = LoadGen(logdir, LOADGEN_CPU)
    cpu: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(args.rounds):
            for body in ("cc", "small"):
                for kind, proc in servers.items():
                    before = process_seconds(proc.pid)
                    out = gen.call(
                        "throughput", url=proc.url, body=body, concurrency=32,
                        duration=args.duration, warmup=0.0, pids={},
                    )  # fmt: skip
                    used = process_seconds(proc.pid) - before
                    if not out["count"]:
                        raise SystemExit(f"{kind}: no request answered: {out['first_error']}")
                    cpu.setdefault((kind, body), []).append(used / out["count"] * 1e6)
    finally:
        gen.stop()
        for proc in servers.values():
            proc.stop()
    print("| server | CPU µs per request, 76 KB body | small body |")
    print("|---|---|---|")
    for kind in KINDS:
        cells = [f"{statistics.median(cpu[kind, body]):.0f}" for body in ("cc", "small")]
        print(f"| {kind} | {' | '.join(cells)} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
