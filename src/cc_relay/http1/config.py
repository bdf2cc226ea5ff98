"""The client's limits, checked when built; defaults are the constants beside them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ClientConfig",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_HIGH_WATER",
    "DEFAULT_IDLE_EXPIRY",
    "DEFAULT_MAX_FIELD_SIZE",
    "DEFAULT_MAX_HEADERS",
    "DEFAULT_MAX_HEAD_SIZE",
    "DEFAULT_MAX_IDLE",
]

#: Seconds to establish a connection (TCP and TLS), as the provider config's default.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Idle keep-alive connections kept per origin; more are closed as they come back.
DEFAULT_MAX_IDLE = 100
#: Seconds an idle connection is kept (aiohttp's keep-alive default).
DEFAULT_IDLE_EXPIRY = 15.0
#: Unread body bytes a response buffers before the socket stops being read.
DEFAULT_HIGH_WATER = 256 * 1024
#: Longest header line and most header fields accepted (aiohttp's client limits).
DEFAULT_MAX_FIELD_SIZE = 8190
DEFAULT_MAX_HEADERS = 128
#: Most bytes read while waiting for a complete head (1xx heads included).
DEFAULT_MAX_HEAD_SIZE = 1024 * 1024


class ClientConfig(BaseModel):
    """Limits of one :class:`~cc_relay.http1.Client` (one pool per provider)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connect_timeout: float | None = Field(DEFAULT_CONNECT_TIMEOUT, gt=0)
    """Seconds for TCP connect plus TLS handshake; None waits forever."""
    max_idle: int = Field(DEFAULT_MAX_IDLE, ge=0)
    """Idle connections kept per origin (scheme, host, port); 0 disables keep-alive."""
    idle_expiry: float = Field(DEFAULT_IDLE_EXPIRY, gt=0)
    """Seconds after which an idle connection is closed."""
    high_water: int = Field(DEFAULT_HIGH_WATER, gt=0)
    """Buffered unread body bytes above which reading the socket pauses."""
    max_field_size: int = Field(DEFAULT_MAX_FIELD_SIZE, gt=0)
    """Longest header name or value, in bytes."""
    max_headers: int = Field(DEFAULT_MAX_HEADERS, gt=0)
    """Most header fields in one response head."""
    max_head_size: int = Field(DEFAULT_MAX_HEAD_SIZE, gt=0)
    """Most bytes received before the head is complete."""
