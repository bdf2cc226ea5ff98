"""The admin service over gRPC (``grpc.aio``), with health and server reflection.

The handlers are built from the service descriptor, not written per RPC: each one
authenticates the call from its ``authorization`` metadata and peer address, logs who
called what, calls the one ``AdminService`` method of that name and turns an
``AdminError`` into the matching status. ``grpc.health.v1.Health`` answers SERVING for
the service; reflection lets ``grpcurl`` list and call it without the proto file.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import unquote

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from cc_relay.admin.auth import Lockout, audit, authorize
from cc_relay.admin.codes import grpc_status
from cc_relay.admin.service import MUTATING, AdminService
from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.config.schema import ListenAddress
from cc_relay.errors import AdminError, RelayError

log = logging.getLogger("cc_relay.admin")

SERVICE = pb.DESCRIPTOR.services_by_name["Admin"]
#: Seconds calls in progress (live tails) get when the relay stops.
STOP_GRACE = 1.0
#: A second relay on a taken port must fail, not share it (gRPC's default on Linux).
OPTIONS = (("grpc.so_reuseport", 0),)


class AdminGrpcError(RelayError, OSError):
    """The gRPC listener could not bind its address."""


def peer_host(peer: str) -> str | None:
    """The host of a gRPC peer string (``ipv4:127.0.0.1:5000``, ``ipv6:[::1]:5000``)."""
    kind, _, rest = unquote(peer).partition(":")
    if kind == "ipv4":
        return rest.rpartition(":")[0]
    if kind == "ipv6":
        return rest.rpartition(":")[0].strip("[]")
    return None


class GrpcServer:
    """See the module docstring.

    Args:
        keys: the admin keys in force now (they change on reload).
    """

    def __init__(
        self, service: AdminService, keys: Callable[[], Sequence[str]], lockout: Lockout
    ) -> None:
        self._service = service
        self._keys = keys
        self._lockout = lockout
        self._server: grpc.aio.Server | None = None

    async def start(self, address: ListenAddress) -> str:
        """Bind and serve; returns the address bound, ``host:port``."""
        server = grpc.aio.server(options=OPTIONS)
        server.add_generic_rpc_handlers((self._handlers(),))
        health = HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health, server)
        reflection.enable_server_reflection(
            (SERVICE.full_name, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
             reflection.SERVICE_NAME),
            server,
        )  # fmt: skip
        host = f"[{address.host}]" if ":" in address.host else address.host
        try:
            port = server.add_insecure_port(f"{host}:{address.port}")
        except RuntimeError as exc:
            raise AdminGrpcError(
                f"admin: cannot listen for gRPC on {host}:{address.port} ({exc}); set "
                "admin.grpc_listen to a free port, or to null to turn it off"
            ) from None
        await server.start()
        for name in (SERVICE.full_name, ""):
            await health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._server = server
        return f"{host}:{port}"

    async def close(self) -> None:
        if self._server is not None:
            await self._server.stop(STOP_GRACE)
            self._server = None

    def _handlers(self) -> grpc.GenericRpcHandler:
        handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
        for method in SERVICE.methods:
            request_type: type[Message] = getattr(pb, method.input_type.name)
            call = getattr(self._service, method.name)
            if method.server_streaming:
                handlers[method.name] = grpc.unary_stream_rpc_method_handler(
                    self._stream(method.name, call),
                    request_deserializer=request_type.FromString,
                    response_serializer=_serialize,
                )
            else:
                handlers[method.name] = grpc.unary_unary_rpc_method_handler(
                    self._unary(method.name, call),
                    request_deserializer=request_type.FromString,
                    response_serializer=_serialize,
                )
        return grpc.method_handlers_generic_handler(SERVICE.full_name, handlers)

    def _authorize(self, name: str, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        metadata = dict(context.invocation_metadata() or ())
        authorization = metadata.get("authorization")
        who = authorize(
            self._keys(),
            authorization if isinstance(authorization, str) else None,
            peer_host(context.peer()),
            lockout=self._lockout,
        )
        audit(name, who, "grpc") if name in MUTATING else log.debug(
            "admin call %s by %s", name, who
        )

    def _unary(
        self, name: str, call: Callable[[Any], Awaitable[Message]]
    ) -> Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Message]]:
        async def handle(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Message:
            try:
                self._authorize(name, context)
                return await call(request)
            except AdminError as exc:
                await context.abort(grpc_status(exc), exc.message)
                raise  # abort raises; this line is for the type checker

        return handle

    def _stream(
        self, name: str, call: Callable[[Any], AsyncIterator[Message]]
    ) -> Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Message]]:
        async def handle(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Message]:
            try:
                self._authorize(name, context)
                async for message in call(request):
                    yield message
            except AdminError as exc:
                await context.abort(grpc_status(exc), exc.message)

        return handle


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()
