"""What one request did, filled in as it goes, and published as it ends."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from cc_relay.events import EventBus, RequestSettled
from cc_relay.types import Usage

body_log = logging.getLogger("cc_relay.bodies")


@dataclass(slots=True)
class Exchange:
    """One request's record: the HTTP layer opens it, dispatch fills it in, and
    ``finish`` publishes it as a ``RequestSettled`` event."""

    request_id: str
    method: str
    path: str
    events: EventBus
    started: float = field(default_factory=time.perf_counter)
    model: str | None = None
    provider: str | None = None
    upstream_model: str | None = None
    key: str | None = None
    """Fingerprint of the provider key used."""
    client_key: str | None = None
    """Fingerprint of the relay key the client presented (None on an open relay)."""
    session: str | None = None
    """Claude Code's session id header, else ``metadata.user_id``."""
    stream: bool = False
    attempts: int = 0
    first_byte: float | None = None
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    """Why the request failed; None once an attempt answered."""
    retried: list[str] = field(default_factory=list)
    """``provider: why`` for each attempt that failed before the one that answered."""
    log_bodies: bool = False
    """Set from ``logging.debug_bodies``: bodies go to the ``cc_relay.bodies`` logger."""
    open_ended: bool = False
    """A stream with no end of its own (the admin service's server streams): the client
    closing it is how it ends, not a 499."""

    def body(self, direction: str, data: bytes) -> None:
        """Log a request or response body (the log formatter redacts secrets)."""
        if self.log_bodies:
            body_log.debug(
                "%s body",
                direction,
                extra={"request_id": self.request_id, "body": data.decode("utf-8", "replace")},
            )

    def mark_first_byte(self) -> None:
        if self.first_byte is None:
            self.first_byte = time.perf_counter()

    def finish(self, status: int) -> None:
        now = time.perf_counter()
        self.events.publish(
            RequestSettled(
                request_id=self.request_id,
                method=self.method,
                path=self.path,
                status=status,
                latency=now - self.started,
                ttfb=self.first_byte - self.started if self.first_byte else None,
                client_model=self.model,
                provider=self.provider,
                upstream_model=self.upstream_model,
                key=self.key,
                client_key=self.client_key,
                session=self.session,
                stream=self.stream,
                attempts=self.attempts,
                usage=self.usage,
                error=self.error,
                retried=tuple(self.retried),
            )
        )
