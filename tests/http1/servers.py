"""Servers on 127.0.0.1 for the http1 tests: raw asyncio ones that write exact bytes
(for edge and malformed framing), and what both clients need to be compared."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import aiohttp

from cc_relay.http1 import (
    AiohttpClient,
    BodyError,
    Client,
    ConnectError,
    HeadError,
    RequestError,
    WriteError,
)

HOST = "127.0.0.1"


@dataclass(slots=True)
class Request:
    """One request as a raw server read it."""

    head: bytes
    body: bytes

    @property
    def request_line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode()

    @property
    def headers(self) -> list[tuple[str, str]]:
        lines = self.head.decode().split("\r\n")[1:]
        return [(name, value.strip()) for name, _, value in (line.partition(":") for line in lines)]


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection, or None when the client closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return Request(head[:-4], body)


def reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, "RawServer"], Awaitable[None]]


@dataclass
class RawServer:
    """A TCP server whose handler writes whatever bytes a test wants.

    ``handler(reader, writer, server)`` runs once per connection; the connection is
    closed when it returns. The server counts connections and requests."""

    handler: Handler
    connections: int = 0
    open_connections: int = 0
    requests: list[Request] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def url(self, path: str = "/v1/messages") -> str:
        return f"http://{HOST}:{self.port}{path}"

    async def next_request(self, reader: asyncio.StreamReader) -> Request | None:
        request = await read_request(reader)
        if request is not None:
            self.requests.append(request)
        return request

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            await self.handler(reader, writer, self)
            if not writer.transport.is_closing():
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)
            self._handlers.discard(task)
            self.open_connections -= 1

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, HOST, 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()


def answer_once(response: bytes) -> Handler:
    """A handler that reads one request, writes ``response`` and closes."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        if await server.next_request(reader) is not None:
            writer.write(response)

    return handle


def keep_alive(response: bytes) -> Handler:
    """A handler that answers every request on the connection with ``response``."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        while await server.next_request(reader) is not None:
            writer.write(response)
            await writer.drain()

    return handle


# -- comparing the two clients --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a client made of one exchange, in terms both clients share."""

    status: int | None
    headers: tuple[tuple[str, str], ...] | None
    content_type: str | None
    body: bytes
    error: str | None
    """``connect``, ``answer`` (nothing usable came back) or ``body``; None if fine."""


#: Headers that differ between two runs of the same answer.
VOLATILE = frozenset({"date"})


def phase(exc: RequestError) -> str:
    if isinstance(exc, ConnectError):
        return "connect"
    if isinstance(exc, (HeadError, WriteError)):
        return "answer"
    assert isinstance(exc, BodyError), exc
    return "body"


async def fetch(
    client: Client | AiohttpClient,
    url: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    stream: bool = False,
    method: str = "POST",
) -> Outcome:
    """One exchange through ``client``; the body whole (``read``) or piece by piece
    (``readany``, as the relay streams)."""
    try:
        response = await client.request(method, url, headers or {}, body)
    except RequestError as exc:
        return Outcome(None, None, None, b"", phase(exc))
    fields = tuple((k, v) for k, v in response.headers.items() if k.lower() not in VOLATILE)
    data = b""
    try:
        if stream:
            while chunk := await response.content.readany():
                data += chunk
        else:
            data = await response.read()
    except RequestError as exc:
        return Outcome(response.status, fields, response.content_type, data, phase(exc))
    finally:
        response.release()
    return Outcome(response.status, fields, response.content_type, data, None)


def provider_session() -> aiohttp.ClientSession:
    """A session made as ``Provider.start`` makes it."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=None, connect=10),
        skip_auto_headers=("User-Agent",),
    )
