"""The admin service as JSON on the relay's HTTP port, and ``GET /metrics``.

Unary RPCs follow the Connect protocol's unary convention: ``POST
/cc_relay.admin.v1.Admin/<Method>`` with ``Content-Type: application/json``, the body
the request message in the proto3 JSON mapping, the answer the response message (both
through ``google.protobuf.json_format``); an error is ``{"code": ..., "message": ...}``
with the matching HTTP status. Server-streaming RPCs answer ``GET`` at the same path as
Server-Sent Events, one message per ``data:`` line, the request's fields given as query
parameters (``?filter.provider=a&filter.statusClass=5xx``); an error ends the stream as
``event: error``.

Every call passes the same checks as over gRPC (``admin.auth``), plus the browser rule:
a cross-site request is refused, and a POST must say ``application/json``, which a web
page cannot send to another origin without a CORS preflight the relay never grants.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import orjson
from aiohttp import web
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from cc_relay.admin.auth import Lockout, audit, authorize, log, refuse_cross_site
from cc_relay.admin.codes import INVALID_ARGUMENT, NOT_FOUND, http_status
from cc_relay.admin.metrics import Metrics
from cc_relay.admin.service import MUTATING, AdminService
from cc_relay.admin.sessions import COOKIE, Sessions
from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.api.keys import EXCHANGE_KEY
from cc_relay.errors import AdminError
from cc_relay.headers import AUTHORIZATION, HOST, ORIGIN, SEC_FETCH_SITE

SERVICE = pb.DESCRIPTOR.services_by_name["Admin"]
PREFIX = f"/{SERVICE.full_name}/"
METRICS_PATH = "/metrics"
#: Paths that authenticate with admin keys instead of the client keys of server.auth.
ADMIN_PATHS = (PREFIX, METRICS_PATH)
#: Seconds a quiet event stream waits before a comment line keeps it open.
SSE_PING = 15.0

_INTEGERS = {
    FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
}  # fmt: skip
_FLOATS = {FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT}


class AdminHttp:
    """The HTTP handlers; ``keys`` gives the admin keys in force now."""

    def __init__(
        self,
        service: AdminService,
        metrics: Metrics | None,
        keys: Callable[[], Sequence[str]],
        sessions: Sessions,
        lockout: Lockout,
    ) -> None:
        self._service = service
        self._metrics = metrics
        self._keys = keys
        self._sessions = sessions
        self._lockout = lockout

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", PREFIX + "{method}", self.rpc)
        app.router.add_get(METRICS_PATH, self.metrics)

    def _check(self, request: web.Request, name: str) -> None:
        headers = request.headers
        refuse_cross_site(headers.get(ORIGIN), headers.get(SEC_FETCH_SITE), headers.get(HOST))
        who = authorize(
            self._keys(),
            headers.get(AUTHORIZATION),
            request.remote,
            lockout=self._lockout,
            sessions=self._sessions,
            cookie=request.cookies.get(COOKIE),
        )
        if name in MUTATING:
            audit(name, who, "http")
        else:
            log.debug("admin call %s by %s", name, who)

    async def metrics(self, request: web.Request) -> web.StreamResponse:
        try:
            self._check(request, "metrics")
            if self._metrics is None:
                raise AdminError(NOT_FOUND, "admin: metrics are off (admin.metrics: false)")
        except AdminError as exc:
            return _error(exc)
        body, content_type = await self._metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def rpc(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        method = SERVICE.methods_by_name.get(name)
        try:
            if method is None:
                raise AdminError(NOT_FOUND, f"admin: no method {name!r} in {SERVICE.full_name}")
            self._check(request, name)
            request_type: type[Message] = getattr(pb, method.input_type.name)
            call = getattr(self._service, name)
            if method.server_streaming:
                if request.method != "GET":
                    return _error(_usage(f"{name} streams: call it with GET"), status=405)
                return await _sse(request, call(from_query(request.query, request_type)))
            if request.method != "POST":
                return _error(_usage(f"{name}: call it with POST"), status=405)
            if request.content_type != "application/json":
                return _error(_usage("admin: send Content-Type: application/json"), status=415)
            message = _parse(await request.read(), request_type)
            return _json(await call(message))
        except AdminError as exc:
            return _error(exc)


def _usage(message: str) -> AdminError:
    return AdminError(INVALID_ARGUMENT, message)


def _parse(body: bytes, request_type: type[Message]) -> Message:
    try:
        return json_format.Parse(body or b"{}", request_type())
    except json_format.ParseError as exc:
        raise AdminError(INVALID_ARGUMENT, f"admin: the request body: {exc}") from None


def _dump(message: Message) -> bytes:
    return orjson.dumps(json_format.MessageToDict(message))


def _json(message: Message) -> web.Response:
    return web.Response(body=_dump(message), content_type="application/json")


def _error(exc: AdminError, *, status: int | None = None) -> web.Response:
    body = orjson.dumps({"code": exc.code, "message": exc.message})
    return web.Response(
        status=status or http_status(exc), body=body, content_type="application/json"
    )


def from_query(query: Mapping[str, str], request_type: type[Message]) -> Message:
    """A request message from query parameters named by field path (proto or JSON
    names, dotted for nested messages)."""
    document: dict[str, Any] = {}
    for key, raw in query.items():
        descriptor: Any = request_type.DESCRIPTOR
        place = document
        parts = key.split(".")
        for i, part in enumerate(parts):
            field = descriptor.fields_by_name.get(part) or next(
                (f for f in descriptor.fields if f.json_name == part), None
            )
            if field is None:
                raise _usage(f"admin: no field {key!r} in {descriptor.name}")
            last = i == len(parts) - 1
            if last:
                place[field.name] = _scalar(field, raw, key)
            elif field.message_type is not None:
                place = place.setdefault(field.name, {})
                descriptor = field.message_type
            else:
                raise _usage(f"admin: {'.'.join(parts[: i + 1])} has no fields")
    try:
        return json_format.ParseDict(document, request_type())
    except json_format.ParseError as exc:
        raise _usage(f"admin: the query: {exc}") from None


def _scalar(field: FieldDescriptor, raw: str, key: str) -> Any:
    try:
        if field.type == FieldDescriptor.TYPE_BOOL:
            return raw.lower() in ("1", "true", "yes")
        if field.type in _INTEGERS:
            return int(raw)
        if field.type in _FLOATS:
            return float(raw)
    except ValueError:
        raise _usage(f"admin: {key}: not a number: {raw!r}") from None
    return raw


async def _sse(request: web.Request, stream: AsyncIterator[Message]) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    # A dashboard that moves to another view closes its stream: that is how a server
    # stream ends, not a client gone in the middle of an answer (499).
    request[EXCHANGE_KEY].open_ended = True
    nxt: asyncio.Future[Message] | None = None
    try:
        while True:
            if nxt is None:
                nxt = asyncio.ensure_future(anext(stream))
            done, _ = await asyncio.wait({nxt}, timeout=SSE_PING)
            if not done:
                await response.write(b": ping\n\n")
                continue
            try:
                message = nxt.result()
            except StopAsyncIteration:
                break
            nxt = None
            await response.write(b"data: " + _dump(message) + b"\n\n")
    except AdminError as exc:
        error = orjson.dumps({"code": exc.code, "message": exc.message})
        await response.write(b"event: error\ndata: " + error + b"\n\n")
    finally:
        if nxt is not None and not nxt.done():
            nxt.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, AdminError):
                await nxt
        with contextlib.suppress(RuntimeError):
            await stream.aclose()  # type: ignore[attr-defined]
    return response
