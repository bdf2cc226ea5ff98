"""Spread each provider's load over its API keys so that no key meets a rate limit.

Map of the package:

- :mod:`~cc_relay.keypool.pool`: :class:`KeyPool`, priority tiers and ``acquire``.
- :mod:`~cc_relay.keypool.lease`: :class:`Lease`, one request's reservation, settled,
  released or rate-limited.
- :mod:`~cc_relay.keypool.key` and :mod:`~cc_relay.keypool.bucket`: per-key state and
  the continuously refilled per-minute token buckets (requests, input, output, total).
- :mod:`~cc_relay.keypool.selectors`: one module per selection policy.
- :mod:`~cc_relay.keypool.headers`: learning from ``anthropic-ratelimit-*`` headers.
- :mod:`~cc_relay.keypool.retry_after` and :mod:`~cc_relay.keypool.spend_cap`: reading
  a 429.

Typical use on the request path::

    lease = pool.acquire(estimate)
    if lease is None: ...  # try another provider, or wait until pool.available_at()
    try:
        response = await send(lease.key.key)
    except ConnectError:
        lease.release(); raise
    lease.learn(response.headers)
    if response.status == 429:
        lease.rate_limited(retry_after_seconds(response.headers),
                           spend_cap=is_spend_cap(message))
    ...
    lease.settle(usage.input_tokens + usage.cache_creation_input_tokens,
                 usage.output_tokens)
"""

from cc_relay.errors import KeyPoolError, UnknownSelection
from cc_relay.keypool.bucket import TokenBucket
from cc_relay.keypool.lease import DEFAULT_COOLDOWN, SPEND_CAP_COOLDOWN, Lease
from cc_relay.keypool.pool import DEFAULT_SELECTION, KeyPool
from cc_relay.keypool.retry_after import parse_retry_after, retry_after_seconds
from cc_relay.keypool.selectors import SELECTIONS
from cc_relay.keypool.snapshot import BucketSnapshot, KeySnapshot
from cc_relay.keypool.spend_cap import is_spend_cap

__all__ = [
    "BucketSnapshot",
    "DEFAULT_COOLDOWN",
    "DEFAULT_SELECTION",
    "KeyPool",
    "KeyPoolError",
    "KeySnapshot",
    "Lease",
    "SELECTIONS",
    "SPEND_CAP_COOLDOWN",
    "TokenBucket",
    "UnknownSelection",
    "is_spend_cap",
    "parse_retry_after",
    "retry_after_seconds",
]
