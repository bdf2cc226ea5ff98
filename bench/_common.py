"""What every bench process shares: CPU pinning, the READY line, running until stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable

HOST = "127.0.0.1"
READY = "READY"
"""First stdout line of a server process: ``READY http://127.0.0.1:PORT``."""


def pin(cpu: int | None) -> str:
    """Pin this process to one CPU when possible; say what happened."""
    if cpu is None or cpu < 0:
        return "not pinned"
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    allowed = os.sched_getaffinity(0)
    if cpu not in allowed:
        return f"not pinned (cpu {cpu} not in {sorted(allowed)})"
    os.sched_setaffinity(0, {cpu})
    return f"cpu {cpu}"


def announce(url: str) -> None:
    print(f"{READY} {url}", flush=True)


def run_loop(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``main(stop)`` under uvloop (as ``cc-relay serve`` does); SIGTERM/SIGINT set stop."""

    async def wrapper() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    try:
        import uvloop
    except ImportError:
        print("uvloop not installed; using asyncio's loop", file=sys.stderr)
        asyncio.run(wrapper())
    else:
        uvloop.run(wrapper())
