"""The relay's listener: its two hot routes served on httptools, the rest by aiohttp.

See ``front/connection.py``.
"""

from __future__ import annotations

from cc_relay.front.connection import Front, FrontConnection

__all__ = ["Front", "FrontConnection"]
