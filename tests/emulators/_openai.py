"""An OpenAI-compatible chat completions server: `/v1/chat/completions` and `/v1/models`.

Scripted with the same `Reply` as the Anthropic emulator, so one script drives both and
their answers can be compared: thinking blocks become `reasoning_content` deltas, text
blocks `content` deltas, tool_use blocks `tool_calls` whose `arguments` arrive in the
block's `json_chunks`. `Chat(reply, ...)` adds what only this dialect has: parallel
calls interleaved by index, where the usage goes, `[DONE]` or not, keep-alive comments,
CRLF line ends, writes cut at arbitrary byte boundaries. `Fail`, `Drop` and `Raw` work as
everywhere, with OpenAI's error envelope.

Requests are checked the way api.openai.com checks them (unknown parameters, tool
messages that answer no call, calls left unanswered, ids over 40 characters, `tools: []`,
`stream_options` without `stream`), so a translation bug fails as it would in production.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal

from aiohttp import web
from multidict import CIMultiDict

from tests.emulators._behaviours import Behaviour, Fail, Reply
from tests.emulators._blocks import Block, TextBlock, ThinkingBlock, ToolUseBlock
from tests.emulators._dialect import AnthropicDialect
from tests.emulators._recorded import RecordedRequest
from tests.emulators._responder import merge_headers, play
from tests.emulators._server import EmulatorBase
from tests.emulators._wire import b62, compact, split_even, split_words

__all__ = ["Chat", "OpenAIDialect", "OpenAIEmulator", "chat_problem", "finish_reason"]

CHAT_PATH: Final = "/v1/chat/completions"
CREATED: Final = 1_760_000_000
FINISH_REASONS: Final = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    None: None,
}
_ERRORS: Final = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_PARAMS: Final = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stop",
        "stream",
        "stream_options",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning_effort",
        "response_format",
        "user",
        "n",
        "seed",
        "logprobs",
        "top_logprobs",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "metadata",
        "store",
        "service_tier",
        "modalities",
        "audio",
        "prediction",
        "safety_identifier",
        "prompt_cache_key",
        "verbosity",
    }
)
_EFFORTS: Final = frozenset({"none", "minimal", "low", "medium", "high", "xhigh"})
_PARTS: Final = {
    "user": {"text", "image_url", "input_audio", "file"},
    "system": {"text"},
    "developer": {"text"},
    "assistant": {"text", "refusal"},
    "tool": {"text"},
}
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_MESSAGE_FIELDS: Final = frozenset(
    {
        "role",
        "content",
        "name",
        "tool_calls",
        "tool_call_id",
        "refusal",
        "audio",
        "function_call",
        "reasoning_content",
    }
)
ReasoningReplay = Literal["allowed", "required", "refused"]
"""How a server treats `reasoning_content` in assistant messages: vLLM and llama.cpp allow
it, DeepSeek's thinking mode requires it next to tool calls, api.openai.com and Mistral
refuse it."""


def finish_reason(reply: Reply) -> str | None:
    """The `finish_reason` OpenAI reports for an Anthropic stop reason."""
    return FINISH_REASONS.get(reply.stop_reason, "stop")


@dataclass(frozen=True, slots=True)
class Chat:
    """A `Reply` with the knobs only the OpenAI dialect has.

    Args:
        reply: What the model says, and the timing, cut and error knobs.
        interleave_tools: send every call's header first, then argument pieces round-robin.
        reasoning_field: `reasoning_content` (DeepSeek, vLLM) or `reasoning` (OpenRouter).
        usage: `auto` sends a usage-only chunk when the request asked for it; `chunk`
            always, `finish` in the finish chunk, `none` never.
        done: end with `data: [DONE]`.
        finish: override the `finish_reason` (None: derived from `reply.stop_reason`).
        matched_stop: vLLM's `stop_reason`, the stop string that ended the answer.
        keepalive: a `: keep-alive` comment before every chunk.
        crlf: end lines with CRLF.
        split_bytes: write the whole stream in pieces of this many bytes.
        same_index: number every tool call 0 (each still has its own id).
    """

    reply: Reply
    interleave_tools: bool = False
    reasoning_field: str = "reasoning_content"
    usage: Literal["auto", "chunk", "finish", "none"] = "auto"
    done: bool = True
    finish: str | None = None
    matched_stop: str | None = None
    keepalive: bool = False
    crlf: bool = False
    split_bytes: int | None = None
    same_index: bool = False


class OpenAIDialect(AnthropicDialect):
    """api.openai.com's ids, headers and error envelope."""

    sse_content_type: ClassVar[str] = "text/event-stream; charset=utf-8"

    def message_id(self) -> str:
        return "chatcmpl-" + b62(29)

    def tool_use_id(self) -> str:
        return "call_" + b62(24)

    def request_id(self) -> str:
        return "req_" + secrets.token_hex(16)

    def headers(self, *, status: int, request_id: str) -> dict[str, str]:
        return {
            "x-request-id": request_id,
            "openai-version": "2020-10-01",
            "openai-processing-ms": "12",
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": "0" if status == 429 else "9999",
            "x-ratelimit-reset-requests": "6ms",
        }

    def error_body(self, fail: Fail, request_id: str) -> bytes:
        if fail.body is not None:
            return fail.body
        kind, code = _ERRORS.get(
            fail.status, ("server_error" if fail.status >= 500 else "invalid_request_error", None)
        )
        return compact(
            {"error": {"message": fail.message, "type": kind, "param": None, "code": code}}
        )

    def usage(self, reply: Reply, *, output_tokens: int) -> dict[str, Any]:
        prompt = reply.input_tokens + reply.cache_read_input_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": output_tokens,
            "total_tokens": prompt + output_tokens,
            "prompt_tokens_details": {
                "cached_tokens": reply.cache_read_input_tokens,
                "audio_tokens": 0,
            },
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }

    def completion(self, chat: Chat, blocks: list[Block], *, model: str) -> dict[str, Any]:
        """A non-streamed `chat.completion`."""
        reply = chat.reply
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        texts = [b.text for b in blocks if isinstance(b, TextBlock)]
        thoughts = [b.thinking for b in blocks if isinstance(b, ThinkingBlock)]
        calls = [b for b in blocks if isinstance(b, ToolUseBlock)]
        if texts:
            message["content"] = "".join(texts)
        if thoughts:
            message[chat.reasoning_field] = "".join(thoughts)
        if calls:
            message["tool_calls"] = [
                {
                    "id": b.id,
                    "type": "function",
                    "function": {"name": b.name, "arguments": "".join(_pieces(b))},
                }
                for b in calls
            ]
        choice = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": chat.finish or finish_reason(reply),
        }
        if chat.matched_stop is not None:
            choice["stop_reason"] = chat.matched_stop
        return {
            "id": self.message_id(),
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [choice],
            "usage": self.usage(reply, output_tokens=reply.output_tokens),
            "service_tier": "default",
            "system_fingerprint": "fp_emu",
        }

    def chunks(
        self, chat: Chat, blocks: list[Block], *, model: str, include_usage: bool
    ) -> list[dict[str, Any]]:
        """Every `chat.completion.chunk` of a streamed answer, in order."""
        base = {
            "id": self.message_id(),
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "service_tier": "default",
            "system_fingerprint": "fp_emu",
        }
        reply = chat.reply
        usage_mode = chat.usage if chat.usage != "auto" else ("chunk" if include_usage else "none")
        null_usage = {"usage": None} if include_usage else {}

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**base, "choices": [choice], **null_usage}

        out = [chunk({"role": "assistant", "content": "", "refusal": None})]
        out.extend(chunk(d) for d in self._deltas(chat, blocks))
        final = chunk({}, chat.finish or finish_reason(reply))
        if chat.matched_stop is not None:
            final["choices"][0]["stop_reason"] = chat.matched_stop
        usage = self.usage(reply, output_tokens=reply.output_tokens)
        if usage_mode == "finish":
            final["usage"] = usage
        out.append(final)
        if usage_mode == "chunk":
            out.append({**base, "choices": [], "usage": usage})
        return out

    def _deltas(self, chat: Chat, blocks: list[Block]) -> Iterator[dict[str, Any]]:
        calls: list[tuple[int, ToolUseBlock]] = []
        for block in [*blocks, None]:
            if isinstance(block, ToolUseBlock):
                calls.append((0 if chat.same_index else len(calls), block))
                continue
            if calls:  # a run of parallel calls ends here
                yield from _call_deltas(calls, interleave=chat.interleave_tools)
                calls = []
            if isinstance(block, ThinkingBlock):
                for piece in block.chunks or split_words(block.thinking):
                    yield {chat.reasoning_field: piece}
            elif isinstance(block, TextBlock):
                for piece in block.chunks or split_words(block.text):
                    yield {"content": piece}
            elif block is not None:
                raise ValueError("emulators: OpenAI has no redacted_thinking")


