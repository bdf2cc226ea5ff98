"""The dashboard's gRPC source against servers that misbehave: one that goes silent
mid-stream, and a relay whose channel another call closes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui import GrpcSource, _source
from cc_relay.tui._source import Disconnected


@pytest.fixture
async def silent() -> AsyncIterator[str]:
    """A gRPC server whose StreamStats sends one snapshot and then nothing, never ending
    the stream, and whose GetStatus never answers: what a client sees of a relay whose
    host vanished without a FIN."""

    async def stream_stats(request: pb.StreamStatsRequest, context: Any) -> AsyncIterator[Any]:
        yield pb.StreamStatsResponse()
        await asyncio.Event().wait()

    async def get_status(request: pb.GetStatusRequest, context: Any) -> pb.GetStatusResponse:
        await asyncio.Event().wait()
        raise AssertionError("never answered")

    handler = grpc.method_handlers_generic_handler(
        "cc_relay.admin.v1.Admin",
        {
            "StreamStats": grpc.unary_stream_rpc_method_handler(
                stream_stats,
                request_deserializer=pb.StreamStatsRequest.FromString,
                response_serializer=pb.StreamStatsResponse.SerializeToString,
            ),
            "GetStatus": grpc.unary_unary_rpc_method_handler(
                get_status,
                request_deserializer=pb.GetStatusRequest.FromString,
                response_serializer=pb.GetStatusResponse.SerializeToString,
            ),
        },
    )
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}"
    await server.stop(0)


async def test_a_stats_stream_gone_silent_counts_as_a_lost_relay(
    silent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_source, "STATS_STALL", 0.3)
    source = GrpcSource(silent)
    stream = source.stats()
    await anext(stream)
    with pytest.raises(Disconnected, match=r"no relay answering .*no snapshot in 0\.3 s"):
        async with asyncio.timeout(5):
            await anext(stream)
    await source.close()


async def test_a_unary_call_cut_by_another_closing_the_channel_is_a_lost_relay(
    silent: str,
) -> None:
    """Closing a grpc.aio channel cancels the calls on it with CancelledError; that must
    reach the dashboard as a lost relay, not kill the worker that made the call."""
    source = GrpcSource(silent)
    call = asyncio.ensure_future(
        source._unary(lambda admin: admin.GetStatus(pb.GetStatusRequest()))
    )
    await asyncio.sleep(0.2)
    await source.close()
    with pytest.raises(Disconnected, match="the connection was closed"):
        await call
