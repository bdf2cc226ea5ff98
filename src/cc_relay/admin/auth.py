"""Who may call the admin service, on either transport, and what the log calls them.

``admin.keys`` (never the client keys of ``server.auth``) travel as
``Authorization: Bearer`` (HTTP header or gRPC metadata); over HTTP, the session cookie
the web dashboard's sign-in set (``admin.sessions``) counts as the key that opened it.
With none configured, only loopback clients are answered (and there is no sign-in).
The caller is named in the log by the fingerprint of its key, or as ``loopback``;
never by the key.

Wrong keys are counted per peer address (:class:`Lockout`): past a few in a minute, that
address is refused for the rest of the minute, whatever it sends, so guessing a key
from one machine goes at a handful of tries a minute.

The browser rule for the JSON twin lives here too, in one function: a request a web
page on another site made (``Sec-Fetch-Site: cross-site``, or an ``Origin`` that is not
this relay) is refused, so a page the user visits cannot drive the relay.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from cc_relay.admin.codes import PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAUTHENTICATED
from cc_relay.admin.sessions import Sessions
from cc_relay.errors import AdminError
from cc_relay.observability.redact import fingerprint
from cc_relay.peers import is_loopback, is_one_of

log = logging.getLogger("cc_relay.admin")

_BEARER = "bearer "

#: Wrong keys an address may send within ``LOCKOUT_WINDOW`` seconds before it is refused.
LOCKOUT_TRIES = 5
LOCKOUT_WINDOW = 60.0
#: Addresses tracked at most; past it the oldest windows are forgotten first.
_LOCKOUT_ADDRESSES = 4096


class Lockout:
    """Wrong admin keys per peer address, in fixed windows (see the module docstring).

    One per relay, shared by the gRPC service, the JSON twin and the dashboard's
    sign-in, so switching transport does not earn more tries.
    """

    def __init__(
        self,
        *,
        tries: int = LOCKOUT_TRIES,
        window: float = LOCKOUT_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tries = tries
        self._window = window
        self._clock = clock
        self._failed: dict[str, tuple[float, int]] = {}
        """Address -> (start of its window, wrong keys in it), oldest window first."""

    def check(self, remote: str | None) -> None:
        """Raise AdminError (resource_exhausted) while ``remote`` is locked out."""
        entry = self._failed.get(remote or "")
        if entry is None:
            return
        start, count = entry
        left = start + self._window - self._clock()
        if left <= 0:
            del self._failed[remote or ""]
        elif count >= self._tries:
            raise AdminError(
                RESOURCE_EXHAUSTED,
                f"admin: {count} wrong keys from this address within {self._window:g} s; "
                f"try again in {math.ceil(left)} s",
            )

    def failed(self, remote: str | None) -> None:
        """Count one wrong key from ``remote``."""
        address = remote or ""
        now = self._clock()
        start, count = self._failed.pop(address, (now, 0))
        if now - start >= self._window:
            start, count = now, 0
        if len(self._failed) >= _LOCKOUT_ADDRESSES:
            del self._failed[next(iter(self._failed))]
        self._failed[address] = (start, count + 1)

    def verify(self, key: str, keys: Sequence[str], remote: str | None) -> bool:
        """``key`` is one of ``keys``; a wrong one is counted against ``remote``.
        Raises AdminError while ``remote`` is locked out, before comparing anything."""
        self.check(remote)
        if is_one_of(key, [k.encode() for k in keys]):
            return True
        self.failed(remote)
        return False


def authorize(
    keys: Sequence[str],
    authorization: str | None,
    remote: str | None,
    *,
    lockout: Lockout,
    sessions: Sessions | None = None,
    cookie: str | None = None,
) -> str:
    """The caller's name for the log; raises AdminError when it may not call.

    Args:
        keys: the admin keys in force.
        authorization: the ``Authorization`` header or metadata value.
        remote: the peer's address.
        lockout: the relay's count of wrong keys per address.
        sessions: the dashboard's sessions (HTTP only).
        cookie: the session cookie's value, checked against ``sessions``.
    """
    token = (
        authorization[len(_BEARER) :].strip()
        if authorization and authorization[: len(_BEARER)].lower() == _BEARER
        else None
    )
    if keys:
        if not token and sessions is not None:
            signed_in = sessions.who(cookie, keys)
            if signed_in is not None:
                return f"session of key {signed_in}"
        if not token:
            raise AdminError(
                UNAUTHENTICATED,
                "admin: send one of the relay's admin.keys as Authorization: Bearer KEY "
                "(or sign in to the web dashboard at /ui/)",
            )
        if not lockout.verify(token, keys, remote):
            raise AdminError(
                UNAUTHENTICATED,
                f"admin: the bearer token (fingerprint {fingerprint(token)}) is not one of "
                "the relay's admin.keys",
            )
        return f"key {fingerprint(token)}"
    if not is_loopback(remote):
        raise AdminError(
            PERMISSION_DENIED,
            "admin: this relay has no admin.keys, so its admin service answers only "
            "clients on this machine; add admin.keys to allow remote callers",
        )
    return "loopback"


def refuse_cross_site(origin: str | None, fetch_site: str | None, host: str | None) -> None:
    """Refuse a browser request that another site's page made."""
    if fetch_site == "cross-site":
        raise AdminError(PERMISSION_DENIED, "admin: cross-site requests are refused")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc != host):
        raise AdminError(
            PERMISSION_DENIED, f"admin: requests from the origin {origin!r} are refused"
        )


def audit(method: str, who: str, transport: str) -> None:
    log.info("admin call %s by %s (%s)", method, who, transport)
