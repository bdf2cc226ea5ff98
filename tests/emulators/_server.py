"""The emulator server every provider shares: lifecycle, queues, recording and auth.

A subclass picks a dialect and adds its own routes (models, count_tokens, tags); everything
a test touches (`base_url`, `enqueue`, `requests`, `disconnected`) lives here so all
emulators are driven the same way.

Handlers are cancelled when a client goes away (`handler_cancellation=True`): a relay that
abandons a stalled stream must be observable through `disconnected`, and without
cancellation a sleeping handler would never notice.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import ClassVar, Final, Self

from aiohttp import web
from aiohttp.typedefs import Middleware

from tests.emulators._behaviours import Behaviour, Drop, Fail, Reply
from tests.emulators._blocks import ThinkingBlock, text
from tests.emulators._dialect import AnthropicDialect
from tests.emulators._recorded import RecordedRequest, record
from tests.emulators._responder import DELIBERATE_ABORT, Responder
from tests.emulators._signatures import signature_problem

__all__ = ["DEFAULT_SHUTDOWN_TIMEOUT", "EmulatorBase", "Handler"]

DEFAULT_SHUTDOWN_TIMEOUT: Final = 0.5
"""Seconds `close` lets in-flight handlers finish before cancelling them."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_RECORD: Final = web.RequestKey("emulator_record", RecordedRequest)
_MESSAGES_PATH: Final = "/v1/messages"


