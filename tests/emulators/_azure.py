"""The Azure AI Foundry emulator: Claude at `/anthropic/v1/messages`, plus a managed identity.

    POST /anthropic/v1/messages      Anthropic's Messages API; `model` is a deployment name
    GET  /msi/token                  App Service managed identity (what azure-identity's
                                     DefaultAzureCredential calls when IDENTITY_ENDPOINT and
                                     IDENTITY_HEADER are set), minting Entra-style tokens

`base_url` includes `/anthropic`, as a Foundry endpoint does. A request is let in with
`x-api-key` (or the legacy `api-key`) equal to `require_key`, or with a Bearer token this
emulator minted (or one a test accepted with `accept_token`) that has not expired; others
get Azure's 401 envelope. An unknown deployment gets Azure's `DeploymentNotFound`; the
model's own errors are Anthropic's. There are no rate-limit headers and no count_tokens.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

import orjson
from aiohttp import web

from tests.emulators._behaviours import DEFAULT_ERROR_TYPES, Fail
from tests.emulators._dialect import AnthropicDialect
from tests.emulators._recorded import RecordedRequest
from tests.emulators._server import EmulatorBase

__all__ = ["ENTRA_RESOURCE", "AzureDialect", "AzureEmulator", "EntraToken", "azure_error"]

ENTRA_RESOURCE: Final = "https://ai.azure.com"
"""The resource azure-identity asks a managed identity for, from scope `.../.default`."""
IDENTITY_PATH: Final = "/msi/token"
_PREFIX: Final = "/anthropic"
_MESSAGES: Final = f"{_PREFIX}/v1/messages"
_DENIED: Final = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make "
    "sure to provide a valid key for an active subscription and use a correct "
    "regional API endpoint for your resource."
)


def azure_error(code: str, message: str) -> bytes:
    """Azure's own error envelope (its gateway's, not the model's)."""
    return orjson.dumps({"error": {"code": code, "message": message}})


@dataclass(frozen=True, slots=True)
class EntraToken:
    value: str = field(repr=False)
    expires_at: float


class AzureDialect(AnthropicDialect):
    """Anthropic's bytes with Azure's headers; Azure's envelope for its own 401."""

    def headers(self, *, status: int, request_id: str) -> dict[str, str]:
        return {
            "request-id": request_id,
            "apim-request-id": secrets.token_hex(16),
            "x-ms-region": "East US 2",
            "x-content-type-options": "nosniff",
        }

    def error_body(self, fail: Fail, request_id: str) -> bytes:
        if fail.body is None and fail.status == 401 and fail.message == DEFAULT_ERROR_TYPES[401][1]:
            return azure_error("401", _DENIED)
        return super().error_body(fail, request_id)


class AzureEmulator(EmulatorBase):
    """Fake `{resource}.services.ai.azure.com`.

    Args:
        deployments: deployment names served; empty means any.
        identity_secret: the `X-IDENTITY-HEADER` the managed identity endpoint requires.
        token_lifetime: seconds the minted Entra tokens live.
        Others as `EmulatorBase` (`require_key` is the resource key).
    """

    dialect: ClassVar[AnthropicDialect] = AzureDialect()

    def __init__(
        self,
        *,
        deployments: Sequence[str] = (),
        identity_secret: str = "msi-secret",
        token_lifetime: int = 3600,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.deployments = tuple(deployments)
        self.identity_secret = identity_secret
        self.token_lifetime = token_lifetime
        self.issued: list[EntraToken] = []
        """Tokens the managed identity endpoint minted, in order."""
        self.identity_calls: list[RecordedRequest] = []

    @property
    def base_url(self) -> str:
        """The Foundry endpoint: `http://127.0.0.1:PORT/anthropic`."""
        return f"http://127.0.0.1:{self.port}{_PREFIX}"

    @property
    def identity_endpoint(self) -> str:
        """What to put in `IDENTITY_ENDPOINT` for azure-identity."""
        return f"http://127.0.0.1:{self.port}{IDENTITY_PATH}"

    @property
    def messages_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path == _MESSAGES]

    def accept_token(self, value: str, *, lifetime: float = 3600.0) -> None:
        """Let Bearer `value` in, as if Entra had issued it."""
        self.issued.append(EntraToken(value, time.time() + lifetime))

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(_MESSAGES, self._messages)
        router.add_get(IDENTITY_PATH, self._identity, allow_head=False)

    def _authorized(self, recorded: RecordedRequest) -> bool:
        if recorded.path == IDENTITY_PATH:
            return True  # checked by its own header
        key = recorded.headers.get("x-api-key") or recorded.headers.get("api-key")
        if self.require_key is not None and key == self.require_key:
            return True
        auth = recorded.headers.get("authorization", "")
        now = time.time()
        if auth.startswith("Bearer ") and any(
            t.value == auth[7:] and now < t.expires_at for t in self.issued
        ):
            return True
        return self.require_key is None and not self.issued

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        if not request.path.startswith(_PREFIX):
            return await self.not_found(request)
        recorded = self.recorded(request)
        if "anthropic-version" not in recorded.headers:
            error = self.dialect.error_object(
                "invalid_request_error", "anthropic-version: header is required"
            )
            return await self._responder.fail(Fail(400, body=orjson.dumps(error)))
        model = recorded.json.get("model") if isinstance(recorded.json, dict) else None
        if self.deployments and model not in self.deployments:
            missing = azure_error(
                "DeploymentNotFound",
                "The API deployment for this resource "
                "does not exist. If you created the deployment within the "
                "last 5 minutes, please wait a moment and try again.",
            )
            return await self._responder.fail(Fail(404, body=missing))
        return await super()._messages(request)

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        return await self._responder.fail(Fail(404, body=azure_error("404", "Resource not found")))

    async def _identity(self, request: web.Request) -> web.StreamResponse:
        self.identity_calls.append(self.recorded(request))
        if request.headers.get("X-IDENTITY-HEADER") != self.identity_secret:
            return web.json_response({"statusCode": 401, "message": "Unauthorized"}, status=401)
        resource = request.query.get("resource")
        if request.query.get("api-version") != "2019-08-01" or resource != ENTRA_RESOURCE:
            return web.json_response(
                {"statusCode": 400, "message": f"resource {resource!r}"}, status=400
            )
        token = EntraToken(
            f"eyJ0eXAiOiJKV1Qi.emu-{len(self.issued) + 1}.{secrets.token_urlsafe(24)}",
            time.time() + self.token_lifetime,
        )
        self.issued.append(token)
        return web.json_response(
            {
                "access_token": token.value,
                "expires_on": str(int(token.expires_at)),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": "00000000-0000-0000-0000-00000000c11e",
            }
        )
