"""The web dashboard: a page the relay serves at ``/ui/`` on its HTTP port.

- :mod:`~cc_relay.web.dashboard`: the routes: the static files (with a strict
  Content-Security-Policy) and the sign-in endpoint ``/ui/session``.
- ``static/``: the page itself (``index.html``, ES modules, CSS), shipped in the wheel;
  no build step, no CDN. It talks only to the admin service's JSON/SSE twin
  (``admin.http``), so everything it can do the API can do.
"""

from __future__ import annotations

from cc_relay.web.dashboard import UI_PREFIX, Dashboard

__all__ = ["Dashboard", "UI_PREFIX"]