class EmulatorBase:
    """A scriptable fake provider on 127.0.0.1, port chosen by the OS.

    Args:
        require_key: when set, every API request must carry `x-api-key: KEY` or
            `Authorization: Bearer KEY`; others get 401 `authentication_error`.
        models: model ids the listing endpoints report (dialect-specific default).
        default_reply: what POST /v1/messages answers once the queue is empty.
        shutdown_timeout: seconds `close` waits for in-flight responses.
        verify_signatures: refuse thinking blocks this emulator did not sign, as the real
            API refuses signatures from another backend.
        script: when the queue is empty, called with each request to choose the answer
            (None falls back to `default_reply`); for clients that send many requests.
    """

    dialect: ClassVar[AnthropicDialect] = AnthropicDialect()
    default_models: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        require_key: str | None = None,
        models: Sequence[str] | None = None,
        default_reply: Reply | None = None,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        verify_signatures: bool = False,
        script: Callable[[RecordedRequest], Behaviour | None] | None = None,
    ) -> None:
        self.verify_signatures = verify_signatures
        self.script = script
        self.issued_signatures: set[str] = set()
        self.require_key = require_key
        self.models: tuple[str, ...] = tuple(models) if models is not None else self.default_models
        self.default_reply = default_reply if default_reply is not None else Reply(text("pong"))
        self.requests: list[RecordedRequest] = []
        """Every API request in arrival order (root probes excluded)."""
        self.disconnected = asyncio.Event()
        """Set when a client went away mid-response."""
        self.disconnects = 0
        """How many responses a client abandoned."""
        self._queue: deque[Behaviour] = deque()
        self._count_queue: deque[Fail | Drop | int] = deque()
        self._models_queue: deque[Fail | Drop] = deque()
        self._responder = Responder(self.dialect, self._note_disconnect)
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False

    # lifecycle -----------------------------------------------------------------------------

    async def start(self) -> Self:
        """Bind 127.0.0.1:0 and serve. An emulator starts once."""
        if self._runner is not None or self._closing:
            raise RuntimeError("emulators: an emulator can only be started once")
        runner = web.AppRunner(
            self._build_app(),
            handler_cancellation=True,
            shutdown_timeout=self._shutdown_timeout,
            access_log=None,
        )
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._port = runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Stop listening, give in-flight responses a moment, then cancel them. Idempotent."""
        if self._closing:
            return
        self._closing = True
        if self._runner is not None:
            await self._runner.cleanup()

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
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("emulators: not started")
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, with no trailing slash and no `/v1`."""
        return f"http://127.0.0.1:{self.port}"

    # scripting -----------------------------------------------------------------------------

    def enqueue(self, *behaviours: Behaviour) -> None:
        """Queue answers for POST /v1/messages, consumed one per request, FIFO."""
        self._queue.extend(behaviours)

    def enqueue_count(self, *behaviours: Fail | Drop | int) -> None:
        """Queue answers for count_tokens: a failure, or an exact `input_tokens` count."""
        self._count_queue.extend(behaviours)

    def enqueue_models(self, *behaviours: Fail | Drop) -> None:
        """Queue failures for the model listing endpoints."""
        self._models_queue.extend(behaviours)

    @property
    def pending(self) -> int:
        """Queued POST /v1/messages behaviours not yet consumed."""
        return len(self._queue)

    @property
    def messages_requests(self) -> list[RecordedRequest]:
        """Only the POST /v1/messages requests."""
        return [r for r in self.requests if r.method == "POST" and r.path == _MESSAGES_PATH]

    # serving -------------------------------------------------------------------------------

    root_body: ClassVar[bytes] = b""

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Subclasses register their dialect's extra endpoints here."""

    async def not_found(self, request: web.Request) -> web.StreamResponse:
        return await self._responder.fail(Fail(404, "not_found_error", "Not Found"))

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware()], client_max_size=64 * 1024**2)
        app.router.add_route("HEAD", "/", self._root)
        app.router.add_get("/", self._root, allow_head=False)
        app.router.add_post(_MESSAGES_PATH, self._messages)
        self.add_routes(app.router)
        app.router.add_route("*", "/{tail:.*}", self.not_found)
        return app

    def _middleware(self) -> Middleware:
        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.path == "/":
                return await handler(request)
            recorded = await record(request)
            self.requests.append(recorded)
            request[_RECORD] = recorded
            try:
                if not self._authorized(recorded):
                    return await self._responder.fail(Fail(401))
                return await handler(request)
            except asyncio.CancelledError:
                if not self._closing and not request.get(DELIBERATE_ABORT, False):
                    self._note_disconnect()
                raise

        return middleware

    def _authorized(self, recorded: RecordedRequest) -> bool:
        if self.require_key is None:
            return True
        if recorded.headers.get("x-api-key") == self.require_key:
            return True
        return recorded.headers.get("authorization") == f"Bearer {self.require_key}"

    def _note_disconnect(self) -> None:
        self.disconnects += 1
        self.disconnected.set()

    async def _root(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=200, body=self.root_body)

    @staticmethod
    def recorded(request: web.Request) -> RecordedRequest:
        """The record the middleware took of `request`."""
        return request[_RECORD]

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        body = self.recorded(request).json
        if not isinstance(body, dict):
            fail = Fail(400, "invalid_request_error", "Request body must be a JSON object")
            return await self._responder.fail(fail)
        if self.verify_signatures:
            problem = signature_problem(body, self.issued_signatures)
            if problem is not None:
                return await self._responder.fail(Fail(400, "invalid_request_error", problem))
        behaviour = self._next_behaviour(self.recorded(request))
        if isinstance(behaviour, Reply):
            self.issued_signatures.update(
                b.signature for b in behaviour.blocks if isinstance(b, ThinkingBlock)
            )
        model = body.get("model")
        return await self._responder.dispatch(
            request,
            behaviour,
            stream=body.get("stream") is True,
            model=model if isinstance(model, str) else "unknown",
        )

    def _next_behaviour(self, recorded: RecordedRequest) -> Behaviour:
        if self._queue:
            return self._queue.popleft()
        scripted = self.script(recorded) if self.script is not None else None
        return scripted if scripted is not None else self.default_reply

    async def answer_count(self, request: web.Request, input_tokens: int) -> web.StreamResponse:
        """Serve count_tokens, unless a queued failure says otherwise."""
        queued = self._count_queue.popleft() if self._count_queue else input_tokens
        if isinstance(queued, int):
            return self.json_response({"input_tokens": queued})
        return await self._responder.dispatch(request, queued, stream=False, model="")

    async def answer_models(
        self, request: web.Request, build: Callable[[], web.StreamResponse]
    ) -> web.StreamResponse:
        """Serve a models endpoint, unless a queued failure says otherwise."""
        if self._models_queue:
            queued = self._models_queue.popleft()
            return await self._responder.dispatch(request, queued, stream=False, model="")
        return build()

    def json_response(
        self, obj: object, *, status: int = 200, content_type: str | None = None
    ) -> web.Response:
        """A JSON response with the dialect's encoding and usual headers."""
        headers = self.dialect.headers(status=status, request_id=self.dialect.request_id())
        headers["content-type"] = content_type or self.dialect.json_content_type
        return web.Response(status=status, body=self.dialect.encode_body(obj), headers=headers)
