"""Google OAuth access tokens for Vertex AI, through google-auth.

google-auth is synchronous (it uses ``requests``), so loading credentials and refreshing
them run in a worker thread; the TokenCache in front of this decides when. Credentials
come from a service-account JSON file when one is configured, else from Application
Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud's user login, workload
identity federation, or the metadata server on Google Cloud). google-auth, requests and
cryptography take about half a second to import, so they load with the credentials, in
the worker thread, and never for a relay without a Vertex provider.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC
from typing import TYPE_CHECKING, Any

from cc_relay.errors import ProviderSetupError, TokenError
from cc_relay.providers._credentials import Token, reason

if TYPE_CHECKING:
    import requests

#: The one scope Vertex AI needs.
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
#: Assumed lifetime when a credential does not say when its token expires.
_DEFAULT_LIFETIME = 3600.0


class GoogleCredentials:
    """Loads google-auth credentials once and mints access tokens from them.

    Args:
        credentials_file: a service-account JSON key; None means ADC.
        name: the provider, for error messages.
    """

    def __init__(self, credentials_file: str | None, *, name: str) -> None:
        self._file = credentials_file
        self._name = name
        self._credentials: Any = None
        self._http: requests.Session | None = None
        self.quota_project: str | None = None
        """Project billed for quota (user credentials from ADC may name one)."""

    def load(self) -> None:
        """Read the credentials (blocking: imports, file I/O, maybe a metadata probe)."""
        import google.auth
        import google.auth.exceptions
        import requests
        from google.oauth2 import service_account

        try:
            if self._file:
                from_file: Any = service_account.Credentials.from_service_account_file
                credentials: Any = from_file(self._file, scopes=[CLOUD_PLATFORM_SCOPE])
            else:
                credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        except (OSError, ValueError, google.auth.exceptions.GoogleAuthError) as exc:
            source = (
                f"credentials_file {self._file!r}"
                if self._file
                else "Application Default Credentials"
            )
            raise ProviderSetupError(
                f"provider {self._name!r}: cannot load Google "
                f"credentials from {source}: {reason(exc)}"
            ) from None
        self._credentials = credentials
        quota = getattr(credentials, "quota_project_id", None)
        self.quota_project = quota if isinstance(quota, str) and quota else None
        self._http = requests.Session()

    async def fetch(self) -> Token:
        """A fresh access token (the refresh runs in a worker thread)."""
        return await asyncio.to_thread(self._refresh)

    def _refresh(self) -> Token:
        credentials, http = self._credentials, self._http
        if credentials is None or http is None:
            raise TokenError(f"provider {self._name!r}: Google credentials are not loaded")
        import google.auth.exceptions
        import requests
        from google.auth.transport.requests import Request

        try:
            credentials.refresh(Request(session=http))
        except (google.auth.exceptions.GoogleAuthError, requests.RequestException) as exc:
            raise TokenError(
                f"provider {self._name!r}: Google token request failed: {reason(exc)}"
            ) from None
        expiry = credentials.expiry  # naive UTC, by google-auth's convention
        expires_at = (
            expiry.replace(tzinfo=UTC).timestamp()
            if expiry is not None
            else time.time() + _DEFAULT_LIFETIME
        )
        return Token(value=credentials.token, expires_at=expires_at)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
