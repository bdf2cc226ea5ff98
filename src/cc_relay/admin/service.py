"""The one implementation of the admin service; the gRPC and HTTP adapters both call it.

Each RPC is a method named as in the proto that takes the request message and returns
the response message (a server-streaming RPC: an async iterator of them), raising
``AdminError`` to refuse. Everything comes from the read model (``holder.snapshot()``,
``views``), the request log, the holder's operations and the reloader; nothing here
reads the router's dicts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from cc_relay.admin import convert
from cc_relay.admin._config import ConfigMethods
from cc_relay.admin._usage import UsageMethods
from cc_relay.admin.codes import FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND
from cc_relay.admin.history import TOKEN_PREFIX, LedgerHistory
from cc_relay.admin.requests import RequestLog, RequestRecord
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
    ) -> None:
        self.holder = holder
        self.reloader = reloader
        self.requests = requests
        self.history = history

    async def GetStatus(self, request: pb.GetStatusRequest) -> pb.GetStatusResponse:
        return pb.GetStatusResponse(status=convert.status(self.holder.snapshot().status))

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
        (page tokens ``ledger:<row>`` point there)."""
        size = request.page_size or DEFAULT_PAGE
        if not 1 <= size <= MAX_PAGE:
            raise AdminError(INVALID_ARGUMENT, f"requests: page_size must be 1 to {MAX_PAGE}")
        token = request.page_token
        in_ledger = token.startswith(TOKEN_PREFIX)
        cursor = token.removeprefix(TOKEN_PREFIX)
        if token and not cursor.isdigit():
            raise AdminError(INVALID_ARGUMENT, "requests: page_token is not one we gave out")
        query = convert.query(request.filter)
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
        record = self.requests.get(request.id) or await self.history.get(request.id)
        if record is None:
            raise AdminError(
                NOT_FOUND,
                f"requests: no request {request.id!r} in the recent log or the usage ledger",
            )
        return pb.GetRequestResponse(request=convert.request(record))

    async def StreamRequests(
        self, request: pb.StreamRequestsRequest
    ) -> AsyncIterator[pb.StreamRequestsResponse]:
        query = convert.query(request.filter)
        with self.requests.tail() as queue:
            while True:
                record = await queue.get()
                if query.matches(record):
                    yield pb.StreamRequestsResponse(request=convert.request(record))

    async def StreamStats(
        self, request: pb.StreamStatsRequest
    ) -> AsyncIterator[pb.StreamStatsResponse]:
        interval = request.interval_seconds or DEFAULT_INTERVAL
        if interval < MIN_INTERVAL:
            raise AdminError(
                INVALID_ARGUMENT, f"stats: interval_seconds must be at least {MIN_INTERVAL}"
            )
        while True:
            snapshot = self.holder.snapshot()
            yield pb.StreamStatsResponse(
                status=convert.status(snapshot.status),
                providers=[convert.provider(p) for p in snapshot.providers],
            )
            await asyncio.sleep(interval)

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
