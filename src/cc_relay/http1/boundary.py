"""Where this package's errors become the relay's upstream failures.

The only module of :mod:`cc_relay.http1` that knows the relay: the client itself
raises its own tree (:mod:`cc_relay.http1.errors`), and the call path turns a failed
attempt into an :class:`~cc_relay.errors.UpstreamFailure` here, in one table.
"""

from __future__ import annotations

from cc_relay.errors import UpstreamConnectError, UpstreamCutError, UpstreamFailure
from cc_relay.http1.errors import ConnectError, ConnectTimeout, RequestError

__all__ = ["upstream_failure"]


def upstream_failure(exc: RequestError, *, where: str, base_url: str) -> UpstreamFailure:
    """The relay's failure for a request that broke before anything reached the
    client, worded as the aiohttp path words it. ``where`` names the provider."""
    if isinstance(exc, ConnectTimeout):
        return UpstreamConnectError(f"timed out connecting to {where} at {base_url}")
    if isinstance(exc, ConnectError):
        cause = exc.__cause__
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else exc
        return UpstreamConnectError(f"cannot connect to {where} at {base_url}: {reason}")
    return UpstreamCutError(f"{where} closed the connection early: {type(exc).__name__}")
