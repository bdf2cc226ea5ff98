"""OpenAI ``chat.completion.chunk`` streams -> Anthropic's SSE events.

The client sees exactly the event sequence Anthropic sends::

    message_start
    (content_block_start, content_block_delta+, content_block_stop)*
    message_delta (stop_reason, usage)
    message_stop

- ``delta.reasoning_content`` / ``delta.reasoning`` stream live as a ``thinking`` block;
  it closes with a ``signature_delta`` carrying ``""``, as Anthropic always sends one
  before ``content_block_stop`` (the relay's signature guard treats an empty signature
  as foreign, so the block never reaches a backend that would refuse it).
- ``delta.content`` (and ``delta.refusal``) stream live as a ``text`` block.
- Each tool call becomes its own ``tool_use`` block, sent whole (start, ``""``, the
  argument pieces, stop) once its arguments are known to be complete: when another call
  starts and this one's arguments already form a JSON object, or at the end. Holding
  a call back costs little (Claude Code runs a tool once its block closes) and buys two
  guarantees: parallel calls whose chunks interleave by ``index`` still come out as
  one block each, and broken arguments are replaced before they can break the SDK's
  JSON parser (see ``arguments.py``).
- The stream ends at ``data: [DONE]``, or once ``finish_reason`` and the usage chunk
  (``stream_options.include_usage``) have both arrived. A stream cut before either
  leaves ``ended`` False and the relay reports the cut.
- ``{"error": {...}}`` in the stream becomes ``event: error`` and ends it. An error
  before anything was sent (OpenRouter answers 200 and then fails) is raised instead,
  as an UpstreamStatusError from ``feed``: the relay is still waiting for the first
  event then, so it treats the attempt as failed and can try another provider.
- ``:`` keep-alive comments become ``ping`` events once the message has started, so a
  client sees traffic while a model reasons in silence.

``message_start`` reports 0 input tokens unless the first chunk has usage: OpenAI
sends token counts last, so the real counts arrive in ``message_delta.usage``
(``input_tokens``, ``cache_read_input_tokens``, ``output_tokens``), which the SDKs
apply over the start values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cc_relay.errors import UpstreamStatusError, envelope
from cc_relay.headers import CONTENT_TYPE
from cc_relay.providers.openai.arguments import is_complete, tool_input_json
from cc_relay.providers.openai.errors import error_payload, stream_error
from cc_relay.providers.openai.framing import COMMENT, DONE, Malformed, Payloads
from cc_relay.providers.openai.ids import ToolIds, message_id
from cc_relay.providers.openai.outcome import ChatUsage, stop_reason
from cc_relay.types import UpstreamAnswer, Usage

__all__ = ["ChatStreamDecoder"]

_MALFORMED = "The upstream provider sent a malformed stream chunk; retry the request."


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@dataclass(slots=True)
class _ToolCall:
    raw_id: str = ""
    name: str = ""
    pieces: list[str] = field(default_factory=list)
    checked: int = -1
    complete: bool = False

    def is_complete(self) -> bool:
        if self.checked != len(self.pieces):  # arguments grew since the last look
            self.checked = len(self.pieces)
            self.complete = is_complete("".join(self.pieces))
        return self.complete


class ChatStreamDecoder:
    """One streamed answer, translated chunk by chunk (implements ``StreamDecoder``).

    Args:
        client_model: The model name ``message_start`` shows; None keeps the upstream's.
    """

    def __init__(self, *, client_model: str | None = None) -> None:
        self.usage = Usage()
        self.ended = False
        self._model = client_model
        self._payloads = Payloads()
        self._out: list[bytes] = []
        self._started = False
        self._index = -1
        self._open: str | None = None
        self._calls: dict[int, _ToolCall] = {}
        self._waiting: list[_ToolCall] = []
        self._last_call: _ToolCall | None = None
        self._ids = ToolIds()
        self._had_tools = False
        self._finish: object = None
        self._matched: object = None
        self._finished = False
        self._chat_usage: ChatUsage | None = None

    def feed(self, chunk: bytes) -> bytes:
        """Anthropic SSE bytes for every whole event that ``chunk`` completes.

        Raises:
            UpstreamStatusError: the upstream failed before the message started.
        """
        if self.ended:
            return b""
        for payload in self._payloads.feed(chunk):
            if payload is DONE:
                self._end()
            elif payload is COMMENT:
                if self._started:  # a keep-alive: Anthropic's is a ping
                    self._emit("ping", {"type": "ping"})
            elif isinstance(payload, Malformed):
                self._fail(502, envelope("api_error", _MALFORMED))
            elif isinstance(payload, dict):
                self._chunk(payload)
            if self.ended:
                break
        out, self._out = b"".join(self._out), []
        return out

    # -- one chunk ---------------------------------------------------------------------

    def _chunk(self, chunk: dict[str, Any]) -> None:
        error = error_payload(chunk)
        if error is not None:
            self._fail(*stream_error(error))
            return
        usage = ChatUsage.parse(chunk.get("usage"))
        if usage is not None:
            self._chat_usage = usage
        self._start(chunk)
        choices = chunk.get("choices")
        if isinstance(choices, list):
            choice = next(
                (c for c in choices if isinstance(c, dict) and c.get("index", 0) == 0), None
            )
            if choice is not None:
                self._choice(choice)
        if self._finished and self._chat_usage is not None:
            self._end()

    def _choice(self, choice: dict[str, Any]) -> None:
        delta = choice.get("delta")
        if isinstance(delta, dict):
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                self._block_delta("thinking", {"type": "thinking_delta", "thinking": reasoning})
            for key in ("content", "refusal"):
                text = delta.get(key)
                if isinstance(text, str) and text:
                    self._block_delta("text", {"type": "text_delta", "text": text})
            calls = delta.get("tool_calls")
            if isinstance(calls, list):
                for position, call in enumerate(calls):
                    if isinstance(call, dict):
                        self._tool_delta(call, position)
            legacy = delta.get("function_call")
            if isinstance(legacy, dict):
                self._tool_delta({"index": 0, "function": legacy}, 0)
        finish = choice.get("finish_reason")
        if finish is not None and not self._finished:
            self._finished = True
            self._finish, self._matched = finish, choice.get("stop_reason")
            self._close_open()
            self._flush_calls(final=True)

    # -- text and thinking ---------------------------------------------------------------

    def _block_delta(self, kind: str, delta: dict[str, Any]) -> None:
        if self._open != kind:
            self._close_open()
            self._flush_calls(final=True)
            self._index += 1
            self._open = kind
            block = (
                {"type": "text", "text": ""}
                if kind == "text"
                else {"type": "thinking", "thinking": "", "signature": ""}
            )
            self._emit(
                "content_block_start",
                {"type": "content_block_start", "index": self._index, "content_block": block},
            )
        self._emit(
            "content_block_delta",
            {"type": "content_block_delta", "index": self._index, "delta": delta},
        )

    def _close_open(self) -> None:
        if self._open is None:
            return
        if self._open == "thinking":
            self._emit(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": self._index,
                    "delta": {"type": "signature_delta", "signature": ""},
                },
            )
        self._emit("content_block_stop", {"type": "content_block_stop", "index": self._index})
        self._open = None

    # -- tool calls ----------------------------------------------------------------------

    def _tool_delta(self, call: dict[str, Any], position: int) -> None:
        self._close_open()
        index = call.get("index")
        index = index if isinstance(index, int) else position
        raw_id = call.get("id")
        raw_id = raw_id if isinstance(raw_id, str) else ""
        function = call.get("function")
        function = function if isinstance(function, dict) else {}
        current = self._calls.get(index)
        if current is None or (raw_id and current.raw_id and raw_id != current.raw_id):
            # A new call (some servers number every call 0, each with its own id).
            current = _ToolCall(raw_id=raw_id)
            self._calls[index] = current
            self._waiting.append(current)
        elif raw_id and not current.raw_id:
            current.raw_id = raw_id
        name = function.get("name")
        if isinstance(name, str) and name and not current.name:
            current.name = name
        arguments = function.get("arguments")
        if isinstance(arguments, dict):
            arguments = orjson.dumps(arguments).decode()
        if isinstance(arguments, str) and arguments:
            current.pieces.append(arguments)
        if current is not self._last_call:
            self._last_call = current
            self._flush_calls(final=False)

    def _flush_calls(self, *, final: bool) -> None:
        """Send waiting calls in order while each is complete (all of them if final)."""
        while self._waiting:
            call = self._waiting[0]
            if not final and not (call.name and call.is_complete()):
                return
            self._waiting.pop(0)
            self._send_call(call)

    def _send_call(self, call: _ToolCall) -> None:
        if not (call.raw_id or call.name or call.pieces):
            return  # an empty entry, not a call
        self._had_tools = True
        self._index += 1
        block = {
            "type": "tool_use",
            "id": self._ids.take(call.raw_id),
            "name": call.name or "unknown",
            "input": {},
        }
        self._emit(
            "content_block_start",
            {"type": "content_block_start", "index": self._index, "content_block": block},
        )
        replacement = tool_input_json("".join(call.pieces))
        pieces = call.pieces if replacement is None else [replacement]
        # Anthropic opens every tool input with an empty piece.
        for piece in ["", *(p for p in pieces if p)]:
            self._emit(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": self._index,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
            )
        self._emit("content_block_stop", {"type": "content_block_stop", "index": self._index})

    # -- start and end -------------------------------------------------------------------

    def _start(self, chunk: dict[str, Any]) -> None:
        if self._started:
            return
        self._started = True
        usage = (self._chat_usage or ChatUsage()).as_anthropic()
        usage["output_tokens"] = 0
        model = self._model or chunk.get("model")
        self._emit(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": message_id(chunk.get("id")),
                    "type": "message",
                    "role": "assistant",
                    "model": model if isinstance(model, str) else "",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": usage,
                },
            },
        )

    def _end(self) -> None:
        self._start({})
        self._close_open()
        self._flush_calls(final=True)
        reason, sequence = stop_reason(
            self._finish, has_tool_calls=self._had_tools, matched=self._matched
        )
        usage = self._chat_usage or ChatUsage()
        delta_usage: dict[str, int] = {"output_tokens": usage.output_tokens or 0}
        if usage.input_tokens is not None:
            delta_usage["input_tokens"] = usage.input_tokens
            delta_usage["cache_read_input_tokens"] = usage.cache_read_input_tokens or 0
        self._emit(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reason, "stop_sequence": sequence},
                "usage": delta_usage,
            },
        )
        self._emit("message_stop", {"type": "message_stop"})
        counts = {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
        }
        # Only the counts this version of Usage has room for (it is growing cache fields).
        self.usage = Usage(**{k: v for k, v in counts.items() if k in Usage.__slots__})
        self.ended = True

    def _fail(self, status: int, envelope: dict[str, Any]) -> None:
        if not self._started:
            headers = {CONTENT_TYPE: "application/json"}
            raise UpstreamStatusError(UpstreamAnswer(status, headers, orjson.dumps(envelope)))
        self._emit("error", envelope)
        self.ended = True

    def _emit(self, name: str, data: dict[str, Any]) -> None:
        self._out.append(_event(name, data))
