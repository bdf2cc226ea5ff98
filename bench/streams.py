"""Streams: 1,000 concurrent streams held open through the relay, 0 errors, RSS reported.

Every stream's upstream holds it open for ``--hold`` seconds after its head (the bench
upstream's ``?hold=``), so all of them are in flight at once; each must end with
``message_stop``.

    .venv/bin/python -m bench.streams [--streams 1000] [--hold 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import aiohttp

from bench._stack import Stack, main
from bench.loadgen import _SMALL, PATH

END = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
_STREAM = _SMALL.replace(b'"max_tokens"', b'"stream":true,"max_tokens"')


async def streams(served: Stack, count: int, hold: float) -> dict[str, object]:
    url = f"{served.relay.url}{PATH}&hold={hold}"
    opened = 0
    errors: list[str] = []
    peak_open = 0
    rss_held = 0.0

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal opened, peak_open
        try:
            async with session.post(
                url, data=_STREAM, headers={"content-type": "application/json"}
            ) as r:
                first = await r.content.readany()
                opened += 1
                peak_open = max(peak_open, opened)
                rest = await r.read()
                opened -= 1
                if r.status != 200 or not first or not (first + rest).endswith(END):
                    errors.append(f"status {r.status}, ends {(first + rest)[-80:]!r}")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            errors.append(repr(exc))

    async def sample() -> None:
        nonlocal rss_held
        while True:
            rss_held = max(rss_held, served.rss())
            await asyncio.sleep(0.25)

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=hold + 120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(one(session) for _ in range(count)))
        sampler.cancel()
    return {
        "streams": count,
        "held_at_once": peak_open,
        "errors": len(errors),
        "first_errors": errors[:5],
        "seconds": round(time.monotonic() - started, 1),
        "rss_while_held_mb": round(rss_held, 1),
        "rss_after_mb": round(served.rss(), 1),
        "pass": not errors and peak_open == count,
    }


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--hold", type=float, default=5.0)


def _run(served: Stack, args: argparse.Namespace) -> dict[str, object]:
    return asyncio.run(streams(served, args.streams, args.hold))


if __name__ == "__main__":
    sys.exit(main(__doc__ or "", _options, _run))
