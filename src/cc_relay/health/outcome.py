"""Which upstream outcomes count against a provider's circuit.

The rule, in one place so the request path and the prober agree:

==========================================  ===========  ==================================
outcome                                     failure?     why
==========================================  ===========  ==================================
timeout or connection error (any status)    yes          the provider is unreachable or stuck
5xx, including Anthropic's 529 overloaded   yes          the provider is broken or overloaded
429 rate limited                            yes          one 429 is routine, but a storm of
                                                         them reaches the threshold and opens
                                                         the circuit, which is what we want
408 request timeout                         yes          the upstream gave up, like a timeout
any other 4xx (400, 401, 403, 404, 413...)  no           the request or key is at fault, and
                                                         another provider would refuse it too
1xx, 2xx, 3xx                               no           the provider answered
no status, no timeout, no connection error  no           nothing to blame the provider for;
                                                         a client that went away is reported
                                                         with ``CircuitBreaker.cancelled``
==========================================  ===========  ==================================
"""

from __future__ import annotations

_TOO_MANY_REQUESTS = 429
_REQUEST_TIMEOUT = 408
_SERVER_ERROR = 500


def counts_as_failure(
    status: int | None, *, timeout: bool = False, connect_error: bool = False
) -> bool:
    """Whether an upstream outcome should be recorded with ``CircuitBreaker.failure``.

    Args:
        status: the upstream HTTP status, or ``None`` when no response arrived.
        timeout: the attempt ran out of time (before or after the status line).
        connect_error: no connection could be made, or it broke mid-response.

    Returns:
        ``True`` for outcomes that say the provider is unhealthy (see the module table).
    """
    if timeout or connect_error:
        return True
    if status is None:
        return False
    return status >= _SERVER_ERROR or status in (_TOO_MANY_REQUESTS, _REQUEST_TIMEOUT)
