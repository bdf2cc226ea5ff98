"""Who is calling: loopback addresses, and keys compared in constant time.

Shared by the client authentication (``api/auth.py``) and the admin service's.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Sequence


def is_loopback(host: str | None) -> bool:
    """``host`` (a peer address, maybe with an IPv6 zone) is this machine."""
    return _is_loopback(host) if host else False


@functools.lru_cache(maxsize=256)
def _is_loopback(host: str) -> bool:
    # Asked for every request of an open relay; a client comes from few addresses, and
    # parsing one costs more than the rest of the authentication.
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host == "localhost"


def key_index(value: str, keys: Sequence[bytes]) -> int | None:
    """Which of ``keys`` ``value`` is, or None; every key is compared, always, so timing
    says nothing about which one is close."""
    candidate = value.encode()
    found = -1
    for index, key in enumerate(keys):
        if hmac.compare_digest(candidate, key) and found < 0:
            found = index
    return found if found >= 0 else None


def is_one_of(value: str, keys: Sequence[bytes]) -> bool:
    """``value`` is one of ``keys`` (see ``key_index``)."""
    return key_index(value, keys) is not None
