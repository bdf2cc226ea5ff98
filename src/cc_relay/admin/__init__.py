"""The management service: one implementation, served over gRPC and as JSON.

- :mod:`~cc_relay.admin.service`: ``AdminService``, every RPC as a method taking the
  request message and returning the response (config RPCs in ``_config``, GetUsage in
  ``_usage``).
- :mod:`~cc_relay.admin.grpc_server`: ``grpc.aio`` on ``admin.grpc_listen``, handlers
  built from the service descriptor, health and reflection.
- :mod:`~cc_relay.admin.http`: the JSON twin on the relay's port (Connect unary
  convention, SSE for streams) and ``GET /metrics``.
- :mod:`~cc_relay.admin.auth`: admin keys, loopback-only without them, the browser rule,
  the audit log line. :mod:`~cc_relay.admin.codes`: one error table for both transports.
- :mod:`~cc_relay.admin.sessions`: the web dashboard's sign-in sessions (cookie tokens).
- :mod:`~cc_relay.admin.requests`: the ring of settled requests with their attempts.
- :mod:`~cc_relay.admin.metrics`: Prometheus, from events and the read model.
- :mod:`~cc_relay.admin.convert`: read model -> messages.
- :mod:`~cc_relay.admin.fleet`: scopes (this replica, the fleet, one replica): publishing
  to and reading from ``state.fleet``; :mod:`~cc_relay.admin.merge` adds replicas' stats up.
- ``v1/``: code generated from ``proto/cc_relay/admin/v1/admin.proto``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cc_relay.admin.auth import Lockout
from cc_relay.admin.fleet import Fleet
from cc_relay.admin.grpc_server import AdminGrpcError, GrpcServer
from cc_relay.admin.history import LedgerHistory
from cc_relay.admin.http import ADMIN_PATHS, AdminHttp
from cc_relay.admin.metrics import Metrics
from cc_relay.admin.requests import RequestLog
from cc_relay.admin.service import AdminService
from cc_relay.admin.sessions import Sessions
from cc_relay.holder import RuntimeHolder
from cc_relay.reload import Reloader

log = logging.getLogger("cc_relay.admin")


class Admin:
    """A relay's admin surface: the request log and metrics (subscribed to the holder's
    events from its start), the service, and both transports."""

    def __init__(self, holder: RuntimeHolder, reloader: Reloader) -> None:
        self._holder = holder
        self.requests = RequestLog(cost=holder.cost_of, replica=holder.state.replica)
        holder.add_subscriber("requests", self.requests.observe)
        self.fleet = Fleet(holder, self.requests)
        self.metrics = Metrics(holder) if holder.config.admin.metrics else None
        writer = holder.ledger.writer
        history = LedgerHistory(writer.path if writer is not None else None)
        self.service = AdminService(holder, reloader, self.requests, history, self.fleet)
        self.sessions = Sessions()
        self.lockout = Lockout()
        """Wrong admin keys per address, for every transport and the sign-in."""
        self.http = AdminHttp(self.service, self.metrics, self._keys, self.sessions, self.lockout)
        self.grpc = GrpcServer(self.service, self._keys, self.lockout)

    def keys(self) -> Sequence[str]:
        """The admin keys in force now."""
        return self._keys()

    def _keys(self) -> Sequence[str]:
        return self._holder.config.admin.keys

    async def start(self) -> None:
        """Open the gRPC listener, unless ``admin.grpc_listen`` is null. A relay whose
        gRPC port is taken (a second relay on the default one) still serves, the JSON
        twin included; the log says why gRPC is off."""
        address = self._holder.config.admin.grpc_address
        if address is None:
            return
        try:
            self._holder.grpc_listen = await self.grpc.start(address)
        except AdminGrpcError as exc:
            log.warning("%s", exc)

    async def close(self) -> None:
        await self.grpc.close()


__all__ = ["ADMIN_PATHS", "Admin", "AdminService"]
