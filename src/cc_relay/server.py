"""Running the relay: bind, serve, and shut down in order.

Shutdown: stop listening, refuse new requests (503, ``/health`` included), let the
requests in flight finish within ``server.shutdown_grace``, end the streams still open
with an ``event: error`` (see api/drain.py), then close connections and provider
sessions. aiohttp's runner alone would wait its shutdown timeout twice (once for the
handlers, once more after cancelling them) and then cut streams without a word.
SIGHUP reloads the config.
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from aiohttp import web

from cc_relay.admin import Admin
from cc_relay.api import create_app
from cc_relay.api.connection import ConnectionLimits
from cc_relay.api.drain import DRAIN_KEY, FINAL_WRITE_TIMEOUT
from cc_relay.api.guard import GUARD_KEY
from cc_relay.config import RelayConfig
from cc_relay.front import Front
from cc_relay.holder import RuntimeHolder
from cc_relay.reload import Reloader
from cc_relay.runtime import Runtime
from cc_relay.tasks import stop

#: Seconds aiohttp's runner may wait for connections once the drain is over: by then no
#: handler runs, so this only bounds closing sockets.
CLOSE_TIMEOUT = 1.0
#: Container allocations between young-generation collections (CPython's default: 700).
GC_YOUNG_THRESHOLD = 20_000


class RelayServer:
    """The relay listening on a socket; ``async with`` starts and stops it.

    Args:
        config_path: the file ``config`` came from: watched, and re-read on reload.
        prepare: applied to every reloaded config before it is used (see ``Reloader``).
        reuse_port: bind with SO_REUSEPORT, so several worker processes share the port
            and the kernel spreads connections over them (``serve --workers``).
    """

    def __init__(
        self,
        config: RelayConfig,
        *,
        host: str | None = None,
        port: int | None = None,
        config_path: Path | None = None,
        prepare: Callable[[RelayConfig], RelayConfig] | None = None,
        reuse_port: bool = False,
    ) -> None:
        address = config.server.address
        self.host = host or address.host
        self.port = address.port if port is None else port
        self._reuse_port = reuse_port
        self.holder = RuntimeHolder(config, config_path=config_path)
        self.reloader = Reloader(self.holder, config_path, prepare=prepare)
        self.admin = Admin(self.holder, self.reloader)
        self.app = create_app(self.holder, self.reloader, admin=self.admin)
        self._limits = ConnectionLimits(config.server)
        self._runner = web.AppRunner(
            self.app, handler_cancellation=True, access_log=None, shutdown_timeout=CLOSE_TIMEOUT
        )
        self._watch = config.server.watch_config and config_path is not None
        self._watcher: asyncio.Task[None] | None = None
        self._listener: asyncio.Server | None = None
        self._front: Front | None = None

    @property
    def runtime(self) -> Runtime:
        """The current Runtime (it changes on reload)."""
        return self.holder.current

    @property
    def grpc_target(self) -> str:
        """The admin gRPC address bound (``host:port``); empty when it is off."""
        return self.holder.grpc_listen

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def front(self) -> Front | None:
        """The listener's front server, once started."""
        return self._front

    @property
    def open_connections(self) -> int:
        return self._limits.open

    async def start(self) -> None:
        await self._runner.setup()
        manager = self._runner.server
        assert manager is not None
        loop = asyncio.get_running_loop()
        # Our own listener instead of a TCPSite: each connection is a FrontConnection
        # (cc_relay.front), which answers the hot routes and hands the rest to an
        # aiohttp RelayConnection (head timeout, connection cap); that one registers
        # with aiohttp's server, so the runner's cleanup still closes it.
        self._front = Front(
            holder=self.holder,
            drain=self.app[DRAIN_KEY],
            guards=self.app[GUARD_KEY],
            manager=manager,
            limits=self._limits,
        )
        self.holder.connections = self._front.view
        try:
            self._listener = await loop.create_server(
                self._front,
                self.host,
                self.port,
                reuse_address=True,
                reuse_port=self._reuse_port or None,
            )
        except BaseException:
            await self._runner.cleanup()
            raise
        if self._listener.sockets:
            self.port = self._listener.sockets[0].getsockname()[1]

        self.holder.listen = self.url
        await self.admin.start()
        if self._watch:
            self._watcher = asyncio.create_task(self.reloader.watch(), name="config:watch")

    async def close(self) -> None:
        """Drain (see the module docstring), then close everything."""
        if self._watcher is not None:
            await stop(self._watcher)
        await self.admin.close()
        drain = self.app[DRAIN_KEY]
        drain.begin()
        if self._listener is not None:
            self._listener.close()
        # The grace in force now: a reload may have changed it.
        if not await drain.wait_idle(self.holder.current.config.server.shutdown_grace):
            drain.interrupt()
            await drain.wait_idle(FINAL_WRITE_TIMEOUT + CLOSE_TIMEOUT)
        if self._front is not None:
            self._front.close()
        await self._runner.cleanup()

    async def __aenter__(self) -> RelayServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def serve_forever(server: RelayServer, *, on_ready: Callable[[], None] | None = None) -> None:
    """Serve until SIGINT or SIGTERM; ``on_ready`` runs once the socket is bound."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    reloads: set[asyncio.Task[object]] = set()

    def reload() -> None:
        task = asyncio.ensure_future(server.reloader.reload("SIGHUP"))
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, reload)
    async with server:
        tune_gc()
        if on_ready is not None:
            on_ready()
        await stop.wait()


def tune_gc() -> None:
    """Keep the cyclic garbage collector off the hot path.

    Every request parses its JSON body into a few hundred containers. With CPython's
    default threshold the collector ran on nearly every request and rescanned all that
    survived, about 100-200 us per request (measured with gc.callbacks at c=32). Freezing
    what start-up built (modules, config, sessions) and collecting the young generation
    less often lets reference counting free each request's objects before the collector
    ever looks at them: about 13 us per request.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
