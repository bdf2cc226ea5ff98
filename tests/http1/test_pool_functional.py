"""The pool on real sockets: reuse, the one stale retry, no reuse of a half-read
connection, idle cap and expiry, back pressure, timeouts, TLS, and no leaked sockets."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cc_relay.http1 import (
    Client,
    ClientConfig,
    ConnectError,
    ConnectTimeout,
    HeadError,
    UsageError,
    WriteError,
)
from tests.http1.servers import RawServer, keep_alive, reset

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, RawServer], Awaitable[None]]


def _open_sockets() -> int:
    return sum(
        os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        for fd in os.listdir("/proc/self/fd")
        if os.path.exists(f"/proc/self/fd/{fd}")
    )


def _answer_first_then_hang_up(*, fresh_ones_too: bool) -> Handler:
    """Answer the first request; afterwards close without a word: on that connection
    only (``fresh_ones_too`` False), or on every connection."""
    answered = 0

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        nonlocal answered
        first_on_connection = True
        while await server.next_request(reader) is not None:
            if answered == 0 or (first_on_connection and not fresh_ones_too):
                answered += 1
                first_on_connection = False
                writer.write(OK)
                await writer.drain()
            else:
                return  # closes: what a server does to a connection it timed out

    return handle


async def test_pool_reuses_one_connection() -> None:
    async with RawServer(keep_alive(OK)) as server, Client() as client:
        for _ in range(5):
            response = await client.request("POST", server.url(), {}, b"{}")
            assert await response.read() == b"ok"
        assert server.connections == 1 and client.pool.open_count == 1
        assert client.pool.idle_count == 1


async def test_pool_stale_connection_retried_once_on_a_fresh_one() -> None:
    handler = _answer_first_then_hang_up(fresh_ones_too=False)
    async with RawServer(handler) as server, Client() as client:
        for _ in range(2):
            assert await (await client.request("POST", server.url(), {}, b"{}")).read() == b"ok"
        assert (server.connections, len(server.requests)) == (2, 3)


async def test_pool_stale_retry_happens_exactly_once() -> None:
    handler = _answer_first_then_hang_up(fresh_ones_too=True)
    async with RawServer(handler) as server, Client() as client:
        await (await client.request("POST", server.url(), {}, b"{}")).read()
        with pytest.raises(HeadError):
            await client.request("POST", server.url(), {}, b"{}")
        assert (server.connections, len(server.requests)) == (2, 3)


async def test_pool_fresh_connection_failure_is_not_retried() -> None:
    async def hang_up(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        await server.next_request(reader)

    async with RawServer(hang_up) as server, Client() as client:
        with pytest.raises(HeadError):
            await client.request("POST", server.url(), {}, b"{}")
        assert (server.connections, len(server.requests)) == (1, 1)


async def test_pool_no_retry_once_part_of_an_answer_arrived() -> None:
    async def half_answer(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        await server.next_request(reader)
        writer.write(OK)
        await server.next_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-")

    async with RawServer(half_answer) as server, Client() as client:
        await (await client.request("POST", server.url(), {}, b"{}")).read()
        with pytest.raises(HeadError):
            await client.request("POST", server.url(), {}, b"{}")
        assert (server.connections, len(server.requests)) == (1, 2)


async def test_pool_no_retry_of_a_half_written_request() -> None:
    async def reset_mid_body(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        await server.next_request(reader)
        writer.write(OK)
        await reader.readuntil(b"\r\n\r\n")
        await reader.read(65536)
        reset(writer)

    async with RawServer(reset_mid_body) as server, Client() as client:
        await (await client.request("POST", server.url(), {}, b"{}")).read()
        with pytest.raises(WriteError):
            await client.request("POST", server.url(), {}, b"x" * 64 * 1024 * 1024)
        assert server.connections == 1


async def test_pool_unread_body_is_not_pooled() -> None:
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 4000000\r\n\r\n" + b"x" * 4_000_000
    async with RawServer(keep_alive(big)) as server, Client() as client:
        response = await client.request("POST", server.url(), {}, b"{}")
        assert await response.readany()
        response.release()
        await asyncio.sleep(0.01)
        assert (client.pool.idle_count, client.pool.open_count) == (0, 0)
        assert len(await (await client.request("POST", server.url(), {}, b"{}")).read()) == 4e6
        assert server.connections == 2


async def test_pool_keeps_at_most_max_idle() -> None:
    async def slow(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        while await server.next_request(reader) is not None:
            await asyncio.sleep(0.05)
            writer.write(OK)

    config = ClientConfig(max_idle=2)
    async with RawServer(slow) as server, Client(config=config) as client:
        responses = await asyncio.gather(
            *(client.request("POST", server.url(), {}, b"{}") for _ in range(5))
        )
        for response in responses:
            await response.read()
        await asyncio.sleep(0.01)
        assert server.connections == 5
        assert (client.pool.idle_count, client.pool.open_count) == (2, 2)
        assert server.open_connections == 2


async def test_pool_idle_connections_expire() -> None:
    config = ClientConfig(idle_expiry=0.1)
    async with RawServer(keep_alive(OK)) as server, Client(config=config) as client:
        await (await client.request("POST", server.url(), {}, b"{}")).read()
        assert client.pool.idle_count == 1
        await asyncio.sleep(0.3)
        assert (client.pool.idle_count, client.pool.open_count) == (0, 0)
        assert server.open_connections == 0


async def test_pool_no_socket_leaks() -> None:
    answers = [
        OK,
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",  # cut
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"y" * 100000,  # unread
        b"garbage\r\n\r\n",
        b"",
    ]
    turn = 0

    async def varied(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        nonlocal turn
        while await server.next_request(reader) is not None:
            answer = answers[turn % len(answers)]
            turn += 1
            writer.write(answer)
            await writer.drain()
            if answer is not OK:
                return

    async with RawServer(varied) as server:
        before = _open_sockets()
        client = Client()
        for _ in range(30):
            try:
                response = await client.request("POST", server.url(), {}, b"{}")
                await response.readany()
                response.release()
            except HeadError:
                pass
            except Exception as exc:  # a cut body
                assert type(exc).__module__ == "cc_relay.http1.errors"
        assert client.pool.open_count == client.pool.idle_count <= 1
        await client.close()
        await asyncio.sleep(0.05)
        assert client.pool.open_count == 0
        assert server.open_connections == 0
        assert _open_sockets() == before


async def test_pool_back_pressure_pauses_reading() -> None:
    total = 32 * 1024 * 1024

    async def flood(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = total
        await response.prepare(request)
        piece = b"z" * 65536
        for _ in range(total // len(piece)):
            await response.write(piece)
        return response

    app = web.Application()
    app.router.add_get("/", flood)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    config = ClientConfig(high_water=128 * 1024)
    try:
        async with Client(config=config) as client:
            url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
            response = await client.request("GET", url)
            received = len(await response.readany())
            await asyncio.sleep(0.3)
            buffered = response._size
            assert buffered < config.high_water + 1024 * 1024, buffered
            while chunk := await response.readany():
                received += len(chunk)
            assert received == total and response.complete
    finally:
        await runner.cleanup()


async def test_pool_first_byte_timeout_drops_the_connection() -> None:
    async def silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server: RawServer
    ) -> None:
        await server.next_request(reader)
        await reader.read()  # until the client hangs up

    async with RawServer(silent) as server, Client() as client:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await client.request("POST", server.url(), {}, b"{}")
        await asyncio.sleep(0.01)
        assert client.pool.open_count == 0


async def test_pool_connect_timeout() -> None:
    # A listener that never accepts, its backlog full: further SYNs go unanswered.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    try:
        async with Client(config=ClientConfig(connect_timeout=0.2)) as client:
            with pytest.raises(ConnectTimeout):
                await client.request("GET", f"http://127.0.0.1:{port}/")
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_pool_connect_refused() -> None:
    async with RawServer(keep_alive(OK)) as server:
        url = server.url()
    async with Client() as client:
        with pytest.raises(ConnectError) as caught:
            await client.request("GET", url)
        assert not isinstance(caught.value, ConnectTimeout)


async def test_client_refuses_use_after_close() -> None:
    client = Client()
    await client.close()
    await client.close()
    with pytest.raises(UsageError):
        await client.request("GET", "http://127.0.0.1:1/")
    with pytest.raises(UsageError):
        async with client:
            pass


# -- TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_server(certificate: tuple[Path, Path]) -> AsyncIterator[tuple[int, list[str]]]:
    cert_path, key_path = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    context.set_alpn_protocols(["h2", "http/1.1"])
    seen: list[str] = []

    def on_sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        seen.append(f"sni={name}")

    context.sni_callback = on_sni

    async def hello(request: web.Request) -> web.Response:
        transport = request.transport
        assert transport is not None
        seen.append(f"alpn={transport.get_extra_info('ssl_object').selected_alpn_protocol()}")
        return web.Response(text="secret", headers={"X-Body": str(len(await request.read()))})

    app = web.Application()
    app.router.add_post("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    yield runner.addresses[0][1], seen
    await runner.cleanup()


async def test_tls_sni_alpn_and_reuse(
    certificate: tuple[Path, Path], tls_server: tuple[int, list[str]]
) -> None:
    port, seen = tls_server
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    trust.set_alpn_protocols(["http/1.1"])
    async with Client(tls=trust) as client:
        for _ in range(3):
            response = await client.request("POST", f"https://localhost:{port}/", {}, b"x" * 70000)
            assert (await response.read(), response.headers["x-body"]) == (b"secret", "70000")
        assert client.pool.open_count == 1
    assert seen[0] == "sni=localhost" and set(seen[1:]) == {"alpn=http/1.1"}


async def test_tls_untrusted_certificate_is_a_connect_error(
    tls_server: tuple[int, list[str]],
) -> None:
    port, _ = tls_server
    async with Client() as client:  # the system's trust store: it does not know ours
        with pytest.raises(ConnectError) as caught:
            await client.request("POST", f"https://localhost:{port}/", {}, b"{}")
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
