"""The access log: one structured line per request, written when it ends."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from cc_relay.types import Usage

access_log = logging.getLogger("cc_relay.access")
body_log = logging.getLogger("cc_relay.bodies")


@dataclass(slots=True)
class Exchange:
    """What one request did, filled in as it goes."""

    request_id: str
    method: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    model: str | None = None
    provider: str | None = None
    upstream_model: str | None = None
    key: str | None = None
    """Fingerprint of the provider key used."""
    stream: bool = False
    attempts: int = 0
    first_byte: float | None = None
    usage: Usage = field(default_factory=Usage)
    error: str | None = None
    log_bodies: bool = False
    """Set from ``logging.debug_bodies``: bodies go to the ``cc_relay.bodies`` logger."""

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

    def log(self, status: int) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        ms = (time.perf_counter() - self.started) * 1000
        ttfb = (self.first_byte - self.started) * 1000 if self.first_byte else None
        access_log.info(
            "%s %s %d %.1fms",
            self.method,
            self.path,
            status,
            ms,
            extra={
                "request_id": self.request_id,
                "status": status,
                "model": self.model,
                "provider": self.provider,
                "key": self.key,
                "upstream_model": (
                    self.upstream_model if self.upstream_model != self.model else None
                ),
                "stream": self.stream,
                "attempts": self.attempts or None,
                "latency_ms": round(ms, 2),
                "ttfb_ms": round(ttfb, 2) if ttfb is not None else None,
                "input_tokens": self.usage.input_tokens,
                "output_tokens": self.usage.output_tokens,
                "error": self.error,
            },
        )
