"""The Vertex AI emulator: Claude behind `rawPredict`, `streamRawPredict` and count-tokens.

    POST /v1/projects/{p}/locations/{l}/publishers/anthropic/models/{model}:rawPredict
    POST /v1/projects/{p}/locations/{l}/publishers/anthropic/models/{model}:streamRawPredict
    POST /v1/projects/{p}/locations/{l}/publishers/anthropic/models/count-tokens:rawPredict

Every call must carry `Authorization: Bearer T` for a token the shared `GoogleTokenServer`
minted and that has not expired. Bodies are checked as Vertex checks them:
`anthropic_version: "vertex-2023-10-16"`, no `model` (except for count-tokens, which needs
it), and `stream` agreeing with the method. Answers are Anthropic's messages and SSE, named
with Anthropic's model id (`claude-sonnet-4-5@20250929` answers as
`claude-sonnet-4-5-20250929`); Google's own failures come in Google's error envelope,
and scripted `Fail`s without a body too. `google_error` builds one, list-shaped if asked.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

import orjson
from aiohttp import web

from tests.emulators._behaviours import DEFAULT_ERROR_TYPES, Fail
from tests.emulators._dialect import AnthropicDialect
from tests.emulators._google_oauth import GoogleTokenServer
from tests.emulators._recorded import RecordedRequest
from tests.emulators._server import EmulatorBase

__all__ = ["VERTEX_VERSION", "VertexDialect", "VertexEmulator", "google_error"]

VERTEX_VERSION: Final = "vertex-2023-10-16"
_MODELS_PATH: Final = "/v1/projects/{project}/locations/{location}/publishers/anthropic/models/"
_METHODS: Final = ("rawPredict", "streamRawPredict")

GOOGLE_STATUSES: Final = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
GOOGLE_MESSAGES: Final = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
    403: "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).",
    429: "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model "
    "with base model: anthropic-claude. Please submit a quota increase request.",
    503: "The service is currently unavailable.",
}


def google_error(status: int, message: str | None = None, *, as_list: bool = False) -> bytes:
    """A Google API error body; `as_list` wraps it in a one-element list, as some do."""
    error = {
        "error": {
            "code": status,
            "message": message or GOOGLE_MESSAGES.get(status, "Internal error encountered."),
            "status": GOOGLE_STATUSES.get(status, "UNKNOWN"),
        }
    }
    return orjson.dumps([error] if as_list else error)


class VertexDialect(AnthropicDialect):
    """Anthropic's bytes without Anthropic's edge: no rate-limit headers, Google errors."""

    def headers(self, *, status: int, request_id: str) -> dict[str, str]:
        return {
            "server": "scaffolding on HTTPServer2",
            "vary": "Origin, X-Origin, Referer",
            "x-vertex-ai-request-id": request_id,
        }

    def error_body(self, fail: Fail, request_id: str) -> bytes:
        if fail.body is not None:
            return fail.body
        message = fail.message
        if message == DEFAULT_ERROR_TYPES.get(fail.status, ("", ""))[1]:
            message = None  # an unscripted message: use Google's wording
        return google_error(fail.status, message)


def anthropic_model(vertex_model: str) -> str:
    """How Vertex names a model in answers: Anthropic's id (`@` becomes `-`)."""
    return vertex_model.replace("@", "-")


class VertexEmulator(EmulatorBase):
    """Fake `{region}-aiplatform.googleapis.com` for one project and location.

    Args:
        tokens: the token server whose tokens are accepted; None accepts any request.
        project: the only project served.
        location: the only location served (`global` included).
        Others as `EmulatorBase` (`models`: Vertex model ids served; empty means any).
    """

    dialect: ClassVar[AnthropicDialect] = VertexDialect()
    default_models: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        tokens: GoogleTokenServer | None = None,
        project: str = "proj-1",
        location: str = "us-east5",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.tokens = tokens
        self.project = project
        self.location = location

    @property
    def predict_requests(self) -> list[RecordedRequest]:
        """The rawPredict and streamRawPredict calls (count-tokens excluded)."""
        return [
            r
            for r in self.requests
            if r.path.endswith(_METHODS) and "/models/count-tokens:" not in r.path
        ]

    @property
    def count_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/models/count-tokens:rawPredict")]

    def path_for(self, model: str, method: str = "rawPredict") -> str:
        """The request path Vertex expects for `model` and `method`."""
        base = _MODELS_PATH.format(project=self.project, location=self.location)
        return f"{base}{model}:{method}"

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(_MODELS_PATH + "{action}", self._predict)

    def _authorized(self, recorded: RecordedRequest) -> bool:
        if self.tokens is None:
            return True
        auth = recorded.headers.get("authorization", "")
        return auth.startswith("Bearer ") and self.tokens.is_valid(auth[7:])

    async def _predict(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        model, _, method = info["action"].rpartition(":")
        if (info["project"], info["location"]) != (
            self.project,
            self.location,
        ) or method not in _METHODS:
            return await self._google(404, f"Resource {request.path} was not found.")
        body = self.recorded(request).json
        if not isinstance(body, dict):
            return await self._google(400, "Invalid JSON payload received.")
        if body.get("anthropic_version") != VERTEX_VERSION:
            return await self._anthropic(
                400, f"anthropic_version: Input should be '{VERTEX_VERSION}'"
            )
        if model == "count-tokens":
            return await self._count(request, body, method)
        if "model" in body:
            return await self._anthropic(400, "model: Extra inputs are not permitted")
        if self.models and model not in self.models:
            return await self._google(
                404,
                f"Publisher Model `projects/{self.project}/locations/"
                f"{self.location}/publishers/anthropic/models/{model}`"
                " was not found or your project does not have access "
                "to it.",
            )
        stream = body.get("stream") is True
        if stream != (method == "streamRawPredict"):
            return await self._anthropic(400, f"stream={stream} does not match {method}")
        behaviour = self._next_behaviour(self.recorded(request))
        return await self._responder.dispatch(
            request, behaviour, stream=stream, model=anthropic_model(model)
        )

    async def _count(
        self, request: web.Request, body: dict[str, Any], method: str
    ) -> web.StreamResponse:
        model = body.get("model")
        if method != "rawPredict" or not isinstance(model, str):
            return await self._anthropic(400, "model: Field required")
        if self.models and model not in self.models:
            return await self._anthropic(404, f"model: {model}", "not_found_error")
        return await self.answer_count(request, max(1, len(self.recorded(request).body) // 4))

    async def _google(self, status: int, message: str) -> web.StreamResponse:
        return await self._responder.fail(Fail(status, body=google_error(status, message)))

    async def _anthropic(
        self, status: int, message: str, error_type: str = "invalid_request_error"
    ) -> web.StreamResponse:
        body = orjson.dumps({"type": "error", "error": {"type": error_type, "message": message}})
        return await self._responder.fail(Fail(status, body=body))
