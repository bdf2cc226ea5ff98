"""``cc-relay tui``: a live dashboard in the terminal over the admin gRPC service.

- ``app.py``: ``Dashboard``, the Textual app: the stream workers, reconnecting, the keys.
- ``overview.py``, ``providers.py``, ``requests.py``, ``usage.py``: one view each.
- ``dialogs.py``: confirm, prompt and message screens.
- ``_source.py``: ``Source`` (what the app calls) and ``GrpcSource`` (grpc.aio).
- ``_filter.py``: the requests view's filter line; ``_format.py``: shared renderings.
- ``app.tcss``: every style.
"""

from __future__ import annotations

from cc_relay.tui._source import Disconnected, GrpcSource, Source, TuiError
from cc_relay.tui.app import Dashboard

__all__ = ["Dashboard", "Disconnected", "GrpcSource", "Source", "TuiError"]
