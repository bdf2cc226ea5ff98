"""Who the relay is to Bedrock: AWS credentials and SigV4, or a Bedrock API key.

One mode per provider, the first that applies:

1. a provider key (``keys``) is a Bedrock API key, sent as ``Authorization: Bearer``
   (keys rotate per request like any provider's);
2. ``aws_access_key_id`` + ``aws_secret_access_key`` (+ ``aws_session_token``): SigV4;
3. ``aws_profile``: that profile of the shared AWS files, through botocore (static keys,
   SSO, assume-role, ``credential_process``...): SigV4;
4. the ``AWS_BEARER_TOKEN_BEDROCK`` environment variable: Bearer, as AWS's SDKs do;
5. botocore's default chain (environment, shared files, SSO, container and instance
   roles): SigV4.

Finding credentials may read files or call the instance metadata service, so it runs in
a thread at `start`. Temporary credentials are refreshed in a thread too: in the
background once they are within `ADVISORY_REFRESH` seconds of expiry, and awaited only
within `MANDATORY_REFRESH` seconds, so requests never wait on a refresh that is not due.
Signing itself is pure CPU (a SHA-256 of the body and five HMACs) and stays inline.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias
from urllib.parse import urlsplit

from cc_relay.config import KeyConfig, ProviderConfig
from cc_relay.errors import UpstreamCredentialError
from cc_relay.headers import AUTHORIZATION
from cc_relay.observability import fingerprint

__all__ = [
    "ADVISORY_REFRESH",
    "BEARER_ENV",
    "BedrockAuth",
    "Found",
    "MANDATORY_REFRESH",
    "SERVICE",
    "host_header",
    "sign",
]

log = logging.getLogger("cc_relay.providers.bedrock")

SERVICE: Final = "bedrock"
"""SigV4 signing name of bedrock-runtime (its service model's ``signingName``)."""
BEARER_ENV: Final = "AWS_BEARER_TOKEN_BEDROCK"
ADVISORY_REFRESH: Final = 15 * 60
MANDATORY_REFRESH: Final = 10 * 60
"""Seconds before expiry; botocore's own defaults."""
RESOLVE_RETRY: Final = 30.0
"""Seconds between new searches for credentials while none were found."""
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

Found: TypeAlias = tuple[Any, "str | None", str]
"""What a credential search found: (botocore credentials or None, a Bearer token or None,
a description of the mode for logs)."""


def host_header(url: str) -> str:
    """The ``Host`` to sign and send: the URL's host, with its port unless default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def sign(
    credentials: Any, *, region: str, url: str, body: bytes, headers: Mapping[str, str]
) -> dict[str, str]:
    """``headers`` plus ``x-amz-date``, ``x-amz-security-token`` (with temporary
    credentials) and the SigV4 ``authorization``, all signed over the URL and body."""
    # botocore is imported where it is used: ~9 MB that a relay without Bedrock never needs.
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped, unused-ignore]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped, unused-ignore]

    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    return {name.lower(): value for name, value in request.headers.items()}


class BedrockAuth:
    """The credentials of one Bedrock provider, and the headers they give a request."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        environ: Mapping[str, str] | None = None,
        resolve: Callable[[], Found] | None = None,
    ) -> None:
        """``environ`` and ``resolve`` (the search, run in a thread) replace the process
        environment and botocore's chain, for tests."""
        if not config.region:
            raise ValueError(f"provider {config.name!r}: Bedrock needs a region")
        self._config = config
        self._region: str = config.region
        self._environ = os.environ if environ is None else environ
        self._resolve = resolve or self._search_config
        self._source: Any = None
        """botocore credentials, possibly refreshable; None in Bearer mode."""
        self._frozen: Any = None
        """The source's last snapshot: what requests are signed with."""
        self._bearer: str | None = None
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None
        self._searched_at = -RESOLVE_RETRY
        self.mode = "none"
        """How requests are authenticated, for logs: ``sigv4 (...)``, ``bearer``..."""

    async def start(self) -> None:
        await self._search()
        if self.mode == "none" and not self._config.keys:
            log.warning(
                "provider %r: no AWS credentials or Bedrock API key found; requests "
                "to it fail until some appear",
                self._config.name,
            )
        else:
            log.info(
                "provider %r authenticates with %s",
                self._config.name,
                "Bedrock API keys" if self._config.keys else self.mode,
            )

    async def close(self) -> None:
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()

    async def headers(
        self, *, url: str, body: bytes, key: KeyConfig | None, base: Mapping[str, str]
    ) -> dict[str, str]:
        """``base`` plus authentication for one request to ``url`` carrying ``body``."""
        if key is not None:
            return {**base, AUTHORIZATION: f"Bearer {key.key}"}
        if self._bearer is None and self._source is None:
            await self._search()
        if self._bearer is not None:
            return {**base, AUTHORIZATION: f"Bearer {self._bearer}"}
        credentials = await self._credentials()
        return sign(credentials, region=self._region, url=url, body=body, headers=base)

    # -- finding credentials -------------------------------------------------------------

    async def _search(self) -> None:
        """Look for credentials (in a thread), at most once per RESOLVE_RETRY."""
        async with self._lock:
            now = time.monotonic()
            if (
                self._source is not None
                or self._bearer is not None
                or (now - self._searched_at < RESOLVE_RETRY)
            ):
                return
            self._searched_at = now
            try:
                source, bearer, mode = await asyncio.to_thread(self._resolve)
                frozen = (
                    await asyncio.to_thread(source.get_frozen_credentials)
                    if source is not None
                    else None
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # botocore raises many kinds; none may kill the relay
                log.warning(
                    "provider %r: looking for AWS credentials failed: %s: %s",
                    self._config.name,
                    type(exc).__name__,
                    exc,
                )
                return
            self._source, self._frozen, self._bearer, self.mode = source, frozen, bearer, mode

    def _search_config(self) -> Found:
        config = self._config
        if config.aws_access_key_id and config.aws_secret_access_key:
            from botocore.credentials import Credentials  # type: ignore[import-untyped, unused-ignore]

            creds = Credentials(
                config.aws_access_key_id, config.aws_secret_access_key, config.aws_session_token
            )
            return creds, None, f"sigv4 (config key {fingerprint(creds.access_key)})"
        if config.aws_profile:
            return self._from_session(config.aws_profile)
        bearer = self._environ.get(BEARER_ENV)
        if bearer:
            return None, bearer, f"bearer token from {BEARER_ENV}"
        return self._from_session(None)

    @staticmethod
    def _from_session(profile: str | None) -> Found:
        # Imported here: a botocore session is heavy and only this thread needs it.
        from botocore.session import Session  # type: ignore[import-untyped, unused-ignore]

        creds = Session(profile=profile).get_credentials()
        if creds is None:
            return None, None, "none"
        where = f"profile {profile!r}" if profile else f"{creds.method} credentials"
        return creds, None, f"sigv4 ({where})"

    # -- keeping them fresh ----------------------------------------------------------------

    async def _credentials(self) -> Any:
        source = self._source
        if source is None:
            raise UpstreamCredentialError(
                f"provider {self._config.name!r} has no AWS credentials and no Bedrock API key"
            )
        from botocore.credentials import (  # type: ignore[import-untyped, unused-ignore]
            RefreshableCredentials,
        )

        if isinstance(source, RefreshableCredentials):
            if source.refresh_needed(MANDATORY_REFRESH):
                await self._refresh_now(source)
            elif source.refresh_needed(ADVISORY_REFRESH):
                self._refresh_soon(source)
        return self._frozen

    async def _refresh_now(self, source: Any) -> None:
        async with self._lock:
            if not source.refresh_needed(MANDATORY_REFRESH) and self._frozen is not None:
                return
            try:
                self._frozen = await asyncio.to_thread(source.get_frozen_credentials)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise UpstreamCredentialError(
                    f"provider {self._config.name!r}: refreshing AWS "
                    f"credentials failed: {type(exc).__name__}"
                ) from None

    def _refresh_soon(self, source: Any) -> None:
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._refresh_quietly(source))

    async def _refresh_quietly(self, source: Any) -> None:
        try:
            self._frozen = await asyncio.to_thread(source.get_frozen_credentials)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "provider %r: refreshing AWS credentials failed (%s); the current ones stay in use",
                self._config.name,
                type(exc).__name__,
            )
