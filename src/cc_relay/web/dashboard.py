"""The dashboard's routes: static files and the sign-in session.

``GET /ui/`` and ``GET /ui/<file>`` answer the files of ``static/`` (read once, in a
thread), every one with a Content-Security-Policy that allows only this origin's own
scripts, styles and connections (no inline code) and no framing. ``POST /ui/session``
with ``{"key": "<admin key>"}`` opens a session (``admin.sessions``) and sets its
cookie; ``DELETE`` closes it; ``GET`` says whether a sign-in is needed and held.

With no ``admin.keys`` there is no sign-in: the page and the API answer loopback
clients only.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

from cc_relay.admin.auth import audit, refuse_cross_site
from cc_relay.admin.codes import (
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    PERMISSION_DENIED,
    UNAUTHENTICATED,
    http_status,
)
from cc_relay.admin.sessions import COOKIE
from cc_relay.errors import AdminError
from cc_relay.headers import HOST, ORIGIN, SEC_FETCH_SITE
from cc_relay.observability.redact import fingerprint
from cc_relay.peers import is_loopback

if TYPE_CHECKING:
    from cc_relay.admin import Admin

UI_PREFIX = "/ui"
SESSION_PATH = "/ui/session"
INDEX = "index.html"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


def _read_static() -> dict[str, bytes]:
    folder = resources.files("cc_relay.web") / "static"
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.is_file() and any(entry.name.endswith(s) for s in _TYPES)
    }


class Dashboard:
    """The routes, on the admin's sessions and keys."""

    def __init__(self, admin: Admin) -> None:
        self._admin = admin
        self._files: dict[str, bytes] | None = None
        self._loading = asyncio.Lock()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(UI_PREFIX, self.redirect)
        app.router.add_get(SESSION_PATH, self.session_state)
        app.router.add_post(SESSION_PATH, self.sign_in)
        app.router.add_delete(SESSION_PATH, self.sign_out)
        app.router.add_get(UI_PREFIX + "/", self.static)
        app.router.add_get(UI_PREFIX + "/{name}", self.static)

    async def _static_files(self) -> dict[str, bytes]:
        if self._files is None:
            async with self._loading:
                if self._files is None:
                    self._files = await asyncio.to_thread(_read_static)
        return self._files

    async def redirect(self, request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(UI_PREFIX + "/")

    async def static(self, request: web.Request) -> web.StreamResponse:
        if not self._admin.keys() and not is_loopback(request.remote):
            return _error(
                AdminError(
                    PERMISSION_DENIED,
                    "ui: this relay has no admin.keys, so its dashboard answers only "
                    "clients on this machine",
                )
            )
        name = request.match_info.get("name") or INDEX
        body = (await self._static_files()).get(name)
        if body is None:
            raise web.HTTPNotFound()
        content_type = next(t for s, t in _TYPES.items() if name.endswith(s))
        return web.Response(
            body=body,
            content_type=content_type,
            charset="utf-8",
            headers=SECURITY_HEADERS,
        )

    async def session_state(self, request: web.Request) -> web.StreamResponse:
        keys = self._admin.keys()
        held = self._admin.sessions.who(request.cookies.get(COOKIE), keys) is not None
        return _json({"signInRequired": bool(keys), "signedIn": held})

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        try:
            _browser_rule(request)
            keys = self._admin.keys()
            if not keys:
                raise AdminError(
                    FAILED_PRECONDITION,
                    "ui: this relay has no admin.keys, so there is nothing to sign in "
                    "with; the dashboard answers loopback clients without one",
                )
            try:
                key = orjson.loads(await request.read()).get("key")
            except (orjson.JSONDecodeError, AttributeError):
                key = None
            if not isinstance(key, str) or not key:
                raise AdminError(INVALID_ARGUMENT, 'ui: send {"key": "<one of admin.keys>"}')
            if not self._admin.lockout.verify(key, keys, request.remote):
                raise AdminError(
                    UNAUTHENTICATED,
                    f"ui: the key (fingerprint {fingerprint(key)}) is not one of admin.keys",
                )
        except AdminError as exc:
            return _error(exc)
        sessions = self._admin.sessions
        token = sessions.open(key)
        audit("SignIn", f"key {fingerprint(key)}", "http")
        response = _json({"signInRequired": True, "signedIn": True})
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(sessions.ttl),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        return response

    async def sign_out(self, request: web.Request) -> web.StreamResponse:
        try:
            _browser_rule(request)
        except AdminError as exc:
            return _error(exc)
        self._admin.sessions.close(request.cookies.get(COOKIE))
        response = _json({"signInRequired": bool(self._admin.keys()), "signedIn": False})
        response.del_cookie(COOKIE, path="/")
        return response


def _browser_rule(request: web.Request) -> None:
    headers = request.headers
    refuse_cross_site(headers.get(ORIGIN), headers.get(SEC_FETCH_SITE), headers.get(HOST))


def _json(document: object) -> web.Response:
    return web.Response(
        body=orjson.dumps(document),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _error(exc: AdminError) -> web.Response:
    body = orjson.dumps({"code": exc.code, "message": exc.message})
    return web.Response(status=http_status(exc), body=body, content_type="application/json")
