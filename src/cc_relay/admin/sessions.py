"""Browser sessions for the web dashboard: a random token in a cookie, held here.

Signing in with an admin key (``POST /ui/session``) opens a session; the browser keeps
only its token, in an HttpOnly, SameSite=Strict cookie, never the key. A session is
bound to the fingerprint of the key that opened it, so it ends as soon as a reload
drops that key from ``admin.keys``, and it expires after ``SESSION_TTL`` seconds.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence

from cc_relay.observability.redact import fingerprint

#: The cookie's name.
COOKIE = "cc_relay_session"
#: Seconds a session lasts (12 hours).
SESSION_TTL = 12 * 3600.0
#: Open sessions kept at most; the oldest goes first.
MAX_SESSIONS = 256


class Sessions:
    """Open sessions: token -> (fingerprint of the admin key, expiry)."""

    def __init__(
        self, *, ttl: float = SESSION_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._open: dict[str, tuple[str, float]] = {}

    def open(self, key: str) -> str:
        """A new session for an admin key the caller checked; its token."""
        now = self._clock()
        self._open = {t: s for t, s in self._open.items() if s[1] > now}
        while len(self._open) >= MAX_SESSIONS:
            del self._open[next(iter(self._open))]
        token = secrets.token_urlsafe(32)
        self._open[token] = (fingerprint(key), now + self._ttl)
        return token

    def who(self, token: str | None, keys: Sequence[str]) -> str | None:
        """The fingerprint of the key behind a live session, or None."""
        if not token:
            return None
        entry = self._open.get(token)
        if entry is None:
            return None
        owner, expires = entry
        if expires <= self._clock() or owner not in {fingerprint(k) for k in keys}:
            self._open.pop(token, None)
            return None
        return owner

    def close(self, token: str | None) -> None:
        if token:
            self._open.pop(token, None)

    @property
    def ttl(self) -> float:
        return self._ttl
