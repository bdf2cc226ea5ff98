"""Scopes: what the answering replica, the whole fleet, or one named replica saw.

A ``scope`` is empty or ``local`` (this replica: the default, so a single relay sees no
change), ``fleet`` (every replica sharing this one's Redis state) or a replica id (a
unique prefix will do). With the memory backend this replica is the whole fleet.

This replica publishes through ``state.fleet`` (``cc_relay.state.fleet``): each new
record of the request log as a ``Request`` message (fingerprints only, as
ListRequests gives them), and at each beat a ``ReplicaSnapshot`` (its status and
providers, histograms included). Fleet answers read those back: requests from the
stream, stats added up by :mod:`~cc_relay.admin.merge`. When Redis is unavailable they
answer with this replica's own data and say so (``ScopeInfo.degraded``), never with an
error: the operator still sees something true.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from cc_relay import __version__
from cc_relay.admin import convert, merge
from cc_relay.admin.codes import INVALID_ARGUMENT, NOT_FOUND
from cc_relay.admin.requests import RequestLog, RequestQuery
from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.errors import AdminError
from cc_relay.holder import RuntimeHolder
from cc_relay.state.fleet import READ_CHUNK, RedisFleet

__all__ = ["FLEET", "Fleet", "LOCAL", "TAIL_POLL", "TOKEN_PREFIX", "Target", "matches"]

LOCAL = "local"
FLEET = "fleet"
#: Page tokens of fleet listings: ``fleet:<stream entry id>``.
TOKEN_PREFIX = "fleet:"
#: Seconds a fleet tail waits before reading the stream again when it had nothing new.
TAIL_POLL = 0.25
REDIS_DOWN = "redis unavailable: this replica's data only"


@dataclass(frozen=True, slots=True)
class Target:
    """A resolved scope."""

    scope: str
    """``local``, ``fleet`` or a replica id."""
    replica: str | None = None
    """The one replica wanted (None for the fleet)."""
    alone: bool = False
    """This replica is the whole fleet (the memory backend)."""

    @property
    def local(self) -> bool:
        """Answered from this replica's own data."""
        return self.scope == LOCAL or self.alone


