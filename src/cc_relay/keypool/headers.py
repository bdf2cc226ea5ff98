"""Learning a key's limits from Anthropic's rate-limit headers.

Every Anthropic response carries ``anthropic-ratelimit-{family}-{limit,remaining,reset}``
for the families ``requests``, ``input-tokens``, ``output-tokens`` and ``tokens``; reset is
an RFC 3339 time at which the bucket is full again. Reading them lets the relay pace a key
before the upstream refuses it, including keys configured without limits and keys that
other clients share.

What each reading does:

- ``-remaining`` lowers the matching bucket to that level (never raises it: the header may
  predate reservations made since). Below one, the key also waits until ``-reset``, capped
  at :data:`MAX_RESET_WAIT` so a skewed wall clock cannot park a key for long.
- ``-limit`` gives a key without a configured limit a bucket of that size, and lowers a
  configured limit the upstream says is smaller.
- ``tokens`` is special: Anthropic documents it as "the most restrictive limit currently
  in effect" (input or output, per key or per workspace), not a total, so its ``-limit``
  never creates or resizes the total-token bucket; its ``-remaining`` only lowers a total
  bucket configured as ``tpm_limit``, and zero still parks the key until reset.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

from cc_relay.keypool.bucket import TokenBucket
from cc_relay.keypool.key import KeyState

__all__ = ["MAX_RESET_WAIT", "PREFIX", "learn"]

PREFIX = "anthropic-ratelimit-"
MAX_RESET_WAIT = 60.0
"""Longest wait, in seconds, a reset time can impose: limits are per minute, so a later
reset means the clocks disagree (or it is a longer window, which a 429 will then cover)."""

#: Header family -> bucket name.
_FAMILIES = {
    "requests": "requests",
    "input-tokens": "input_tokens",
    "output-tokens": "output_tokens",
    "tokens": "tokens",
}
_FIELDS = ("limit", "remaining", "reset")


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _collect(headers: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``{family: {field: value}}`` for the rate-limit headers present, any case."""
    found: dict[str, dict[str, str]] = {}
    for name, value in headers.items():
        lower = name.lower()
        if not lower.startswith(PREFIX):
            continue
        family, _, field = lower[len(PREFIX) :].rpartition("-")
        if family in _FAMILIES and field in _FIELDS:
            found.setdefault(family, {})[field] = value
    return found


def learn(state: KeyState, headers: Mapping[str, str], *, now: float, wall_now: datetime) -> None:
    """Tighten ``state`` from the rate-limit headers in ``headers``.

    Args:
        state: The key the response came from.
        headers: Response headers; names in any case.
        now: The pool's clock time.
        wall_now: The wall-clock time, which ``-reset`` values are measured against.
    """
    for family, fields in _collect(headers).items():
        name = _FAMILIES[family]
        bucket = state.bucket(name)
        limit = _number(fields.get("limit"))
        if limit is not None and limit >= 1 and family != "tokens":
            if bucket is None:
                bucket = TokenBucket(int(limit), now=now, configured=False)
                state.set_bucket(name, bucket)
            else:
                bucket.relimit(int(limit), now)
        remaining = _number(fields.get("remaining"))
        if remaining is None:
            continue
        if bucket is not None:
            bucket.tighten(remaining, now)
        reset = _time(fields.get("reset"))
        if remaining < 1 and reset is not None:
            wait = min(MAX_RESET_WAIT, (reset - wall_now).total_seconds())
            if wait > 0:
                state.cool_down(now + wait)