def _pieces(block: ToolUseBlock) -> list[str]:
    if block.json_chunks is not None:
        return list(block.json_chunks)
    return split_even(json.dumps(block.input, separators=(",", ":"), ensure_ascii=False))


def _call_deltas(
    calls: list[tuple[int, ToolUseBlock]], *, interleave: bool
) -> Iterator[dict[str, Any]]:
    def head(index: int, block: ToolUseBlock) -> dict[str, Any]:
        return {
            "tool_calls": [
                {
                    "index": index,
                    "id": block.id,
                    "type": "function",
                    "function": {"name": block.name, "arguments": ""},
                }
            ]
        }

    def piece(index: int, text: str) -> dict[str, Any]:
        return {"tool_calls": [{"index": index, "function": {"arguments": text}}]}

    if not interleave:
        for index, block in calls:
            yield head(index, block)
            yield from (piece(index, p) for p in _pieces(block))
        return
    yield from (head(index, block) for index, block in calls)
    queues = [(index, _pieces(block)) for index, block in calls]
    while any(pieces for _, pieces in queues):
        for index, pieces in queues:
            if pieces:
                yield piece(index, pieces.pop(0))


# -- request checks, as api.openai.com makes them -------------------------------------------


def chat_problem(
    body: object, *, rejects_max_tokens: bool = False, reasoning_replay: ReasoningReplay = "allowed"
) -> str | None:
    """Why OpenAI would refuse this chat completions body (None when it would not)."""
    if not isinstance(body, dict):
        return "We could not parse the JSON body of your request."
    unknown = sorted(set(body) - _PARAMS)
    if unknown:
        return f"Unrecognized request argument supplied: {unknown[0]}"
    if not isinstance(body.get("model"), str):
        return "you must provide a model parameter"
    if "max_tokens" in body and "max_completion_tokens" in body:
        return "max_tokens and max_completion_tokens cannot both be set"
    if rejects_max_tokens and "max_tokens" in body:
        return (
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead."
        )
    if "stream_options" in body and body.get("stream") is not True:
        return "The 'stream_options' parameter is only allowed when 'stream' is enabled."
    if body.get("reasoning_effort", "low") not in _EFFORTS:
        return f"Invalid value for 'reasoning_effort': {body['reasoning_effort']!r}"
    return _tools_problem(body) or _messages_problem(body.get("messages"), reasoning_replay)


