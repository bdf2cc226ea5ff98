"""The one implementation of the admin service; the gRPC and HTTP adapters both call it.

Each RPC is a method named as in the proto that takes the request message and returns
the response message (a server-streaming RPC: an async iterator of them), raising
``AdminError`` to refuse. Everything comes from the read model (``holder.snapshot()``,
``views``), the request log, the holder's operations and the reloader; nothing here
reads the router's dicts. Scopes (another replica, the fleet) are ``fleet.Fleet``'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from cc_relay.admin import convert, merge
from cc_relay.admin._config import ConfigMethods
from cc_relay.admin._usage import UsageMethods
from cc_relay.admin.codes import FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND
from cc_relay.admin.fleet import TOKEN_PREFIX as FLEET_TOKEN
from cc_relay.admin.fleet import Fleet, Target
from cc_relay.admin.history import TOKEN_PREFIX, LedgerHistory
from cc_relay.admin.requests import RequestLog, RequestQuery, RequestRecord
from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.errors import AdminError, UnknownModel
from cc_relay.holder import RuntimeHolder
from cc_relay.reload import Reloader
from cc_relay.routing.context import RouteContext
from cc_relay.views import model_views

#: ListRequests page sizes.
DEFAULT_PAGE = 50
MAX_PAGE = 1000
#: StreamStats intervals, seconds.
DEFAULT_INTERVAL = 1.0
MIN_INTERVAL = 0.1
#: RPCs that change the relay: logged at info level (the others at debug).
MUTATING = frozenset(
    {"SetProviderEnabled", "ResetCircuit", "ReloadConfig", "ApplyConfig", "RollbackConfig"}
)


class AdminService(ConfigMethods, UsageMethods):
    """See the module docstring."""

    def __init__(
        self,
        holder: RuntimeHolder,
        reloader: Reloader,
        requests: RequestLog,
        history: LedgerHistory,
        fleet: Fleet,
    ) -> None:
        self.holder = holder
        self.reloader = reloader
        self.requests = requests
        self.history = history
        self.fleet = fleet

    async def GetStatus(self, request: pb.GetStatusRequest) -> pb.GetStatusResponse:
        target = await self.fleet.resolve(request.scope)
        if target.local:
            status = convert.status(self.holder.snapshot().status)
            return pb.GetStatusResponse(status=status, scope=self.fleet.info(target))
        status, _, info = await self.fleet.stats(target)
        return pb.GetStatusResponse(status=status, scope=info)

    async def ListReplicas(self, request: pb.ListReplicasRequest) -> pb.ListReplicasResponse:
        return await self.fleet.replicas()

    async def ListProviders(self, request: pb.ListProvidersRequest) -> pb.ListProvidersResponse:
        await self.holder.current.refresh_models()
        snapshot = self.holder.snapshot()
        return pb.ListProvidersResponse(providers=[convert.provider(p) for p in snapshot.providers])

    async def SetProviderEnabled(
        self, request: pb.SetProviderEnabledRequest
    ) -> pb.SetProviderEnabledResponse:
        name = self._known(request.name)
        try:
            await self.holder.set_enabled(name, request.enabled)
        except ValueError as exc:
            raise AdminError(FAILED_PRECONDITION, f"providers: {exc}") from None
        return pb.SetProviderEnabledResponse(provider=self._provider(name))

    async def ResetCircuit(self, request: pb.ResetCircuitRequest) -> pb.ResetCircuitResponse:
        name = self._known(request.name)
        if not self.holder.reset_circuit(name):
            raise AdminError(
                FAILED_PRECONDITION, f"providers: {name!r} is disabled and has no circuit"
            )
        return pb.ResetCircuitResponse(provider=self._provider(name))

    async def ListModels(self, request: pb.ListModelsRequest) -> pb.ListModelsResponse:
        views = await model_views(self.holder.current)
        return pb.ListModelsResponse(models=[convert.model(v) for v in views])

    async def Explain(self, request: pb.ExplainRequest) -> pb.ExplainResponse:
        if not request.model:
            raise AdminError(INVALID_ARGUMENT, "explain: model is required")
        ctx = RouteContext(model=request.model, session=request.session or None)
        try:
            answer = self.holder.current.router.explain(request.model, ctx)
        except UnknownModel as exc:
            shown = ", ".join(exc.available[:40]) or "none"
            raise AdminError(
                NOT_FOUND,
                f"explain: {exc.model!r} is not served by any enabled provider; available: {shown}",
            ) from None
        return convert.explanation(answer)

    async def ListRequests(self, request: pb.ListRequestsRequest) -> pb.ListRequestsResponse:
        """The memory log first, newest first; past its oldest entry, the usage ledger
        (page tokens ``ledger:<row>`` point there). Another scope reads the fleet's
        stream (``fleet:<entry>`` tokens), or this log when Redis cannot answer."""
        size = request.page_size or DEFAULT_PAGE
        if not 1 <= size <= MAX_PAGE:
            raise AdminError(INVALID_ARGUMENT, f"requests: page_size must be 1 to {MAX_PAGE}")
        target = await self.fleet.resolve(request.scope)
        token = request.page_token
        query = convert.query(request.filter)
        if not target.local:
            found = await self.fleet.page(target, query, token=token, size=size)
            if found is not None:
                page, next_token = found
                replicas = sorted({r.replica for r in page})
                return pb.ListRequestsResponse(
                    requests=page, next_page_token=next_token,
                    scope=self.fleet.info(target, replicas),
                )  # fmt: skip
            answer = await self._local_page(query, "", size)
            answer.scope.CopyFrom(self.fleet.info(target, degraded=True))
            return answer
        if token.startswith(FLEET_TOKEN):
            token = ""  # a fleet page's token, followed after Redis went away
        answer = await self._local_page(query, token, size)
        answer.scope.CopyFrom(self.fleet.info(target))
        return answer

    async def _local_page(
        self, query: RequestQuery, token: str, size: int
    ) -> pb.ListRequestsResponse:
        in_ledger = token.startswith(TOKEN_PREFIX)
        cursor = token.removeprefix(TOKEN_PREFIX)
        if token and not cursor.isdigit():
            raise AdminError(INVALID_ARGUMENT, "requests: page_token is not one we gave out")
        page: list[RequestRecord] = []
        if not in_ledger:
            before = int(cursor) if cursor else None
            for record in self.requests.newest(query, before=before):
                if len(page) == size:
                    return self._page(page, str(page[-1].seq))
                page.append(record)
        older, next_row = await self.history.page(
            query,
            before_id=int(cursor) if in_ledger else None,
            before_at=None if in_ledger else self.requests.oldest_at,
            size=size - len(page),
        )
        page += older
        return self._page(page, f"{TOKEN_PREFIX}{next_row}" if next_row is not None else "")

    @staticmethod
    def _page(records: list[RequestRecord], token: str) -> pb.ListRequestsResponse:
        return pb.ListRequestsResponse(
            requests=[convert.request(r) for r in records], next_page_token=token
        )

    async def GetRequest(self, request: pb.GetRequestRequest) -> pb.GetRequestResponse:
        """This replica's log, its ledger, then the fleet's stream (a row a fleet
        listing showed may be another replica's)."""
        record = self.requests.get(request.id) or await self.history.get(request.id)
        if record is not None:
            return pb.GetRequestResponse(request=convert.request(record))
        found = await self.fleet.find(request.id)
        if found is None:
            raise AdminError(
                NOT_FOUND,
                f"requests: no request {request.id!r} in the recent log, the usage ledger "
                "or the fleet's stream",
            )
        return pb.GetRequestResponse(request=found)

    async def StreamRequests(
        self, request: pb.StreamRequestsRequest
    ) -> AsyncIterator[pb.StreamRequestsResponse]:
        query = convert.query(request.filter)
        target = await self.fleet.resolve(request.scope)
        if not target.local and self.fleet.shared is not None:
            async for answer in self.fleet.tail(target, query, self.requests):
                yield answer
            return
        info = self.fleet.info(target)
        with self.requests.tail() as queue:
            while True:
                record = await queue.get()
                if query.matches(record):
                    yield pb.StreamRequestsResponse(request=convert.request(record), scope=info)

    async def StreamStats(
        self, request: pb.StreamStatsRequest
    ) -> AsyncIterator[pb.StreamStatsResponse]:
        interval = request.interval_seconds or DEFAULT_INTERVAL
        if interval < MIN_INTERVAL:
            raise AdminError(
                INVALID_ARGUMENT, f"stats: interval_seconds must be at least {MIN_INTERVAL}"
            )
        target = await self.fleet.resolve(request.scope)
        while True:
            yield await self._stats(target)
            await asyncio.sleep(interval)

    async def _stats(self, target: Target) -> pb.StreamStatsResponse:
        if target.local:
            snapshot = self.holder.snapshot()
            status = convert.status(snapshot.status)
            providers = [convert.provider(p) for p in snapshot.providers]
            info = self.fleet.info(target)
        else:
            status, providers, info = await self.fleet.stats(target)
        return pb.StreamStatsResponse(
            status=status,
            providers=providers,
            scope=info,
            latency=merge.relay_wide(p.latency_histogram for p in providers),
            ttfb=merge.relay_wide(p.ttfb_histogram for p in providers),
        )

    def _known(self, name: str) -> str:
        if not name:
            raise AdminError(INVALID_ARGUMENT, "providers: name is required")
        if self.holder.config.provider(name) is None:
            known = ", ".join(p.name for p in self.holder.config.providers)
            raise AdminError(NOT_FOUND, f"providers: no provider {name!r}; known: {known}")
        return name

    def _provider(self, name: str) -> pb.Provider:
        view = next(p for p in self.holder.snapshot().providers if p.name == name)
        return convert.provider(view)
