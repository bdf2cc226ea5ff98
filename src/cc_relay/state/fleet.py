"""The fleet's live request stream and stats snapshots in Redis.

Each replica puts a summary of every settled request (bytes the admin service encodes:
fingerprints only, never a secret) on the stream ``<prefix>:requests`` (approximate
``MAXLEN`` :data:`STREAM_MAXLEN`), and its stats snapshot on ``<prefix>:replica:<id>``
every :data:`BEAT_INTERVAL`, expiring after :data:`BEAT_TTL` so a dead replica drops out
of fleet views by itself; ``<prefix>:fleet`` (a sorted set scored by Redis time) lists
who beat lately.

Nothing here is on the request path: ``publish`` appends to a queue, and one task
flushes it every :data:`FLUSH_INTERVAL` as one pipelined batch of ``XADD``. While Redis
is away the queue is not kept (a summary is worth its freshness): summaries are dropped
and counted, the pause is logged once, and publishing resumes when the backend is up.
Readers return None while Redis is away, so callers answer with local data instead.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cc_relay.state import _scripts

if TYPE_CHECKING:
    from cc_relay.config.schema import StateConfig
    from cc_relay.state.redis_state import RedisState

__all__ = [
    "BEAT_INTERVAL",
    "BEAT_TTL",
    "Entry",
    "FLUSH_INTERVAL",
    "QUEUE_LIMIT",
    "READ_CHUNK",
    "RedisFleet",
    "STREAM_MAXLEN",
    "replica_id",
]

log = logging.getLogger("cc_relay.state")

STREAM_MAXLEN = 10_000
"""Request summaries the fleet stream keeps (approximately: Redis trims by node)."""
FLUSH_INTERVAL = 0.2
"""Seconds between two batches of summaries sent to Redis."""
BEAT_INTERVAL = 1.0
"""Seconds between two stats snapshots of this replica."""
BEAT_TTL = 5.0
"""Seconds a snapshot lasts: a replica silent this long is out of the fleet."""
QUEUE_LIMIT = 10_000
"""Summaries waiting for the next flush at most; more are dropped (counted)."""
READ_CHUNK = 500
"""Stream entries read per round trip."""

Entry = tuple[str, bytes]
"""A stream entry's id and the summary it holds."""

_instances = itertools.count()


def replica_id(config: StateConfig) -> str:
    """``state.replica``, else ``<hostname>:<pid>`` (stable for the process's life).
    A second relay in the same process (tests) gets ``-2``, ``-3``, ... appended."""
    if config.replica:
        return config.replica
    n = next(_instances)
    base = f"{socket.gethostname()}:{os.getpid()}"
    return base if n == 0 else f"{base}-{n + 1}"


class RedisFleet:
    """See the module docstring.

    Args:
        state: The Redis backend whose client, keys and up/down state this uses.
    """

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self.stream = state.key("requests")
        self._members = state.key("fleet")
        self._queue: deque[bytes] = deque()
        self._beat = state.client.register_script(_scripts.FLEET_BEAT)
        self._snapshot: Callable[[], bytes] | None = None
        self._paused = False
        self.published = 0
        """Summaries put on the stream."""
        self.dropped = 0
        """Summaries lost because Redis was away (or the queue full)."""

    def snapshot_key(self, replica: str) -> str:
        return self._state.key("replica", replica)

    # -- writing ----------------------------------------------------------------------

    def publish(self, summary: bytes) -> None:
        """Queue one request summary for the next flush; never waits."""
        if not self._state.up or len(self._queue) >= QUEUE_LIMIT:
            self._drop(1)
            return
        self._queue.append(summary)

    def serve(self, snapshot: Callable[[], bytes]) -> None:
        """What to write as this replica's stats snapshot at each beat."""
        self._snapshot = snapshot

    def _drop(self, count: int) -> None:
        self.dropped += count
        if not self._paused:
            self._paused = True
            log.warning(
                "state: redis unavailable; the fleet request stream is paused, summaries "
                "are dropped (counted) until it answers"
            )

    async def run(self) -> None:
        """Flush every :data:`FLUSH_INTERVAL`, beat every :data:`BEAT_INTERVAL`."""
        loop = asyncio.get_running_loop()
        next_beat = 0.0
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            await self.flush()
            if loop.time() >= next_beat:
                next_beat = loop.time() + BEAT_INTERVAL
                await self.beat()

    async def flush(self) -> None:
        if self._paused and self._state.up:
            self._paused = False
            log.warning("state: redis is back; the fleet request stream resumes")
        if not self._queue:
            return
        batch = list(self._queue)
        self._queue.clear()
        if not self._state.up:
            self._drop(len(batch))
            return
        pipe = self._state.client.pipeline(transaction=False)
        for summary in batch:
            pipe.xadd(self.stream, {"r": summary}, maxlen=STREAM_MAXLEN, approximate=True)
        if await self._state.guard(pipe.execute()) is None:
            self._drop(len(batch))
        else:
            self.published += len(batch)

    async def beat(self) -> None:
        if self._snapshot is None or not self._state.up:
            return
        replica = self._state.replica
        await self._state.guard(
            self._beat(
                keys=[self._members, self.snapshot_key(replica)],
                args=[replica, self._snapshot(), int(BEAT_TTL * 1000)],
            )
        )

    async def leave(self) -> None:
        """Out of the fleet at once (a clean shutdown), not after the TTL."""
        if not self._state.up:
            return
        await self.flush()
        pipe = self._state.client.pipeline(transaction=False)
        pipe.zrem(self._members, self._state.replica)
        pipe.delete(self.snapshot_key(self._state.replica))
        await self._state.guard(pipe.execute())

    # -- reading; None while Redis is away ------------------------------------------

    async def snapshots(self) -> list[bytes] | None:
        """Every live replica's last snapshot (this one's included)."""
        if not self._state.up:
            return None
        client = self._state.client
        members: list[Any] | None = await self._state.guard(client.zrange(self._members, 0, -1))
        if not members:
            return None if members is None else []
        keys = [self.snapshot_key(m.decode()) for m in members]
        values: list[Any] | None = await self._state.guard(client.mget(keys))
        if values is None:
            return None
        return [v for v in values if isinstance(v, bytes)]

    async def newest(self, *, before: str | None, count: int = READ_CHUNK) -> list[Entry] | None:
        """Up to ``count`` summaries, newest first, older than the entry ``before``."""
        if not self._state.up:
            return None
        top = f"({before}" if before else "+"
        found = await self._state.guard(
            self._state.client.xrevrange(self.stream, max=top, min="-", count=count)
        )
        return None if found is None else _entries(found)

    async def after(self, last: str, *, count: int = READ_CHUNK) -> list[Entry] | None:
        """Up to ``count`` summaries added after the entry ``last``, oldest first."""
        if not self._state.up:
            return None
        found = await self._state.guard(
            self._state.client.xrange(self.stream, min=f"({last}", max="+", count=count)
        )
        return None if found is None else _entries(found)

    async def last(self) -> str | None:
        """The newest entry's id (``0-0`` for an empty stream); None while Redis is away."""
        found = await self.newest(before=None, count=1)
        if found is None:
            return None
        return found[0][0] if found else "0-0"


def _entries(found: list[Any]) -> list[Entry]:
    return [(raw_id.decode(), fields[b"r"]) for raw_id, fields in found if b"r" in fields]
