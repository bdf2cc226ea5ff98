"""The Amazon Bedrock emulator: Claude behind InvokeModel, as bedrock-runtime serves it.

Routes: ``POST /model/{modelId}/invoke`` (Anthropic's message JSON),
``/invoke-with-response-stream`` (real AWS event-stream frames, CRCs and all, each
carrying one base64-encoded Anthropic event) and ``/count-tokens``
(``{"input": {"invokeModel": {"body": <base64>}}}`` -> ``{"inputTokens": N}``).

Like AWS it checks every request's SigV4 signature, recomputed with botocore from the
raw request and the known test credentials, or its Bedrock API key (``Bearer``); a bad
one gets 403 with AWS's wording. It also refuses what Bedrock refuses: a body with
``model`` or ``stream``, a missing ``anthropic_version``, betas it does not know, model
ids not in Bedrock form, and CountTokens on an inference profile. Errors are Bedrock's:
``{"message": ...}`` plus ``x-amzn-ErrorType``; ``Reply(error_after_events=...)`` sends
an ``exception`` frame (``throttlingException``...) mid-stream.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import re
import struct
import uuid
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Final, cast

import orjson
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from multidict import CIMultiDict

from tests.emulators._behaviours import Drop, Fail, Reply
from tests.emulators._dialect import AnthropicDialect, Event
from tests.emulators._responder import Responder, merge_headers, play
from tests.emulators._server import EmulatorBase
from tests.emulators._signatures import signature_problem
from tests.emulators._wire import b62

__all__ = [
    "TEST_CREDENTIALS",
    "BedrockEmulator",
    "chunk_frame",
    "encode_frame",
    "exception_frame",
    "sigv4_problem",
]

TEST_CREDENTIALS: Final = Credentials(
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-example"
)
EVENTSTREAM: Final = "application/vnd.amazon.eventstream"
_ERROR_NS: Final = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
KNOWN_BETAS: Final = frozenset(
    {
        "interleaved-thinking-2025-05-14",
        "context-1m-2025-08-07",
        "effort-2025-11-24",
        "fine-grained-tool-streaming-2025-05-14",
        "token-efficient-tools-2025-02-19",
        "computer-use-2025-01-24",
        "context-management-2025-06-27",
        "tool-search-tool-2025-10-19",
    }
)
_BY_STATUS: Final = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    503: "ServiceUnavailableException",
}
_STREAM_NAMES: Final = {
    "rate_limit_error": "throttlingException",
    "overloaded_error": "serviceUnavailableException",
    "invalid_request_error": "validationException",
    "timeout_error": "modelTimeoutException",
}
_PROFILE: Final = re.compile(r"^(us-gov|global|apac|us|eu|jp|au|ca)\.")
_AUTH: Final = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})"
)

# -- the event-stream encoding (AWS's spec; decoded by botocore in the self-tests) ---------


def _header(name: str, value: Any) -> bytes:
    """A header; a (type, value) pair picks the type, else it follows the Python type."""
    kind, value = value if isinstance(value, tuple) else (None, value)
    if kind is None:
        kind = (
            {True: 0, False: 1}[value]
            if isinstance(value, bool)
            else 7
            if isinstance(value, str)
            else 6
            if isinstance(value, bytes)
            else 9
            if isinstance(value, uuid.UUID)
            else 4
        )
    head = bytes([len(name.encode())]) + name.encode() + bytes([kind])
    if kind in (0, 1):
        return head
    if kind in (6, 7):
        raw = value.encode() if isinstance(value, str) else value
        return head + struct.pack(">H", len(raw)) + raw
    if kind == 9:
        return head + cast(uuid.UUID, value).bytes
    size = {2: 1, 3: 2, 4: 4, 5: 8, 8: 8}[kind]
    return head + int(value).to_bytes(size, "big", signed=True)


def encode_frame(headers: Mapping[str, Any], payload: bytes) -> bytes:
    """One event-stream message with both CRC32s."""
    block = b"".join(_header(name, value) for name, value in headers.items())
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + block + payload
    return message + struct.pack(">I", zlib.crc32(message))


def chunk_frame(event: bytes) -> bytes:
    """A ``chunk`` event carrying one Anthropic event's JSON, as Bedrock frames it."""
    payload = orjson.dumps({"bytes": base64.b64encode(event).decode(), "p": b62(9)})
    return encode_frame(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        payload,
    )


