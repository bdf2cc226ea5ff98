"""A Google OAuth token endpoint that google-auth really talks to.

Tests write a service-account key file whose `token_uri` points here
(`GoogleTokenServer.write_service_account`). google-auth signs a JWT assertion with the
file's private key and POSTs it as an RFC 7523 jwt-bearer grant; this server checks the
RS256 signature against the matching public key, the key id, issuer, audience (Google's
token endpoint, which google-auth always names), scope and time window, then mints a fresh
opaque access token. `VertexEmulator` accepts exactly the tokens minted here that have not
expired, so a relay that forwards anything else is caught.

    async with GoogleTokenServer(expires_in=3600) as tokens:
        key_file = tokens.write_service_account(tmp_path / "sa.json")
        ...
        assert len(tokens.issued) == 1
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

import orjson
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["CLOUD_PLATFORM_SCOPE", "GOOGLE_TOKEN_AUDIENCE", "GoogleTokenServer", "IssuedToken"]

CLOUD_PLATFORM_SCOPE: Final = "https://www.googleapis.com/auth/cloud-platform"
GOOGLE_TOKEN_AUDIENCE: Final = "https://oauth2.googleapis.com/token"
"""The `aud` google-auth puts in every service-account assertion, whatever `token_uri` is."""
JWT_BEARER_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION_LIFETIME: Final = 3600
CLOCK_SKEW: Final = 300


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """One access token this server minted."""

    value: str = field(repr=False)
    client_email: str
    issued_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class _Key:
    client_email: str
    public_key: rsa.RSAPublicKey


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class GoogleTokenServer:
    """Fake `oauth2.googleapis.com/token` on 127.0.0.1.

    Args:
        expires_in: lifetime in seconds of the tokens it mints (short ones test renewal).
    """

    def __init__(self, *, expires_in: int = 3600) -> None:
        self.expires_in = expires_in
        self.waiting = 0
        """Token requests being held by `pause`."""
        self._resumed = asyncio.Event()
        self._resumed.set()
        self.issued: list[IssuedToken] = []
        """Every token minted, in order."""
        self.rejections: list[str] = []
        """Why assertions were refused, in order."""
        self._keys: dict[str, _Key] = {}
        self._failures: deque[tuple[int, dict[str, str]]] = deque()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # lifecycle -----------------------------------------------------------------------------

    async def start(self) -> Self:
        if self._runner is not None:
            raise RuntimeError("emulators: a token server can only be started once")
        app = web.Application()
        app.router.add_post("/token", self._token)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._port = runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._resumed.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def token_uri(self) -> str:
        if self._port is None:
            raise RuntimeError("emulators: not started")
        return f"http://127.0.0.1:{self._port}/token"

    # scripting -----------------------------------------------------------------------------

    def service_account(
        self, *, project_id: str = "proj-1", client_email: str | None = None
    ) -> dict[str, Any]:
        """A fresh service-account key (a new RSA key pair), registered with this server."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_id = secrets.token_hex(20)
        email = client_email or f"relay-{key_id[:6]}@{project_id}.iam.gserviceaccount.com"
        self._keys[key_id] = _Key(email, key.public_key())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": project_id,
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": email,
            "client_id": str(secrets.randbelow(10**20)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "universe_domain": "googleapis.com",
        }

    def write_service_account(self, path: Path, **kwargs: Any) -> Path:
        """Write `service_account(**kwargs)` as a key file, the way gcloud downloads it."""
        path.write_text(json.dumps(self.service_account(**kwargs), indent=2))
        return path

    def fail_next(
        self,
        status: int = 400,
        error: str = "invalid_grant",
        description: str = "Invalid JWT Signature.",
    ) -> None:
        """Refuse the next token request with an OAuth error body."""
        self._failures.append((status, {"error": error, "error_description": description}))

    def pause(self) -> None:
        """Hold token requests unanswered until `resume` (a slow or stuck endpoint)."""
        self._resumed.clear()

    def resume(self) -> None:
        self._resumed.set()

    def is_valid(self, token: str, *, now: float | None = None) -> bool:
        """Whether `token` was minted here and has not expired."""
        moment = time.time() if now is None else now
        return any(t.value == token and moment < t.expires_at for t in self.issued)

    # serving -------------------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.waiting += 1
        try:
            await self._resumed.wait()
        finally:
            self.waiting -= 1
        if self._failures:
            status, error = self._failures.popleft()
            return web.json_response(error, status=status)
        if form.get("grant_type") != JWT_BEARER_GRANT:
            return self._refuse("unsupported_grant_type", f"grant_type {form.get('grant_type')!r}")
        assertion = form.get("assertion")
        problem, email = self._check(assertion if isinstance(assertion, str) else "")
        if problem is not None:
            self.rejections.append(problem)
            # Google answers every bad signature or unknown key with the same words.
            return web.json_response(
                {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
                status=400,
            )
        now = time.time()
        token = IssuedToken(
            value=f"ya29.emu-{len(self.issued) + 1}-{secrets.token_urlsafe(24)}",
            client_email=email,
            issued_at=now,
            expires_at=now + self.expires_in,
        )
        self.issued.append(token)
        return web.json_response(
            {"access_token": token.value, "expires_in": self.expires_in, "token_type": "Bearer"}
        )

    def _refuse(self, error: str, description: str) -> web.Response:
        self.rejections.append(description)
        return web.json_response({"error": error, "error_description": description}, status=400)

    def _check(self, assertion: str) -> tuple[str | None, str]:
        """(problem, client_email): problem is None for a good assertion."""
        parts = assertion.split(".")
        if len(parts) != 3:
            return "assertion is not a JWT", ""
        try:
            header = orjson.loads(_b64decode(parts[0]))
            claims = orjson.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except (ValueError, orjson.JSONDecodeError):
            return "assertion is not valid base64url JSON", ""
        key = self._keys.get(header.get("kid", ""))
        if header.get("alg") != "RS256" or key is None:
            return f"unknown key {header.get('kid')!r} or algorithm {header.get('alg')!r}", ""
        try:
            key.public_key.verify(
                signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return "Invalid JWT Signature.", ""
        return self._check_claims(claims, key), key.client_email

    def _check_claims(self, claims: dict[str, Any], key: _Key) -> str | None:
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if claims.get("iss") != key.client_email:
            return f"iss {claims.get('iss')!r} is not the key's service account"
        if claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
            return f"aud {claims.get('aud')!r}"
        if CLOUD_PLATFORM_SCOPE not in str(claims.get("scope", "")).split():
            return f"scope {claims.get('scope')!r} lacks cloud-platform"
        if not isinstance(iat, int) or not isinstance(exp, int):
            return "iat and exp must be integers"
        if exp - iat > MAX_ASSERTION_LIFETIME or exp < now - CLOCK_SKEW or iat > now + CLOCK_SKEW:
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe"
        return None
