"""Who may call the admin service, on either transport, and what the log calls them.

``admin.keys`` (never the client keys of ``server.auth``) travel as
``Authorization: Bearer`` (HTTP header or gRPC metadata); over HTTP, the session cookie
the web dashboard's sign-in set (``admin.sessions``) counts as the key that opened it.
With none configured, only loopback clients are answered (and there is no sign-in).
The caller is named in the log by the fingerprint of its key, or as ``loopback``;
never by the key.

The browser rule for the JSON twin lives here too, in one function: a request a web
page on another site made (``Sec-Fetch-Site: cross-site``, or an ``Origin`` that is not
this relay) is refused, so a page the user visits cannot drive the relay.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from cc_relay.admin.codes import PERMISSION_DENIED, UNAUTHENTICATED
from cc_relay.admin.sessions import Sessions
from cc_relay.errors import AdminError
from cc_relay.observability.redact import fingerprint
from cc_relay.peers import is_loopback, is_one_of

log = logging.getLogger("cc_relay.admin")

_BEARER = "bearer "


def authorize(
    keys: Sequence[str],
    authorization: str | None,
    remote: str | None,
    *,
    sessions: Sessions | None = None,
    cookie: str | None = None,
) -> str:
    """The caller's name for the log; raises AdminError when it may not call.

    Args:
        keys: the admin keys in force.
        authorization: the ``Authorization`` header or metadata value.
        remote: the peer's address.
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
        if not is_one_of(token, [k.encode() for k in keys]):
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
