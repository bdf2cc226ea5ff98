"""CPU per request of the upstream client alone: aiohttp's vs cc_relay.http1's.

The fast fake upstream (bench/upstream.py) runs in its own process on CPU 1; this
process is the client, on CPU 0 under uvloop (as ``cc-relay serve`` runs). For the
76 KB Claude Code body, non-stream and stream, at concurrency 1 and 32, the same
requests go through each client in alternating rounds, used as the relay's call path
uses them (post, then ``read`` + ``release``, or ``content.readany`` to the end +
``close``). It reports the CPU time (user + system) of this process per request, which
is all client work, and requests/s.

    .venv/bin/python -m bench.upstream_client [--quick] [--json] [--no-pin]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/upstream_client.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

import aiohttp

from bench import claude_code_body
from bench._common import pin
from bench.run import ForeignLoad, Proc, calibrate, say
from cc_relay.headers import X_API_KEY, upstream_headers
from cc_relay.http1 import Client, ClientConfig, Response

CLIENT_CPU, UPSTREAM_CPU = 0, 1
PATH = "/v1/messages?beta=true"
Send = Callable[[], Awaitable[int]]


def _session() -> aiohttp.ClientSession:
    """As ``Provider.start`` makes it."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=None, connect=10),
        skip_auto_headers=("User-Agent",),
    )


def _request(stream: bool) -> tuple[bytes, dict[str, str]]:
    headers = upstream_headers(claude_code_body.headers(stream=stream).items())
    headers[X_API_KEY] = "sk-bench"
    return claude_code_body.body_bytes(stream=stream), headers


async def _consume(response: Response | aiohttp.ClientResponse, stream: bool) -> int:
    """What the call path does with an answer: read it whole and release, or read it
    piece by piece to the end and close."""
    if stream:
        size = 0
        while chunk := await response.content.readany():
            size += len(chunk)
        response.close()
        return size
    size = len(await response.read())
    response.release()
    return size


def aiohttp_sender(session: aiohttp.ClientSession, url: str, stream: bool) -> Send:
    body, headers = _request(stream)

    async def send() -> int:
        return await _consume(await session.post(url, data=body, headers=headers), stream)

    return send


def lean_sender(client: Client, url: str, stream: bool) -> Send:
    body, headers = _request(stream)

    async def send() -> int:
        return await _consume(await client.request("POST", url, headers, body), stream)

    return send


async def _run(send: Send, count: int, concurrency: int) -> None:
    left = count

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            if await send() <= 0:
                raise RuntimeError("empty answer")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(
    upstream: str, *, count: int, rounds: int, warmup: int, foreign: ForeignLoad
) -> dict[str, Any]:
    session = _session()
    client = Client(config=ClientConfig())
    url = upstream + PATH
    results: dict[str, Any] = {}
    try:
        for stream in (False, True):
            for concurrency in (1, 32):
                senders = {
                    "aiohttp": aiohttp_sender(session, url, stream),
                    "http1": lean_sender(client, url, stream),
                }
                for send in senders.values():
                    await _run(send, warmup, concurrency)
                cpu: dict[str, list[float]] = {name: [] for name in senders}
                rps: dict[str, list[float]] = {name: [] for name in senders}
                noise: list[float] = []
                for round_ in range(rounds):
                    order = list(senders) if round_ % 2 == 0 else list(reversed(senders))
                    for name in order:
                        mark = foreign.start()
                        c0, t0 = time.process_time(), time.perf_counter()
                        await _run(senders[name], count, concurrency)
                        c1, t1 = time.process_time(), time.perf_counter()
                        noise.append(foreign.stop(mark))
                        cpu[name].append((c1 - c0) / count * 1e6)
                        rps[name].append(count / (t1 - t0))
                key = f"{'stream' if stream else 'non-stream'} c={concurrency}"
                results[key] = {
                    name: {
                        "cpu_us_per_request": statistics.median(cpu[name]),
                        "cpu_us_rounds": [round(v, 1) for v in cpu[name]],
                        "rps": statistics.median(rps[name]),
                    }
                    for name in senders
                } | {"foreign_cpu_pct_worst": max(noise)}
                say(
                    f"  {key}: aiohttp {results[key]['aiohttp']['cpu_us_per_request']:.0f} µs, "
                    f"http1 {results[key]['http1']['cpu_us_per_request']:.0f} µs"
                )
    finally:
        await client.close()
        await session.close()
    return results


def table(results: dict[str, Any]) -> str:
    lines = [
        "| 76 KB body | aiohttp CPU/req (µs) | http1 CPU/req (µs) | http1 / aiohttp "
        "| aiohttp req/s | http1 req/s | other processes (worst % of a CPU) |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, row in results.items():
        a, h = row["aiohttp"], row["http1"]
        lines.append(
            f"| {key} | {a['cpu_us_per_request']:.0f} | {h['cpu_us_per_request']:.0f} "
            f"| {h['cpu_us_per_request'] / a['cpu_us_per_request']:.2f}x "
            f"| {a['rps']:,.0f} | {h['rps']:,.0f} | {row['foreign_cpu_pct_worst']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upstream_client")
    parser.add_argument("--quick", action="store_true", help="a smoke test (~10 s)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to CPUs")
    args = parser.parse_args(argv)
    can_pin = (
        not args.no_pin and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2
    )
    count, rounds, warmup = (300, 2, 100) if args.quick else (2000, 5, 500)
    logdir = Path(tempfile.mkdtemp(prefix="cc-relay-bench-client-"))
    upstream_argv = ["-m", "bench.upstream"] + (["--cpu", str(UPSTREAM_CPU)] if can_pin else [])
    upstream = Proc("upstream", upstream_argv, logdir)
    pinned = pin(CLIENT_CPU if can_pin else None)
    try:
        speed = calibrate()
        say(f"upstream {upstream.url} (cpu {UPSTREAM_CPU if can_pin else '-'}), client {pinned}")
        import uvloop

        foreign = ForeignLoad([upstream.pid])
        results = uvloop.run(
            measure(upstream.url, count=count, rounds=rounds, warmup=warmup, foreign=foreign)
        )
    finally:
        upstream.stop()
        shutil.rmtree(logdir, ignore_errors=True)
    out = {"cpu_check_us": round(speed, 1), "requests_per_round": count, "rounds": rounds}
    if args.json:
        print(json.dumps(out | {"results": results}, indent=2))
    else:
        print(
            f"CPU check (orjson-parse the body once): {speed:.1f} µs; client {pinned}; "
            f"{count} requests x {rounds} rounds per cell, medians\n"
        )
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