def exception_frame(name: str, message: str) -> bytes:
    """A mid-stream error such as ``throttlingException``."""
    return encode_frame(
        {
            ":exception-type": name,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        orjson.dumps({"message": message}),
    )


# -- request signing, checked the way AWS does --------------------------------------------


def _exception_frame(kind: str, message: str) -> bytes:
    """A stream exception frame for an Anthropic error type (or an AWS exception name)."""
    name = _STREAM_NAMES.get(
        kind, kind if kind.endswith("Exception") else "internalServerException"
    )
    return exception_frame(name, message)


def sigv4_problem(
    request: web.Request, body: bytes, credentials: Any, region: str
) -> tuple[str, str] | None:
    """(AWS error name, message) if the request's SigV4 signature is not valid."""
    found = _AUTH.fullmatch(request.headers.get("Authorization", ""))
    if found is None:
        return "MissingAuthenticationTokenException", "Missing Authentication Token"
    token = request.headers.get("X-Amz-Security-Token")
    if found["key"] != credentials.access_key or token != credentials.token:
        return (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    if found["region"] != region or found["service"] != "bedrock":
        return (
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region "
            f"and service, not '{found['region']}/{found['service']}'.",
        )
    signed = found["signed"].split(";")
    amz_date = request.headers.get("X-Amz-Date", "")
    if "host" not in signed or "x-amz-date" not in signed or not amz_date.startswith(found["date"]):
        return "IncompleteSignatureException", "Signature must cover host and x-amz-date."
    moment = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if abs((datetime.now(UTC) - moment).total_seconds()) > 300:
        return "InvalidSignatureException", "Signature expired: the clocks differ by > 5 min."
    headers = {name: request.headers.get(name, "") for name in signed}
    aws = AWSRequest(
        method=request.method,
        url=f"http://{request.host}{request.raw_path}",
        data=body,
        headers=headers,
    )
    aws.context["timestamp"] = amz_date
    signer = SigV4Auth(credentials, "bedrock", region)
    expected = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
    if not hmac.compare_digest(expected, found["signature"]):
        return (
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you "
            "provided. Check your AWS Secret Access Key and signing method. Consult the "
            "service documentation for details.",
        )
    return None


# -- the dialect and its writer -------------------------------------------------------------


class BedrockDialect(AnthropicDialect):
    """Anthropic's events and messages, with Bedrock's ids, headers and errors."""

    sends_ping: ClassVar[bool] = False

    def message_id(self) -> str:
        return "msg_bdrk_01" + b62(22)

    def request_id(self) -> str:
        return str(uuid.uuid4())

    def headers(self, *, status: int, request_id: str) -> dict[str, str]:
        return {"x-amzn-RequestId": request_id}

    def sse_headers(self) -> dict[str, str]:
        return {"content-type": EVENTSTREAM, "x-amzn-bedrock-content-type": "application/json"}

    def error_body(self, fail: Fail, request_id: str) -> bytes:
        return fail.body if fail.body is not None else orjson.dumps({"message": fail.message})

    def stream_events(self, reply: Reply, blocks: list[Any], *, model: str) -> list[Event]:
        events = super().stream_events(reply, blocks, model=model)
        metrics = {
            "inputTokenCount": reply.input_tokens,
            "outputTokenCount": reply.output_tokens,
            "invocationLatency": 812,
            "firstByteLatency": 301,
        }
        stop = {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics}
        return [*events[:-1], ("message_stop", self.encode(stop))]


class BedrockResponder(Responder):
    """Writes streams as event-stream frames; `write_size` splits them across writes."""

    def __init__(
        self, dialect: AnthropicDialect, on_disconnect: Callable[[], None], write_size: int | None
    ) -> None:
        super().__init__(dialect, on_disconnect)
        self._write_size = write_size

    async def stream(self, request: web.Request, reply: Reply, *, model: str) -> web.StreamResponse:
        dialect = self._dialect
        events = dialect.stream_events(reply, dialect.resolve(reply), model=reply.model or model)
        headers = {
            **dialect.headers(status=200, request_id=dialect.request_id()),
            **dialect.sse_headers(),
        }
        response = web.StreamResponse(
            status=200, headers=merge_headers(CIMultiDict(headers), reply.headers)
        )
        await asyncio.sleep(reply.stall_before_headers)
        return await play(
            request,
            response,
            reply,
            [chunk_frame(e[1]) for e in events],
            send=lambda frame: self._send(response, frame),
            error_frame=_exception_frame,
            on_disconnect=self._on_disconnect,
        )

    async def _send(self, response: web.StreamResponse, frame: bytes) -> None:
        """Write a frame, in pieces of ``write_size`` bytes when set."""
        size = self._write_size or len(frame)
        for start in range(0, len(frame), size):
            await response.write(frame[start : start + size])
            if self._write_size:
                await asyncio.sleep(0.001)

    async def fail(self, fail: Fail) -> web.StreamResponse:
        name = fail.error_type or ""
        if not name.endswith("Exception"):
            name = _BY_STATUS.get(fail.status, "InternalServerException")
        name = name[:1].upper() + name[1:]
        headers = {
            "x-amzn-RequestId": str(uuid.uuid4()),
            "content-type": "application/json",
            "x-amzn-ErrorType": name + _ERROR_NS,
        }
        await asyncio.sleep(fail.stall_before_headers)
        body = self._dialect.error_body(fail, "")
        return web.Response(
            status=fail.status, body=body, headers=merge_headers(CIMultiDict(headers), fail.headers)
        )


# -- the emulator ---------------------------------------------------------------------------


def anthropic_name(model_id: str) -> str:
    """The ``model`` Bedrock reports for a model id: Anthropic's own name for it."""
    base = _PROFILE.sub("", model_id).removeprefix("anthropic.")
    return re.sub(r"-v\d+(:\d+)?$", "", base)


def _refusal(message: str) -> Fail:
    return Fail(400, "ValidationException", message)


class BedrockEmulator(EmulatorBase):
    """Fake bedrock-runtime. See `EmulatorBase` for the shared arguments.

    Args:
        region: the region signatures must be scoped to.
        credentials: the AWS credentials whose SigV4 signatures it accepts.
        api_keys: Bedrock API keys it accepts as ``Authorization: Bearer``.
        write_size: write every stream frame in pieces of this many bytes, so the relay
            sees frames split across reads.
    """

    dialect: ClassVar[AnthropicDialect] = BedrockDialect()

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        credentials: Any = TEST_CREDENTIALS,
        api_keys: tuple[str, ...] = (),
        write_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.region = region
        self.credentials = credentials
        self.api_keys = frozenset(api_keys)
        self.auth_failures: list[str] = []
        """AWS error names of refused signatures, in order."""
        self._responder = BedrockResponder(self.dialect, self._note_disconnect, write_size)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post("/model/{model_id}/invoke", self._invoke)
        router.add_post("/model/{model_id}/invoke-with-response-stream", self._invoke)
        router.add_post("/model/{model_id}/count-tokens", self._count_tokens)

    @property
    def invoke_requests(self) -> list[Any]:
        """The InvokeModel requests, streamed or not."""
        return [r for r in self.requests if r.path.startswith("/model/") and "/invoke" in r.path]

    @property
    def count_requests(self) -> list[Any]:
        return [r for r in self.requests if r.path.endswith("/count-tokens")]

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        return await self._responder.fail(Fail(404, "UnknownOperationException", None))

    async def _invoke(self, request: web.Request) -> web.StreamResponse:
        recorded = self.recorded(request)
        model_id = request.match_info["model_id"]
        refused = (
            self._auth(request, recorded.body)
            or _model_problem(model_id)
            or self._body_problem(recorded.json)
        )
        if refused is not None:
            return await self._responder.fail(refused)
        behaviour = self._next_behaviour(recorded)
        if isinstance(behaviour, Reply):
            self.issued_signatures.update(
                getattr(b, "signature", "") for b in behaviour.blocks if hasattr(b, "thinking")
            )
        return await self._responder.dispatch(
            request,
            behaviour,
            stream=request.path.endswith("-stream"),
            model=anthropic_name(model_id),
        )

    async def _count_tokens(self, request: web.Request) -> web.StreamResponse:
        recorded = self.recorded(request)
        model_id = request.match_info["model_id"]
        refused = self._auth(request, recorded.body) or _model_problem(model_id)
        if refused is None and _PROFILE.match(model_id):
            refused = _refusal("The provided model doesn't support counting tokens.")
        inner: Any = None
        try:
            encoded = recorded.json["input"]["invokeModel"]["body"]
            inner = orjson.loads(base64.b64decode(encoded, validate=True))
        except (TypeError, KeyError, ValueError):
            refused = refused or _refusal(
                "Malformed input: expected input.invokeModel.body "
                "holding a base64-encoded InvokeModel body"
            )
        refused = refused or self._body_problem(inner)
        if refused is not None:
            return await self._responder.fail(refused)
        queued: Fail | Drop | int = (
            self._count_queue.popleft()
            if self._count_queue
            else max(1, len(orjson.dumps(inner)) // 4)
        )
        if isinstance(queued, int):
            return self.json_response({"inputTokens": queued})
        return await self._responder.dispatch(request, queued, stream=False, model="")

    def _auth(self, request: web.Request, body: bytes) -> Fail | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            if header[7:] in self.api_keys:
                return None
            problem: tuple[str, str] | None = (
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            )
        else:
            problem = sigv4_problem(request, body, self.credentials, self.region)
        if problem is None:
            return None
        self.auth_failures.append(problem[0])
        return Fail(403, problem[0], problem[1])

    def _body_problem(self, body: Any) -> Fail | None:
        if not isinstance(body, dict):
            return _refusal(
                "Malformed input request: expected type: JSONObject, please "
                "reformat your input and try again."
            )
        for key in ("model", "stream"):
            if key in body:
                return _refusal(
                    f"Malformed input request: #: extraneous key [{key}] is not "
                    "permitted, please reformat your input and try again."
                )
        for key in ("anthropic_version", "max_tokens", "messages"):
            if key not in body:
                return _refusal(
                    f"Malformed input request: #: required key [{key}] not "
                    "found, please reformat your input and try again."
                )
        if body["anthropic_version"] != "bedrock-2023-05-31":
            return _refusal(
                "Malformed input request: #/anthropic_version: "
                f"{body['anthropic_version']} is not a valid enum value"
            )
        betas = body.get("anthropic_beta", [])
        if not isinstance(betas, list) or any(b not in KNOWN_BETAS for b in betas):
            return _refusal("invalid beta flag")
        if self.verify_signatures:
            problem = signature_problem(body, self.issued_signatures)
            if problem is not None:
                return _refusal(problem)
        return None


def _model_problem(model_id: str) -> Fail | None:
    if "anthropic." in model_id or model_id.startswith("arn:"):
        return None
    return _refusal("The provided model identifier is invalid.")
