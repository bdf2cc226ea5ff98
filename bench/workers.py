"""Requests per second with ``cc-relay serve --workers 2`` against one worker.

    python -m bench.workers [--seconds S] [--concurrency C] [--json]

Starts a redis-server of its own on a free loopback port, the bench upstream, and
``cc-relay serve`` from a config file with ``state.backend: redis`` and one key, first
with ``--workers 1``, then ``--workers 2``. C keep-alive connections send small
non-streamed requests for S seconds. On a 2-core machine the load generator and the
upstream share the cores with the workers, so this is a floor, not what a second core
gives a relay on a machine of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.relay_server import PROVIDER_KEY
from bench.run import Proc
from bench.shared_state import BODY, HEADERS, RPM, _free_port, start_redis

START_TIMEOUT = 30.0


def write_config(path: Path, port: int, upstream: str, redis_url: str) -> None:
    config = {
        "server": {"listen": f"127.0.0.1:{port}", "watch_config": False},
        "admin": {"grpc_listen": None},
        "logging": {"level": "warning"},
        "ledger": {"enabled": False},
        "state": {"backend": "redis", "url": redis_url, "prefix": "bench-workers"},
        "providers": [
            {"name": "anthropic", "type": "anthropic", "base_url": upstream,
             "keys": [{"key": PROVIDER_KEY, "rpm_limit": RPM}]}
        ],
    }  # fmt: skip
    path.write_text(json.dumps(config))


def serve(config: Path, workers: int, logdir: Path) -> subprocess.Popen[bytes]:
    log = (logdir / f"serve-{workers}.log").open("wb")
    env = dict(os.environ, XDG_DATA_HOME=str(logdir / "data"))
    return subprocess.Popen(
        [sys.executable, "-m", "cc_relay", "serve", "-c", str(config), "--workers", str(workers)],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
    )  # fmt: skip


def wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bench: serve exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                time.sleep(1.0)  # every worker bound
                return
        except OSError:
            time.sleep(0.05)
    sys.exit("bench: serve did not listen")


async def load(url: str, seconds: float, concurrency: int) -> float:
    done = 0
    stop_at = time.monotonic() + seconds

    async def one_connection() -> None:
        nonlocal done
        connector = aiohttp.TCPConnector(limit=1, force_close=False)
        async with aiohttp.ClientSession(connector=connector) as session:
            while time.monotonic() < stop_at:
                async with session.post(f"{url}/v1/messages", data=BODY, headers=HEADERS) as r:
                    await r.read()
                    if r.status != 200:
                        raise SystemExit(f"bench: the relay answered {r.status}")
                done += 1

    started = time.monotonic()
    await asyncio.gather(*(one_connection() for _ in range(concurrency)))
    return done / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="cc-relay-bench-") as tmp:
        logdir = Path(tmp)
        redis, redis_url = start_redis(logdir)
        upstream = Proc("upstream", ["-m", "bench.upstream"], logdir)
        try:
            for workers in (1, 2):
                port = _free_port()
                config = logdir / f"config-{workers}.yaml"
                write_config(config, port, upstream.url, redis_url)
                proc = serve(config, workers, logdir)
                try:
                    wait_listening(port, proc)
                    url = f"http://127.0.0.1:{port}"
                    asyncio.run(load(url, 1.0, args.concurrency))  # warm up
                    results[f"workers_{workers}"] = asyncio.run(
                        load(url, args.seconds, args.concurrency)
                    )
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(30)
        finally:
            upstream.stop()
            redis.kill()
            redis.wait()
    results["ratio"] = results["workers_2"] / results["workers_1"]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"req/s, c={args.concurrency}, small non-stream, state.backend redis")
    print(f"  --workers 1: {results['workers_1']:,.0f}")
    print(f"  --workers 2: {results['workers_2']:,.0f}  ({results['ratio']:.2f}x)")


if __name__ == "__main__":
    main()