def _tools_problem(body: dict[str, Any]) -> str | None:
    tools = body.get("tools")
    if tools is None:
        for name in ("tool_choice", "parallel_tool_calls"):
            if name in body:
                return f"Invalid value for '{name}': only allowed when 'tools' are specified."
        return None
    if not isinstance(tools, list) or not tools:
        return "[] is too short - 'tools'"
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict):
            return f"Missing required parameter: 'tools[{i}].function'."
        if not isinstance(function.get("name"), str) or not _NAME.fullmatch(function["name"]):
            return f"Invalid 'tools[{i}].function.name': string does not match pattern."
        if not isinstance(function.get("parameters", {}), dict):
            return f"Invalid type for 'tools[{i}].function.parameters': expected an object."
    return None


def _messages_problem(messages: object, replay: ReasoningReplay) -> str | None:
    if not isinstance(messages, list) or not messages:
        return "[] is too short - 'messages'"
    unanswered: list[str] = []
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _PARTS:
            return f"Invalid value for 'messages[{i}].role'."
        assert isinstance(message, dict)
        extra = sorted(set(message) - _MESSAGE_FIELDS) or (
            ["reasoning_content"] if replay == "refused" and "reasoning_content" in message else []
        )
        if extra:
            return f"messages.{i}.{role}.{extra[0]}: Extra inputs are not permitted"
        if (
            replay == "required"
            and message.get("tool_calls")
            and "reasoning_content" not in message
        ):
            return (
                f"Missing `reasoning_content` field in the assistant message at message index {i}."
            )
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in unanswered:
                return (
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'."
                )
            unanswered.remove(call_id)
        elif unanswered:
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not "
                f"have response messages: {', '.join(unanswered)}"
            )
        problem = _content_problem(message, role, f"messages[{i}]")
        if problem:
            return problem
        if role == "assistant":
            calls = message.get("tool_calls") or []
            if not calls and message.get("content") in (None, "", []):
                return f"Invalid 'messages[{i}]': assistant messages need content or tool_calls."
            for j, call in enumerate(calls):
                call_id = call.get("id") if isinstance(call, dict) else None
                if not isinstance(call_id, str) or len(call_id) > 40:
                    return (
                        f"Invalid 'messages[{i}].tool_calls[{j}].id': string too long. "
                        "Expected a string with maximum length 40."
                    )
                if not isinstance(call.get("function", {}).get("arguments"), str):
                    return f"Invalid 'messages[{i}].tool_calls[{j}].function.arguments'."
                unanswered.append(call_id)
    if unanswered:
        return f"tool_call_ids did not have response messages: {', '.join(unanswered)}"
    return None


