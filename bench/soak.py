"""Soak: 100,000 mixed requests at concurrency 16, the relay's RSS sampled throughout.

Mixed: the 76 KB Claude Code body and a small one, streamed and not, count_tokens, and
requests the relay refuses itself (bad JSON, a foreign Host, text/plain). Passes when the
RSS after the last request is within 5% of the RSS after warm-up. Bounded by count and
by ``--max-seconds``.

    .venv/bin/python -m bench.soak [--requests 100000] [--concurrency 16] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time

import aiohttp

from bench._stack import Stack, main
from bench.loadgen import _SMALL, BODIES, PATH

MAX_GROWTH = 0.05
_JSON = {"content-type": "application/json"}


def _mix() -> list[tuple[str, bytes, dict[str, str], int]]:
    """(path, body, headers, expected status), cycled through in order."""
    cc, cc_headers = BODIES["cc"]
    cc_stream, stream_headers = BODIES["cc-stream"]
    small_stream = _SMALL.replace(b'"max_tokens"', b'"stream":true,"max_tokens"')
    return [
        (PATH, _SMALL, _JSON, 200),
        (PATH, cc, cc_headers, 200),
        (PATH, small_stream, _JSON, 200),
        (PATH, cc_stream, stream_headers, 200),
        (PATH, _SMALL, _JSON, 200),
        ("/v1/messages/count_tokens", _SMALL, _JSON, 200),
        (PATH, b'{"model": ', _JSON, 400),
        (PATH, _SMALL, {**_JSON, "host": "evil.example"}, 403),
        (PATH, _SMALL, {"content-type": "text/plain"}, 415),
        ("/health", b"", {}, 200),
    ]


async def soak(
    served: Stack, total: int, concurrency: int, max_seconds: float
) -> dict[str, object]:
    url = served.relay.url
    mix = _mix()
    counter = itertools.count()
    wrong: dict[str, int] = {}
    samples: list[tuple[int, float]] = []
    warmup = total // 10
    every = max(1, total // 50)  # RSS samples
    started = time.monotonic()

    async def worker(session: aiohttp.ClientSession) -> None:
        while (n := next(counter)) < total and time.monotonic() - started < max_seconds:
            path, body, headers, expected = mix[n % len(mix)]
            method = "GET" if path == "/health" else "POST"
            async with session.request(method, url + path, data=body or None, headers=headers) as r:
                await r.read()
                if r.status != expected:
                    key = f"{path} {r.status} (expected {expected})"
                    wrong[key] = wrong.get(key, 0) + 1
            if n % every == 0:
                samples.append((n, served.rss()))

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    done = min(next(counter), total)
    elapsed = time.monotonic() - started
    after_warmup = next(rss for n, rss in samples if n >= warmup)
    final = served.rss()
    growth = (final - after_warmup) / after_warmup
    return {
        "requests": done,
        "seconds": round(elapsed, 1),
        "requests_per_second": round(done / elapsed),
        "wrong_status": wrong,
        "rss_after_warmup_mb": round(after_warmup, 1),
        "rss_final_mb": round(final, 1),
        "rss_peak_mb": round(served.peak(), 1),
        "growth_pct": round(growth * 100, 2),
        "pass": growth < MAX_GROWTH and not wrong and done == total,
    }


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=900.0)


def _run(served: Stack, args: argparse.Namespace) -> dict[str, object]:
    return asyncio.run(soak(served, args.requests, args.concurrency, args.max_seconds))


if __name__ == "__main__":
    sys.exit(main(__doc__ or "", _options, _run))
