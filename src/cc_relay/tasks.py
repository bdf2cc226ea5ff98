"""Stopping a background task for good.

A background task is stopped by cancelling it. But a library that turns a cancel into
an error of its own lets a loop that handles that error go on: redis-py can, when the
cancel meets its socket timeout (redis/redis-py#2028 and #2551), and the shared-state
monitor took that for Redis failing. A closing relay that cancelled once then waited
for it forever (seen in CI). :func:`stop` cancels again until the task has ended.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["CANCEL_AGAIN", "stop"]

#: Seconds between cancellations of a task that goes on after one.
CANCEL_AGAIN = 0.1


async def stop(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait for it to end, cancelling it again while it runs.

    Whatever the task raised is its own business: it is stopped, not asked for a
    result. A cancel of the caller itself is not absorbed; it ends the wait.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=CANCEL_AGAIN)
    if not task.cancelled():
        task.exception()  # retrieved, or asyncio would log it as never retrieved
