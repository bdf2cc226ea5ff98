"""The reference: a bare aiohttp pass-through proxy, the floor any aiohttp relay pays.

One shared ClientSession (raw bytes, no auto User-Agent, pooled keep-alive), the
request body and end-to-end headers forwarded, the response streamed back chunk by
chunk. No routing, no parsing, no logging.

    python -m bench.passthrough --upstream http://127.0.0.1:PORT [--cpu N] [--low-level]

``--low-level`` serves the same proxy from aiohttp's low-level ``web.Server`` (no
Application, router or middleware chain), which ``bench/server_side.py`` compares with
the ``web.Application`` it uses by default: what the relay could save on the server side.
"""

from __future__ import annotations

import argparse
import asyncio

import aiohttp
from aiohttp import web

from bench._common import HOST, announce, pin, run_loop

_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_UP_DROP = _HOP | {"host", "content-length"}
_DOWN_DROP = _HOP | {"date", "server"}

SESSION = web.AppKey("session", aiohttp.ClientSession)
UPSTREAM = web.AppKey("upstream", str)


async def proxy(request: web.Request) -> web.StreamResponse:
    return await forward(request, request.app[SESSION], request.app[UPSTREAM])


async def forward(
    request: web.BaseRequest, session: aiohttp.ClientSession, base: str
) -> web.StreamResponse:
    body = await request.read()
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _UP_DROP}
    url = base + request.path_qs
    async with session.request(request.method, url, data=body, headers=headers) as upstream:
        response = web.StreamResponse(
            status=upstream.status,
            headers={k: v for k, v in upstream.headers.items() if k.lower() not in _DOWN_DROP},
        )
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0),
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=None),
        skip_auto_headers=("User-Agent",),
    )


async def serve(stop: asyncio.Event, upstream: str, port: int, *, low_level: bool) -> None:
    session = _session()
    base = upstream.rstrip("/")
    runner: web.BaseRunner[web.BaseRequest]
    if low_level:
        server = web.Server(
            lambda request: forward(request, session, base), client_max_size=64 * 1024 * 1024
        )
        runner = web.ServerRunner(server, access_log=None)
    else:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app[UPSTREAM] = base
        app[SESSION] = session
        app.router.add_route("*", "/{tail:.*}", proxy)
        runner = web.AppRunner(app, access_log=None)  # type: ignore[assignment]
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, reuse_address=True)
    await site.start()
    announce(f"http://{HOST}:{runner.addresses[0][1]}")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="base URL of the upstream")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--low-level", action="store_true", help="aiohttp's web.Server, no Application"
    )
    args = parser.parse_args()
    pin(args.cpu)
    run_loop(lambda stop: serve(stop, args.upstream, args.port, low_level=args.low_level))


if __name__ == "__main__":
    main()
