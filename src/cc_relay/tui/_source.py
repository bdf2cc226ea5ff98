"""Where the dashboard's data comes from: the admin gRPC service, or a fixed stand-in.

``Source`` is what the app needs (two streams and the unary calls it makes); ``GrpcSource``
is the real one over ``grpc.aio``, with the admin key as bearer ``authorization``
metadata. When the relay goes away a stream raises ``Disconnected``; the app waits and
calls again, and the next call opens a fresh channel, so a restarted relay is picked up
at once instead of after gRPC's own reconnect backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, TypedDict, TypeVar

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.admin.v1 import admin_pb2_grpc

if TYPE_CHECKING:
    from cc_relay.admin.v1.admin_pb2_grpc import AdminAsyncStub

#: Seconds a unary call may take before the dashboard reports it failed.
CALL_TIMEOUT = 10.0
#: Recent requests listed on connecting, before the live ones.
BACKFILL = 200
#: Seconds between the snapshots StreamStats sends.
STATS_INTERVAL = 1.0
#: Seconds without a snapshot after which the relay counts as gone. A stream can stay
#: open on a connection nothing answers on any more (a host that vanished without a
#: FIN, a server stopped mid-stream), and gRPC would wait on it forever.
STATS_STALL = 4 * STATS_INTERVAL


_T = TypeVar("_T")


class _Options(TypedDict):
    """What every unary call is given."""

    metadata: tuple[tuple[str, str], ...]
    timeout: float


class TuiError(Exception):
    """tui: a call to the relay failed; the message says why, in words."""


class Disconnected(TuiError, ConnectionError):
    """tui: the relay does not answer (gone, restarting, or never there)."""


class Source(Protocol):
    """The calls the dashboard makes."""

    @property
    def address(self) -> str: ...

    def stats(self, scope: str = "") -> AsyncIterator[pb.StreamStatsResponse]: ...

    def requests(self, scope: str = "") -> AsyncIterator[pb.Request]: ...

    async def replicas(self) -> pb.ListReplicasResponse: ...

    async def get_request(self, request_id: str) -> pb.Request: ...

    async def set_enabled(self, name: str, enabled: bool) -> pb.Provider: ...

    async def reset_circuit(self, name: str) -> pb.Provider: ...

    async def reload(self) -> pb.ReloadConfigResponse: ...

    async def explain(self, model: str) -> pb.ExplainResponse: ...

    async def usage(self, group_by: str, since: float) -> pb.GetUsageResponse: ...

    async def close(self) -> None: ...


def _translate(exc: grpc.aio.AioRpcError, address: str) -> TuiError:
    code = exc.code()
    details = exc.details() or code.name.lower()
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return Disconnected(f"tui: no relay answering at {address}")
    return TuiError(f"tui: the relay answered {code.name.lower()}: {details}")


class GrpcSource:
    """The admin service at ``address`` (``host:port``), called with ``key`` if given.

    Each stream has a channel of its own, and the unary calls share one: closing a
    grpc.aio channel cancels every call on it, so a stream that finds the relay gone
    must not take down the other stream, which may be talking to a relay that is back.
    """

    def __init__(self, address: str, key: str | None = None) -> None:
        self._address = address
        self._metadata = (("authorization", f"Bearer {key}"),) if key else ()
        self._options = _Options(metadata=self._metadata, timeout=CALL_TIMEOUT)
        self._channel: grpc.aio.Channel | None = None
        self._stub: AdminAsyncStub | None = None

    @property
    def address(self) -> str:
        return self._address

    def _admin(self) -> AdminAsyncStub:
        if self._stub is None:
            self._channel = grpc.aio.insecure_channel(self._address)
            self._stub = admin_pb2_grpc.AdminStub(self._channel)
        return self._stub

    def _lost(self, what: str) -> Disconnected:
        return Disconnected(f"tui: no relay answering at {self._address} ({what})")

    async def stats(self, scope: str = "") -> AsyncIterator[pb.StreamStatsResponse]:
        """Snapshots for ``scope`` (local, fleet or a replica id; see ScopeInfo)."""
        async with grpc.aio.insecure_channel(self._address) as channel:
            call = admin_pb2_grpc.AdminStub(channel).StreamStats(
                pb.StreamStatsRequest(interval_seconds=STATS_INTERVAL, scope=scope),
                metadata=self._metadata,
            )
            messages = aiter(call)
            try:
                while True:
                    async with asyncio.timeout(STATS_STALL):
                        message = await anext(messages, None)
                    if message is None:
                        break
                    yield message
            except grpc.aio.AioRpcError as exc:
                raise _translate(exc, self._address) from exc
            except TimeoutError:
                raise self._lost(f"no snapshot in {STATS_STALL:g} s") from None
            finally:
                call.cancel()
        raise Disconnected(f"tui: the relay at {self._address} ended the stats stream")

    async def requests(self, scope: str = "") -> AsyncIterator[pb.Request]:
        """The recent requests of ``scope`` (oldest first), then each new one as it
        settles."""
        async with grpc.aio.insecure_channel(self._address) as channel:
            admin = admin_pb2_grpc.AdminStub(channel)
            # The stream opens first so nothing settling during the listing is missed;
            # what both carry is given once.
            call = admin.StreamRequests(
                pb.StreamRequestsRequest(scope=scope), metadata=self._metadata
            )
            try:
                listed = await admin.ListRequests(
                    pb.ListRequestsRequest(page_size=BACKFILL, scope=scope), **self._options
                )
                seen = {r.id for r in listed.requests}
                for request in reversed(listed.requests):
                    yield request
                async for message in call:
                    if message.request.id not in seen:
                        yield message.request
            except grpc.aio.AioRpcError as exc:
                raise _translate(exc, self._address) from exc
            finally:
                call.cancel()
        raise Disconnected(f"tui: the relay at {self._address} ended the request stream")

    async def _unary(self, call: Callable[[AdminAsyncStub], Awaitable[_T]]) -> _T:
        """``call(stub)``, with a refusal or a lost relay translated. A lost relay drops
        the unary channel, so the next call opens a fresh one at once instead of after
        gRPC's reconnect backoff."""
        admin = self._admin()
        try:
            return await call(admin)
        except grpc.aio.AioRpcError as exc:
            error = _translate(exc, self._address)
            if isinstance(error, Disconnected) and admin is self._stub:
                await self.close()
            raise error from exc
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            # Not this task: another call found the relay gone and closed the channel.
            raise self._lost("the connection was closed") from None

    async def replicas(self) -> pb.ListReplicasResponse:
        asked = pb.ListReplicasRequest()
        return await self._unary(lambda a: a.ListReplicas(asked, **self._options))

    async def get_request(self, request_id: str) -> pb.Request:
        asked = pb.GetRequestRequest(id=request_id)
        answer = await self._unary(lambda a: a.GetRequest(asked, **self._options))
        return answer.request

    async def set_enabled(self, name: str, enabled: bool) -> pb.Provider:
        asked = pb.SetProviderEnabledRequest(name=name, enabled=enabled)
        answer = await self._unary(lambda a: a.SetProviderEnabled(asked, **self._options))
        return answer.provider

    async def reset_circuit(self, name: str) -> pb.Provider:
        asked = pb.ResetCircuitRequest(name=name)
        answer = await self._unary(lambda a: a.ResetCircuit(asked, **self._options))
        return answer.provider

    async def reload(self) -> pb.ReloadConfigResponse:
        asked = pb.ReloadConfigRequest()
        return await self._unary(lambda a: a.ReloadConfig(asked, **self._options))

    async def explain(self, model: str) -> pb.ExplainResponse:
        asked = pb.ExplainRequest(model=model)
        return await self._unary(lambda a: a.Explain(asked, **self._options))

    async def usage(self, group_by: str, since: float) -> pb.GetUsageResponse:
        start = Timestamp()
        start.FromMilliseconds(round(since * 1000))
        asked = pb.GetUsageRequest(group_by=group_by, since=start)
        return await self._unary(lambda a: a.GetUsage(asked, **self._options))

    async def close(self) -> None:
        channel, self._channel, self._stub = self._channel, None, None
        if channel is not None:
            await channel.close()
