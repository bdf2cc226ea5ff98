"""A relay in front of emulators, served from a thread of its own, so that a hypothesis
test (which runs synchronously) can drive it through blocking sockets."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

from cc_relay.config.loading import validate
from cc_relay.server import RelayServer
from tests.emulators import EmulatorBase

#: The emulators, started in the thread's loop; the config's providers built from them.
Emulators = Callable[[], Sequence[EmulatorBase]]
Providers = Callable[[Sequence[EmulatorBase]], list[dict[str, Any]]]


class Background:
    """``with Background(emulators, providers) as served:`` the relay runs until the
    block ends; ``served.relay`` and ``served.emulators`` are there inside it."""

    def __init__(self, emulators: Emulators, providers: Providers, *, source: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._make = emulators
        self._providers = providers
        self._source = source
        self._relay: RelayServer | None = None
        self.emulators: Sequence[EmulatorBase] = ()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),))

    @property
    def relay(self) -> RelayServer:
        assert self._relay is not None, "the relay is not running"
        return self._relay

    @property
    def port(self) -> int:
        return self.relay.port

    async def _main(self) -> None:
        async with contextlib.AsyncExitStack() as stack:
            self.emulators = [await stack.enter_async_context(e) for e in self._make()]
            config = validate(
                {
                    "server": {"listen": "127.0.0.1:0"},
                    "providers": self._providers(self.emulators),
                },
                source=self._source,
            )
            async with RelayServer(config) as relay:
                self._relay = relay
                self._ready.set()
                await self._stop.wait()

    def __enter__(self) -> Background:
        self._thread.start()
        assert self._ready.wait(20), "the background relay did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self.loop.close()
