"""Who is calling: loopback addresses, and keys compared in constant time.

Shared by the client authentication (``api/auth.py``) and the admin service's.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Sequence


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
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
