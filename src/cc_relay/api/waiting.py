"""Keeping a streaming client alive while the relay waits for an upstream.

Failover and queueing can take a while; idle timeouts in clients and middle boxes do
not care why. After ``ping_interval`` without an answer, a streaming request gets its
200 and SSE headers early, then a ``ping`` event every interval until an upstream
answers (its events follow) or everything failed (an ``event: error`` follows).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from cc_relay.api.reply import Reply
from cc_relay.headers import CONTENT_TYPE, REQUEST_ID

T = TypeVar("T")

PING = b'event: ping\ndata: {"type": "ping"}\n\n'
SSE_HEADERS = {CONTENT_TYPE: "text/event-stream; charset=utf-8", "cache-control": "no-cache"}


async def with_pings(
    reply: Reply, work: Awaitable[T], *, request_id: str, interval: float
) -> asyncio.Future[T]:
    """Wait for ``work``; if it takes longer than ``interval``, start the stream and ping.

    Returns the finished future (its exception is the caller's to read); ``reply`` is
    started if the wait was long.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=interval)
        if done:
            return task
        await reply.start(200, {**SSE_HEADERS, REQUEST_ID: request_id})
        while True:
            await reply.write(PING)
            done, _ = await asyncio.wait({task}, timeout=interval)
            if done:
                return task
    except BaseException:
        task.cancel()
        raise
