"""Entra ID (Azure AD) access tokens for Azure AI Foundry, through azure-identity.

azure-identity is an optional extra (``pip install 'cc-relay[azure]'``) and is imported
only when a provider sets ``entra: true``. Its async ``DefaultAzureCredential`` covers
environment service principals, workload identity, managed identity and developer logins
(Azure CLI, azd, PowerShell); it is built in a worker thread, since building it reads
environment files. ``default_credential`` is looked up at start, so tests can replace it.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol, cast

from cc_relay.errors import ProviderSetupError, TokenError
from cc_relay.providers._credentials import Token, reason

#: The scope Foundry's Anthropic endpoint accepts tokens for.
ENTRA_SCOPE = "https://ai.azure.com/.default"


class AccessTokenLike(Protocol):
    """What ``get_token`` returns (azure-core's ``AccessToken``)."""

    @property
    def token(self) -> str: ...

    @property
    def expires_on(self) -> int: ...


class AsyncTokenCredential(Protocol):
    """azure-core's async credential protocol, restated so azure-core stays optional."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessTokenLike: ...

    async def close(self) -> None: ...


def default_credential() -> AsyncTokenCredential:
    """azure-identity's async DefaultAzureCredential (blocking: imports and reads files)."""
    try:
        from azure.identity.aio import DefaultAzureCredential
    except ImportError:
        raise ProviderSetupError(
            "`entra: true` needs the azure-identity package; install "
            "it with: pip install 'cc-relay[azure]'"
        ) from None
    return cast(AsyncTokenCredential, DefaultAzureCredential())


class EntraTokens:
    """Gets Foundry tokens from an azure-identity credential, which it owns.

    Args:
        name: the provider, for error messages.
    """

    def __init__(self, *, name: str) -> None:
        self._name = name
        self._credential: AsyncTokenCredential | None = None

    async def open(self) -> None:
        """Build the credential; a missing azure-identity is a ProviderSetupError."""
        try:
            self._credential = await asyncio.to_thread(default_credential)
        except ProviderSetupError as exc:
            raise ProviderSetupError(f"provider {self._name!r}: {exc}") from None

    async def fetch(self) -> Token:
        credential = self._credential
        if credential is None:
            raise TokenError(f"provider {self._name!r}: Entra credential is not open")
        try:
            access = await credential.get_token(ENTRA_SCOPE)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise TokenError(
                f"provider {self._name!r}: Entra ID token request failed: {reason(exc)}"
            ) from None
        return Token(value=access.token, expires_at=float(access.expires_on))

    async def close(self) -> None:
        credential, self._credential = self._credential, None
        if credential is not None:
            await credential.close()
