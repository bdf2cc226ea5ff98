"""The relay's transport alone: where the relay's own logic starts to cost.

A pass-through proxy built from the relay's two transports and nothing else: the front
server's head reader (``cc_relay.front.head``) on an ``asyncio.Protocol``, and the lean
upstream client (``cc_relay.http1``). No routing, no parse of the body, no events, no
logging. Then one c=32 run per body of direct, the aiohttp pass-through, this floor
and cc-relay, side by side, with each proxy pinned to its own CPU as in ``bench.run``:

    python -m bench.floor [--rounds 2] [--duration 4]

``relay - floor`` is what routing, the partial parse, the key pool, the event stream and
its subscribers cost per request; ``floor`` against the pass-through is what the two
transports save over aiohttp's. Run it on a quiet machine.

    python -m bench.floor --serve --upstream URL [--cpu N]   # the floor proxy alone
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench._common import HOST, announce, pin, run_loop

ROOT = Path(__file__).resolve().parent.parent
_DROP_UP = frozenset({"host", "content-length", "connection", "transfer-encoding"})
_DROP_DOWN = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}
)


async def serve(stop: asyncio.Event, upstream: str) -> None:
    from cc_relay.front.head import read_head
    from cc_relay.http1 import Client

    client = Client()
    base = upstream.rstrip("/")

    class Floor(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: Any = transport
            self.buffer = b""
            self.task: asyncio.Future[None] | None = None

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = read_head(self.buffer, end + 4)
            assert head is not None, "the floor proxy takes plain POSTs only"
            total = head.size + head.length
            if len(self.buffer) >= total:
                body, self.buffer = self.buffer[head.size : total], self.buffer[total:]
                self.task = asyncio.ensure_future(
                    self.forward(head.path, head.query, head.headers, body)
                )

        async def forward(self, path: str, query: str, headers: Any, body: bytes) -> None:
            sent = [(k, v) for k, v in headers.items() if k.lower() not in _DROP_UP]
            url = f"{base}{path}?{query}" if query else base + path
            response = await client.request("POST", url, sent, body)
            lines = "".join(
                f"{k}: {v}\r\n" for k, v in response.headers.items() if k.lower() not in _DROP_DOWN
            )
            held = b"HTTP/1.1 %d OK\r\n%stransfer-encoding: chunked\r\n\r\n" % (
                response.status,
                lines.encode(),
            )
            while chunk := await response.content.readany():
                self.transport.writelines((held, b"%x\r\n" % len(chunk), chunk, b"\r\n"))
                held = b""
            self.transport.writelines((held, b"0\r\n\r\n"))
            response.release()

    server = await asyncio.get_running_loop().create_server(Floor, HOST, 0)
    announce(f"http://{HOST}:{server.sockets[0].getsockname()[1]}")
    try:
        await stop.wait()
    finally:
        server.close()
        await client.close()


class _Proc:
    def __init__(self, args: list[str]) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stdin=subprocess.PIPE,
            text=True,
        )
        assert self.popen.stdout is not None
        self.url = self.popen.stdout.readline().split()[-1]

    @property
    def pid(self) -> int:
        return self.popen.pid


def compare(rounds: int, duration: float) -> None:
    up = _Proc(["-m", "bench.upstream", "--cpu", "1"])
    proxies = {
        "passthrough": _Proc(["-m", "bench.passthrough", "--upstream", up.url, "--cpu", "0"]),
        "floor": _Proc(["-m", "bench.floor", "--serve", "--upstream", up.url, "--cpu", "0"]),
        "relay": _Proc(["-m", "bench.relay_server", "--upstream", up.url, "--cpu", "0"]),
    }
    loadgen = subprocess.Popen(
        [sys.executable, "-m", "bench.loadgen", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    assert loadgen.stdin is not None and loadgen.stdout is not None
    loadgen.stdout.readline()
    try:
        print("| body | direct req/s | pass-through | floor | cc-relay | µs/request: "
              "pass-through | floor | cc-relay |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        for body in ("cc", "small"):
            rps: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for name, url, pid in [
                ("direct", up.url, up.pid),
                *((n, p.url, p.pid) for n, p in proxies.items()),
            ]:
                count = elapsed = used = 0.0
                for _ in range(rounds):
                    command = {
                        "op": "throughput",
                        "url": url,
                        "body": body,
                        "concurrency": 32,
                        "duration": duration,
                        "warmup": 1.0,
                        "pids": {"proxy": pid},
                    }
                    loadgen.stdin.write(json.dumps(command) + "\n")
                    loadgen.stdin.flush()
                    result = json.loads(loadgen.stdout.readline())["result"]
                    count += result["count"]
                    elapsed += result["elapsed"]
                    used += result["cpu"]["proxy"]
                rps[name], cpu[name] = count / elapsed, used / count * 1e6
            print(
                f"| {body} | {rps['direct']:,.0f} | {rps['passthrough']:,.0f} | "
                f"{rps['floor']:,.0f} | {rps['relay']:,.0f} | {cpu['passthrough']:.0f} | "
                f"{cpu['floor']:.0f} | {cpu['relay']:.0f} |",
                flush=True,
            )
    finally:
        loadgen.stdin.write('{"op": "quit"}\n')
        loadgen.stdin.flush()
        for proc in (*proxies.values(), up):
            proc.popen.terminate()
        loadgen.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="run the floor proxy alone")
    parser.add_argument("--upstream", help="base URL of the upstream (with --serve)")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU (with --serve)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=4.0)
    args = parser.parse_args()
    if args.serve:
        pin(args.cpu)
        run_loop(lambda stop: serve(stop, args.upstream))
    else:
        compare(args.rounds, args.duration)


if __name__ == "__main__":
    main()