def _content_problem(message: dict[str, Any], role: str, where: str) -> str | None:
    content = message.get("content")
    if (content is None and role == "assistant") or isinstance(content, str):
        return None
    if not isinstance(content, list):
        return f"Invalid type for '{where}.content': expected a string or an array."
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in _PARTS[role]:
            return f"Invalid value for '{where}.content[{j}].type': {kind!r}."
        if kind == "image_url" and not isinstance(part.get("image_url", {}).get("url"), str):
            return f"Missing required parameter: '{where}.content[{j}].image_url.url'."
    return None


class OpenAIEmulator(EmulatorBase):
    """Fake OpenAI-compatible server. See `EmulatorBase` for the shared constructor.

    Args:
        rejects_max_tokens: answer `max_tokens` as OpenAI's reasoning models do (400).
        reasoning_replay: how `reasoning_content` in assistant messages is treated.
    """

    dialect: ClassVar[AnthropicDialect] = OpenAIDialect()
    default_models: ClassVar[tuple[str, ...]] = ("gpt-5", "gpt-4o", "o3-mini")

    def __init__(
        self,
        *,
        rejects_max_tokens: bool = False,
        reasoning_replay: ReasoningReplay = "allowed",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.rejects_max_tokens = rejects_max_tokens
        self.reasoning_replay: ReasoningReplay = reasoning_replay

    def enqueue(self, *behaviours: Behaviour | Chat) -> None:
        """Queue answers for POST /v1/chat/completions, one per request, FIFO."""
        self._queue.extend(behaviours)  # type: ignore[arg-type]

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the POST /v1/chat/completions requests."""
        return [r for r in self.requests if r.method == "POST" and r.path == CHAT_PATH]

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_post(CHAT_PATH, self._chat)
        router.add_get("/v1/models", self._models, allow_head=False)

    async def _models(self, request: web.Request) -> web.StreamResponse:
        data = [
            {"id": m, "object": "model", "created": CREATED, "owned_by": "openai"}
            for m in self.models
        ]
        return await self.answer_models(
            request, lambda: self.json_response({"object": "list", "data": data})
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = self.recorded(request).json
        problem = chat_problem(
            body, rejects_max_tokens=self.rejects_max_tokens, reasoning_replay=self.reasoning_replay
        )
        if problem is not None:
            return await self._responder.fail(Fail(400, message=problem))
        assert isinstance(body, dict)
        behaviour: Behaviour | Chat = self._next_behaviour(self.recorded(request))
        if isinstance(behaviour, Reply):
            behaviour = Chat(behaviour)
        if not isinstance(behaviour, Chat):
            return await self._responder.dispatch(request, behaviour, stream=False, model="")
        model = behaviour.reply.model or body["model"]
        blocks = self.dialect.resolve(behaviour.reply)
        dialect = self.dialect
        assert isinstance(dialect, OpenAIDialect)
        await asyncio.sleep(behaviour.reply.stall_before_headers)
        if body.get("stream") is not True:
            completion = dialect.completion(behaviour, blocks, model=model)
            headers = dialect.headers(status=200, request_id=dialect.request_id())
            headers["content-type"] = "application/json"
            return web.Response(
                body=compact(completion),
                headers=merge_headers(CIMultiDict(headers), behaviour.reply.headers),
            )
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        chunks = dialect.chunks(behaviour, blocks, model=model, include_usage=include_usage)
        return await self._stream(request, behaviour, chunks)

    async def _stream(
        self, request: web.Request, chat: Chat, chunks: list[dict[str, Any]]
    ) -> web.StreamResponse:
        dialect = self.dialect
        headers = dialect.headers(status=200, request_id=dialect.request_id())
        headers.update(dialect.sse_headers())
        reply = chat.reply
        response = web.StreamResponse(headers=merge_headers(CIMultiDict(headers), reply.headers))
        end = b"\r\n" if chat.crlf else b"\n"
        frames = [b"data: " + compact(c) + end + end for c in chunks]
        if chat.done:
            frames.append(b"data: [DONE]" + end + end)
        if chat.keepalive:
            frames = [b": keep-alive" + end + end + frame for frame in frames]

        def error_frame(kind: str, message: str) -> bytes:
            error = {"error": {"message": message, "type": kind, "code": None}}
            return b"data: " + compact(error) + end + end

        return await play(
            request,
            response,
            reply,
            frames,
            send=lambda frame: self._write(response, frame, chat.split_bytes),
            error_frame=error_frame,
            on_disconnect=self._note_disconnect,
        )

    @staticmethod
    async def _write(response: web.StreamResponse, frame: bytes, size: int | None) -> None:
        if size is None:
            await response.write(frame)
            return
        for start in range(0, len(frame), size):
            await response.write(frame[start : start + size])
