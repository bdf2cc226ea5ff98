"""What the Redis state backend adds per request, next to memory, on loopback.

    python -m bench.shared_state [--requests N] [--json]

Starts a redis-server of its own on a free loopback port (no persistence), the bench
upstream, and cc-relay twice: ``state.backend`` memory, then redis. Both limit the key
(``rpm_limit`` far above the load, so every request takes the bucket path: one EVALSHA
to reserve, one to settle off the request path). One keep-alive client sends small
non-streamed requests one at a time; the figure is the p50 and p90 latency difference.
Goal (issue 15): under 0.3 ms added at p50.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.run import Proc

BODY = json.dumps(
    {"model": "claude-opus-4-8", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
).encode()
HEADERS = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
RPM = 100_000_000
GOAL_MS = 0.3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("bench: redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    proc.kill()
    sys.exit("bench: redis-server did not start")


async def latencies(url: str, count: int) -> list[float]:
    """Milliseconds per request, one at a time on one keep-alive connection."""
    out: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        for i in range(count + count // 10):
            started = time.perf_counter()
            async with session.post(f"{url}/v1/messages", data=BODY, headers=HEADERS) as resp:
                await resp.read()
                if resp.status != 200:
                    raise SystemExit(f"bench: the relay answered {resp.status}")
            if i >= count // 10:  # the first tenth warms up
                out.append((time.perf_counter() - started) * 1000)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=10)
    return {"p50": statistics.median(samples), "p90": cuts[8]}


def measure(upstream: str, logdir: Path, count: int, state_url: str) -> dict[str, float]:
    args = ["-m", "bench.relay_server", "--upstream", upstream, "--rpm-limit", str(RPM)]
    if state_url:
        args += ["--state-url", state_url]
    relay = Proc("relay-redis" if state_url else "relay-memory", args, logdir)
    try:
        return summary(asyncio.run(latencies(relay.url, count)))
    finally:
        relay.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--memory-only",
        action="store_true",
        help="only the memory backend (to compare a tree without state/ at all)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cc-relay-bench-") as tmp:
        logdir = Path(tmp)
        redis, url = start_redis(logdir)
        upstream = Proc("upstream", ["-m", "bench.upstream"], logdir)
        try:
            memory = measure(upstream.url, logdir, args.requests, "")
            if args.memory_only:
                print(f"memory: p50 {memory['p50']:.3f} ms, p90 {memory['p90']:.3f} ms")
                return
            shared = measure(upstream.url, logdir, args.requests, url)
        finally:
            upstream.stop()
            redis.kill()
            redis.wait()
    added = {k: shared[k] - memory[k] for k in memory}
    result = {
        "memory_ms": memory,
        "redis_ms": shared,
        "added_ms": added,
        "goal_ms": GOAL_MS,
        "pass": added["p50"] < GOAL_MS,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{'':8}{'p50 ms':>10}{'p90 ms':>10}")
    for name, row in (("memory", memory), ("redis", shared), ("added", added)):
        print(f"{name:8}{row['p50']:>10.3f}{row['p90']:>10.3f}")
    print(f"goal: p50 added < {GOAL_MS} ms: {'pass' if result['pass'] else 'FAIL'}")


if __name__ == "__main__":
    main()
