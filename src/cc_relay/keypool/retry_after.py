"""How long an upstream asks us to wait: ``retry-after`` and ``retry-after-ms``.

``retry-after`` is delta-seconds or an HTTP date (RFC 9110, section 10.2.3). Anthropic
sends whole seconds; the SDKs also read ``retry-after-ms``, which some gateways send, and
prefer it when present, so we do the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["parse_retry_after", "retry_after_seconds"]

RETRY_AFTER = "retry-after"
RETRY_AFTER_MS = "retry-after-ms"

# RFC 9110 allows digits only; fractions are accepted because some servers send them.
_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``retry-after`` value.

    Args:
        value: The header value: delta-seconds or an HTTP date.
        now: The wall-clock time a date is measured from; the current time by default.

    Returns:
        Seconds, never negative (a date in the past is 0), or None when the value is
        absent or malformed (a negative number is malformed), so the caller picks its
        own default.
    """
    if value is None:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        # RFC 5322 "-0000" means "UTC, source unknown" and parses as naive.
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime | None = None) -> float | None:
    """Seconds to wait from response headers: ``retry-after-ms`` first, then
    ``retry-after``; None when neither is usable. ``headers`` should look names up without
    regard to case (aiohttp's headers do)."""
    millis = headers.get(RETRY_AFTER_MS)
    if millis is not None and _SECONDS.fullmatch(millis.strip()):
        return float(millis.strip()) / 1000.0
    return parse_retry_after(headers.get(RETRY_AFTER), now=now)
