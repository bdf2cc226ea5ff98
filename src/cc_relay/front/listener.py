"""The front server: the relay's listener, answering its two hot routes itself.

aiohttp's server side cost about 90 us of the relay's 440 per 76 KB request, and a bare
``asyncio.Protocol`` on httptools about 36 (``bench/server_floor.py``). So every
connection starts as a ``FrontConnection`` (``front/connection.py``), which answers a
plain ``POST`` to ``/v1/messages`` or ``/v1/messages/count_tokens`` itself (and its
refusals: a foreign ``Host``, a wrong key, a spent budget, a body the relay cannot
parse, each through the middleware's own functions, so a Claude Code session that was
refused once stays on the fast path) and hands everything else to aiohttp, with the
middleware, routes and errors it always had: the other routes, unusual requests
(chunked or compressed bodies, ``Expect``, HTTP/1.0, odd heads), a body over
``server.max_body_bytes``, over capacity, draining.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cc_relay.api.connection import ConnectionLimits, RelayConnection
from cc_relay.front.connection import FrontConnection
from cc_relay.front.head import Head
from cc_relay.views import ConnectionsView

if TYPE_CHECKING:
    from aiohttp import web

    from cc_relay.api.drain import Drain
    from cc_relay.api.guard import Guards
    from cc_relay.holder import RuntimeHolder


class Front:
    """What every front connection shares; the listener's protocol factory."""

    def __init__(
        self,
        *,
        holder: RuntimeHolder,
        drain: Drain,
        guards: Guards,
        manager: web.Server,
        limits: ConnectionLimits,
    ) -> None:
        self.holder = holder
        self.drain = drain
        self.guards = guards
        self.limits = limits
        self._manager = manager
        self.connections: set[FrontConnection] = set()
        self.answered = 0
        """Requests the front server answered itself."""
        self.handed_over = 0
        """Connections given to aiohttp (each at one request's first byte)."""

    def view(self) -> ConnectionsView:
        return ConnectionsView(self.limits.open, self.answered, self.handed_over)

    def __call__(self) -> FrontConnection:
        return FrontConnection(self)

    def takes(self, head: Head) -> bool:
        """Whether this request is the front server's (see the module docstring)."""
        limits = self.limits
        return (
            not self.drain.draining
            and limits.open <= limits.max_connections
            and head.length <= self.holder.current.config.server.max_body_bytes
        )

    def aiohttp_connection(self) -> RelayConnection:
        return RelayConnection(self._manager, loop=asyncio.get_running_loop(), limits=self.limits)

    def close(self) -> None:
        """Close every front connection (once the drain is over)."""
        for connection in list(self.connections):
            connection.close()