class Fleet:
    """See the module docstring.

    Args:
        holder: The relay (its state backend, read model, start time).
        requests: This replica's request log, whose records it publishes.
    """

    def __init__(self, holder: RuntimeHolder, requests: RequestLog) -> None:
        self._holder = holder
        self.replica = holder.state.replica
        self.shared: RedisFleet | None = holder.state.fleet
        self._host = socket.gethostname()
        if self.shared is not None:
            shared = self.shared
            requests.on_record = lambda r: shared.publish(convert.request(r).SerializeToString())
            shared.serve(lambda: self.snapshot().SerializeToString())

    # -- this replica ---------------------------------------------------------------

    def me(self) -> pb.Replica:
        snapshot = self._holder.snapshot()
        state = snapshot.status.state
        redis = "memory" if state is None or state.backend == "memory" else (
            "connected" if state.connected else "down"
        )  # fmt: skip
        shared = self.shared
        return pb.Replica(
            id=self.replica,
            host=self._host,
            pid=os.getpid(),
            started_at=convert.timestamp(self._holder.started_at),
            last_seen=convert.timestamp(time.time()),
            version=__version__,
            redis=redis,
            in_flight=snapshot.status.in_flight,
            requests_per_second=round(sum(p.requests_per_second for p in snapshot.providers), 3),
            answering=True,
            published=shared.published if shared is not None else 0,
            dropped=shared.dropped if shared is not None else 0,
        )

    def snapshot(self) -> pb.ReplicaSnapshot:
        """What this replica writes at each beat, and its part of a fleet answer."""
        view = self._holder.snapshot()
        return pb.ReplicaSnapshot(
            replica=self.me(),
            status=convert.status(view.status),
            providers=[convert.provider(p) for p in view.providers],
        )

    # -- scopes ---------------------------------------------------------------------

    async def resolve(self, scope: str) -> Target:
        """A scope as asked; an unknown replica id is refused with the known ones (while
        Redis is away it cannot be checked, and the answers degrade to local)."""
        asked = scope.strip()
        if asked in ("", LOCAL, self.replica):
            return Target(LOCAL)
        if asked == FLEET:
            return Target(FLEET, alone=self.shared is None)
        snapshots = await self.snapshots()
        if snapshots is None:
            return Target(asked, asked)
        ids = sorted(s.replica.id for s in snapshots)
        found = [i for i in ids if i == asked] or [i for i in ids if i.startswith(asked)]
        if len(found) != 1:
            why = "matches several replicas" if found else "is not a replica"
            raise AdminError(
                NOT_FOUND if not found else INVALID_ARGUMENT,
                f"scope: {asked!r} {why}; use local, fleet or one of: {', '.join(ids)}",
            )
        return Target(LOCAL) if found[0] == self.replica else Target(found[0], found[0])

    def info(
        self, target: Target, replicas: list[str] | None = None, *, degraded: bool = False
    ) -> pb.ScopeInfo:
        """What an answer for ``target`` holds: ``replicas``, or this one alone."""
        return pb.ScopeInfo(
            scope=target.scope,
            replicas=[self.replica] if replicas is None else replicas,
            degraded=degraded,
            reason=REDIS_DOWN if degraded else "",
        )

    # -- stats ----------------------------------------------------------------------

    async def snapshots(self) -> list[pb.ReplicaSnapshot] | None:
        """Every live replica's snapshot, this one's fresh; None while Redis is away."""
        if self.shared is None:
            return [self.snapshot()]
        found = await self.shared.snapshots()
        if found is None:
            return None
        others = [pb.ReplicaSnapshot.FromString(raw) for raw in found]
        mine = self.snapshot()
        return [mine, *(s for s in others if s.replica.id != self.replica)]

    async def stats(self, target: Target) -> tuple[pb.Status, list[pb.Provider], pb.ScopeInfo]:
        """Status and providers for ``target``; this replica's, flagged, when Redis fails."""
        degraded = False
        if not target.local:
            snapshots = await self.snapshots()
            if snapshots is None:
                degraded = True
            else:
                if target.replica is not None:
                    snapshots = [s for s in snapshots if s.replica.id == target.replica]
                    if not snapshots:
                        raise AdminError(NOT_FOUND, f"scope: replica {target.replica!r} is gone")
                status = merge.merge_status([s.status for s in snapshots])
                providers = merge.merge_providers([s.providers for s in snapshots])
                return status, providers, self.info(target, [s.replica.id for s in snapshots])
        mine = self.snapshot()
        return mine.status, list(mine.providers), self.info(target, degraded=degraded)

    async def replicas(self) -> pb.ListReplicasResponse:
        snapshots = await self.snapshots()
        if snapshots is None:
            info = self.info(Target(FLEET), degraded=True)
            return pb.ListReplicasResponse(replicas=[self.me()], scope=info)
        found = sorted((s.replica for s in snapshots), key=lambda r: r.id)
        for replica in found:
            replica.answering = replica.id == self.replica
        return pb.ListReplicasResponse(
            replicas=found, scope=self.info(Target(FLEET), [r.id for r in found])
        )

    # -- requests -------------------------------------------------------------------

    async def page(
        self, target: Target, query: RequestQuery, *, token: str, size: int
    ) -> tuple[list[pb.Request], str] | None:
        """A page of the fleet stream, newest first; None when Redis fails (the caller
        then answers locally)."""
        if self.shared is None:
            return None
        cursor = token.removeprefix(TOKEN_PREFIX) or None
        if token and not token.startswith(TOKEN_PREFIX):
            raise AdminError(INVALID_ARGUMENT, "requests: page_token is not one we gave out")
        page: list[pb.Request] = []
        while True:
            entries = await self.shared.newest(before=cursor)
            if entries is None:
                return None
            for entry_id, raw in entries:
                cursor = entry_id
                message = pb.Request.FromString(raw)
                if _wanted(target, query, message):
                    page.append(message)
                    if len(page) == size:
                        return page, TOKEN_PREFIX + entry_id
            if len(entries) < READ_CHUNK:
                return page, ""

    async def find(self, request_id: str) -> pb.Request | None:
        """Another replica's request, from the fleet stream (newest first); None when
        it is not there or Redis is away."""
        if self.shared is None:
            return None
        cursor: str | None = None
        while True:
            entries = await self.shared.newest(before=cursor)
            if not entries:
                return None
            for entry_id, raw in entries:
                cursor = entry_id
                message = pb.Request.FromString(raw)
                if message.id == request_id:
                    return message
            if len(entries) < READ_CHUNK:
                return None

    async def tail(
        self, target: Target, query: RequestQuery, requests: RequestLog
    ) -> AsyncIterator[pb.StreamRequestsResponse]:
        """Each matching summary as it reaches the stream; while Redis is away, this
        replica's own records, flagged degraded, until it answers again."""
        shared = self.shared
        assert shared is not None  # a fleet target needs the shared state
        last = await shared.last()
        with requests.tail() as mine:
            while True:
                if last is None:
                    last = await shared.last()
                entries = await shared.after(last) if last is not None else None
                if entries is None:
                    last = None
                    info = self.info(target, degraded=True)
                    try:
                        async with asyncio.timeout(TAIL_POLL * 4):
                            record = await mine.get()
                    except TimeoutError:
                        continue
                    if query.matches(record):
                        yield pb.StreamRequestsResponse(request=convert.request(record), scope=info)
                    continue
                while not mine.empty():
                    mine.get_nowait()  # they come back through the stream
                for entry_id, raw in entries:
                    last = entry_id
                    message = pb.Request.FromString(raw)
                    if _wanted(target, query, message):
                        info = self.info(target, [message.replica])
                        yield pb.StreamRequestsResponse(request=message, scope=info)
                if not entries:
                    await asyncio.sleep(TAIL_POLL)


def _wanted(target: Target, query: RequestQuery, message: pb.Request) -> bool:
    if target.replica is not None and message.replica != target.replica:
        return False
    return matches(query, message)


def matches(query: RequestQuery, m: pb.Request) -> bool:
    """``RequestQuery.matches`` for a summary read back from the fleet stream."""
    return query.admits(
        provider=m.provider,
        models=(m.client_model, m.upstream_model),
        status=m.status,
        keys=(m.key, *(a.key for a in m.attempts)),
        errors=(m.error, *(a.detail or a.error for a in m.attempts)),
        at=convert.seconds_of(m.at),
    )
