"""The load generator: aiohttp clients on keep-alive connections, driven over a pipe.

run.py starts it as its own process (pinned to one CPU) and sends one JSON command per
line on stdin; each answer is one JSON line on stdout. Bodies are built here, once, so
the pipe never carries them.

Commands (``op``):
  check       one non-stream and one stream request per target; reports what is wrong
  latency     c=1, targets interleaved request by request (so drift hits all alike);
              per target the latency of each request in microseconds
  ttfb        c=1 streams, interleaved; per target time to the first body bytes and to
              the end of the stream, in microseconds
  throughput  ``concurrency`` workers on one target for ``duration`` seconds after
              ``warmup`` seconds; completed requests, and the CPU seconds the given
              processes used during the measured window
  quit
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from bench import claude_code_body
from bench._common import pin

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_SMALL = orjson.dumps(
    {
        "model": claude_code_body.MODEL,
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Hello"}],
    }
)


def _bodies() -> dict[str, tuple[bytes, dict[str, str]]]:
    """Name -> (body, headers). ``cc`` is the 76 KB Claude Code body."""
    return {
        "cc": (claude_code_body.body_bytes(stream=False), claude_code_body.headers(stream=False)),
        "cc-stream": (
            claude_code_body.body_bytes(stream=True),
            claude_code_body.headers(stream=True),
        ),
        "small": (_SMALL, claude_code_body.headers(stream=False)),
    }


BODIES = _bodies()
PATH = "/v1/messages?beta=true"


def _session(limit: int = 0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit),
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=60),
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


async def check(urls: dict[str, str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    async with _session() as session:
        for name, url in urls.items():
            found: list[str] = []
            body, headers = BODIES["cc"]
            async with session.post(url + PATH, data=body, headers=headers) as r:
                data = await r.read()
                if r.status != 200:
                    found.append(f"non-stream status {r.status}: {data[:200]!r}")
                elif b'"usage"' not in data:
                    found.append(f"non-stream answer without usage: {data[:200]!r}")
            body, headers = BODIES["cc-stream"]
            async with session.post(url + PATH, data=body, headers=headers) as r:
                data = await r.read()
                if r.status != 200:
                    found.append(f"stream status {r.status}: {data[:200]!r}")
                elif not data.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n'):
                    found.append(f"stream did not end with message_stop: {data[-200:]!r}")
            problems[name] = found
    return problems


async def _interleaved(
    urls: dict[str, str],
    body_name: str,
    n: int,
    warmup: int,
    one: Callable[[aiohttp.ClientSession, str, bytes, dict[str, str]], Any],
) -> dict[str, Any]:
    body, headers = BODIES[body_name]
    sessions = {name: _session() for name in urls}
    samples: dict[str, list[Any]] = {name: [] for name in urls}
    errors = dict.fromkeys(urls, 0)
    try:
        for i in range(warmup + n):
            for name, url in urls.items():
                try:
                    result = await one(sessions[name], url + PATH, body, headers)
                except (TimeoutError, aiohttp.ClientError, OSError):
                    errors[name] += 1
                    continue
                if result is None:
                    errors[name] += 1
                elif i >= warmup:
                    samples[name].append(result)
    finally:
        for session in sessions.values():
            await session.close()
    return {"samples": samples, "errors": errors}


async def _one_request(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> int | None:
    t0 = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as r:
        await r.read()
    elapsed = time.perf_counter() - t0
    return round(elapsed * 1e6) if r.status == 200 else None


async def _one_stream(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> list[int] | None:
    t0 = time.perf_counter()
    async with session.post(url, data=body, headers=headers) as r:
        first = await r.content.readany()
        t1 = time.perf_counter()
        while await r.content.readany():
            pass
    t2 = time.perf_counter()
    if r.status != 200 or not first:
        return None
    return [round((t1 - t0) * 1e6), round((t2 - t0) * 1e6)]


async def latency(urls: dict[str, str], body: str, n: int, warmup: int) -> dict[str, Any]:
    return await _interleaved(urls, body, n, warmup, _one_request)


async def ttfb(urls: dict[str, str], n: int, warmup: int) -> dict[str, Any]:
    return await _interleaved(urls, "cc-stream", n, warmup, _one_stream)


async def throughput(
    url: str, body: str, concurrency: int, duration: float, warmup: float, pids: dict[str, int]
) -> dict[str, Any]:
    data, headers = BODIES[body]
    target = url + PATH
    counting = False
    stop = False
    count = errors = 0
    first_error: str | None = None

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal count, errors, first_error
        while not stop:
            try:
                async with session.post(target, data=data, headers=headers) as r:
                    await r.read()
                    ok = r.status == 200
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                ok = False
                first_error = first_error or repr(exc)
            if counting:
                if ok:
                    count += 1
                else:
                    errors += 1

    async with _session(limit=concurrency) as session:
        tasks = [asyncio.create_task(worker(session)) for _ in range(concurrency)]
        await asyncio.sleep(warmup)
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        own0 = time.process_time()
        t0 = time.perf_counter()
        counting = True
        await asyncio.sleep(duration)
        counting = False
        elapsed = time.perf_counter() - t0
        cpu = {name: cpu_seconds(pid) - cpu0[name] for name, pid in pids.items()}
        cpu["loadgen"] = time.process_time() - own0
        stop = True
        await asyncio.gather(*tasks)
    return {
        "count": count,
        "errors": errors,
        "elapsed": elapsed,
        "cpu": cpu,
        "first_error": first_error,
    }


async def serve() -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        cmd = json.loads(line)
        op = cmd.pop("op")
        if op == "quit":
            return
        handler = {"check": check, "latency": latency, "ttfb": ttfb, "throughput": throughput}[op]
        try:
            result = {"ok": True, "result": await handler(**cmd)}
        except Exception as exc:  # reported to run.py, which stops the run
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


def main() -> None:
    cpu = int(sys.argv[1]) if len(sys.argv) > 1 else None
    pin(cpu)
    sys.stdout.write("READY loadgen\n")
    sys.stdout.flush()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve())
    else:
        uvloop.run(serve())


if __name__ == "__main__":
    main()
