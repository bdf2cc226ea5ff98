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


def is_one_of(value: str, keys: Sequence[bytes]) -> bool:
    """``value`` is one of ``keys``; every key is compared, always, so timing says
    nothing about which one is close."""
    candidate = value.encode()
    found = False
    for key in keys:
        found |= hmac.compare_digest(candidate, key)
    return found
