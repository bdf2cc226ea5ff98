"""The relay's listener: its two hot routes served on httptools, the rest by aiohttp.

``listener.py`` (``Front``: the protocol factory and what connections share),
``connection.py`` (one connection, and the hand-over), ``head.py`` (reading a head),
``reply.py`` (an answer written to the transport).
"""

from __future__ import annotations

from cc_relay.front.connection import FrontConnection
from cc_relay.front.listener import Front

__all__ = ["Front", "FrontConnection"]
