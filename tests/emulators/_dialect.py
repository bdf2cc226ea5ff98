"""How api.anthropic.com puts a scripted answer on the wire.

`AnthropicDialect` is the reference; other providers subclass it and override only where
their bytes differ (see `_ollama_dialect.py`). Every method returns plain data or bytes, so
the server code never needs to know which provider it is pretending to be.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar, TypeAlias

from tests.emulators._behaviours import Fail, Reply
from tests.emulators._blocks import Block, TextBlock, ThinkingBlock, ToolUseBlock
from tests.emulators._wire import b62, compact, rfc3339, split_even, split_words

__all__ = ["AnthropicDialect", "Event"]

Event: TypeAlias = tuple[str, bytes]
"""An SSE event name and its encoded data line."""

PING_DATA = b'{"type": "ping"}'
"""Anthropic's ping is the one event written with spaces after the separators."""

_RATE_LIMITS: dict[str, int] = {"requests": 4000, "tokens": 2_000_000}
_RATE_LIMITS_SPLIT: dict[str, int] = {"input-tokens": 2_000_000, "output-tokens": 400_000}


class AnthropicDialect:
    """The Anthropic Messages API as served by api.anthropic.com."""

    sse_content_type: ClassVar[str] = "text/event-stream; charset=utf-8"
    json_content_type: ClassVar[str] = "application/json"
    sends_ping: ClassVar[bool] = True
    organization_id: ClassVar[str] = str(uuid.UUID(int=0x0E0E))

    # ids -----------------------------------------------------------------------------------

    def message_id(self) -> str:
        return "msg_01" + b62(22)

    def tool_use_id(self) -> str:
        return "toolu_01" + b62(22)

    def request_id(self) -> str:
        return "req_011C" + b62(20)

    def resolve(self, reply: Reply) -> list[Block]:
        """Give every tool_use block an id, once, so JSON and SSE agree."""
        return [
            dataclasses.replace(block, id=self.tool_use_id())
            if isinstance(block, ToolUseBlock) and block.id is None
            else block
            for block in reply.blocks
        ]

    # encoding ------------------------------------------------------------------------------

    def encode(self, obj: Any) -> bytes:
        return compact(obj)

    def encode_body(self, obj: Any) -> bytes:
        """A whole JSON response body (Go servers add a newline here; Anthropic does not)."""
        return self.encode(obj)

    # headers -------------------------------------------------------------------------------

    def headers(self, *, status: int, request_id: str) -> dict[str, str]:
        """Headers every response carries, before the content type and per-test overrides."""
        headers = {
            "request-id": request_id,
            "anthropic-organization-id": self.organization_id,
            "server": "cloudflare",
            "x-robots-tag": "none",
        }
        exhausted = status == 429
        for name, limit in (_RATE_LIMITS | _RATE_LIMITS_SPLIT).items():
            prefix = f"anthropic-ratelimit-{name}"
            headers[f"{prefix}-limit"] = str(limit)
            headers[f"{prefix}-remaining"] = "0" if exhausted else str(limit - 1)
            headers[f"{prefix}-reset"] = rfc3339(30.0 if exhausted else 1.0)
        return headers

    def sse_headers(self) -> dict[str, str]:
        return {"content-type": self.sse_content_type, "cache-control": "no-cache"}

    # bodies --------------------------------------------------------------------------------

    def error_object(self, error_type: str, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": error_type, "message": message}}

    def error_body(self, fail: Fail, request_id: str) -> bytes:
        if fail.body is not None:
            return fail.body
        assert fail.error_type is not None and fail.message is not None
        envelope = self.error_object(fail.error_type, fail.message)
        envelope["request_id"] = request_id
        return self.encode_body(envelope)

    def error_event(self, error_type: str, message: str) -> Event:
        return ("error", self.encode(self.error_object(error_type, message)))

    def block_json(self, block: Block) -> dict[str, Any]:
        """A finished block as it appears in a non-streamed `content` list."""
        if isinstance(block, TextBlock):
            return {"type": "text", "text": block.text}
        if isinstance(block, ToolUseBlock):
            return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
        if isinstance(block, ThinkingBlock):
            return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
        return {"type": "redacted_thinking", "data": block.data}

    def usage(self, reply: Reply, *, output_tokens: int) -> dict[str, Any]:
        return {
            "input_tokens": reply.input_tokens,
            "cache_creation_input_tokens": reply.cache_creation_input_tokens,
            "cache_read_input_tokens": reply.cache_read_input_tokens,
            "cache_creation": {
                "ephemeral_5m_input_tokens": reply.cache_creation_input_tokens,
                "ephemeral_1h_input_tokens": 0,
            },
            "output_tokens": output_tokens,
            "service_tier": "standard",
        }

    def message(
        self, reply: Reply, blocks: list[Block], *, model: str, message_id: str, final: bool
    ) -> dict[str, Any]:
        """The message object: complete when `final`, else the empty `message_start` shell."""
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [self.block_json(block) for block in blocks] if final else [],
            "stop_reason": reply.stop_reason if final else None,
            "stop_sequence": reply.stop_sequence if final else None,
            "usage": self.usage(reply, output_tokens=reply.output_tokens if final else 1),
        }

    def message_body(self, reply: Reply, blocks: list[Block], *, model: str) -> bytes:
        message_id = self.message_id()
        return self.encode_body(
            self.message(reply, blocks, model=model, message_id=message_id, final=True)
        )

    # streaming -----------------------------------------------------------------------------

    def stream_events(self, reply: Reply, blocks: list[Block], *, model: str) -> list[Event]:
        """Every SSE event of a successful streamed answer, in order."""
        start = self.message(reply, blocks, model=model, message_id=self.message_id(), final=False)
        events: list[Event] = [
            ("message_start", self.encode({"type": "message_start", "message": start}))
        ]
        if self.sends_ping:
            events.append(("ping", PING_DATA))
        for index, block in enumerate(blocks):
            for name, payload in self.block_events(index, block):
                events.append((name, self.encode(payload)))
        events.append(("message_delta", self.encode(self.message_delta(reply))))
        events.append(("message_stop", self.encode({"type": "message_stop"})))
        return events

    def message_delta(self, reply: Reply) -> dict[str, Any]:
        return {
            "type": "message_delta",
            "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
            "usage": {
                "input_tokens": reply.input_tokens,
                "cache_creation_input_tokens": reply.cache_creation_input_tokens,
                "cache_read_input_tokens": reply.cache_read_input_tokens,
                "output_tokens": reply.output_tokens,
            },
        }

    def block_start(self, block: Block) -> dict[str, Any]:
        """The `content_block` of `content_block_start`: the block with its content empty."""
        if isinstance(block, TextBlock):
            return {"type": "text", "text": ""}
        if isinstance(block, ToolUseBlock):
            return {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
        if isinstance(block, ThinkingBlock):
            return {"type": "thinking", "thinking": "", "signature": ""}
        return self.block_json(block)

    def block_deltas(self, block: Block) -> Iterator[dict[str, Any]]:
        if isinstance(block, TextBlock):
            for piece in block.chunks or split_words(block.text):
                yield {"type": "text_delta", "text": piece}
        elif isinstance(block, ToolUseBlock):
            yield from self.tool_deltas(block)
        elif isinstance(block, ThinkingBlock):
            for piece in block.chunks or split_words(block.thinking):
                yield {"type": "thinking_delta", "thinking": piece}
            yield {"type": "signature_delta", "signature": block.signature}

    def tool_deltas(self, block: ToolUseBlock) -> Iterator[dict[str, Any]]:
        """Anthropic opens with an empty piece, then JSON formatted with spaces, in pieces."""
        yield {"type": "input_json_delta", "partial_json": ""}
        if block.json_chunks is not None:
            pieces = list(block.json_chunks)
        elif block.input:
            pieces = split_even(json.dumps(block.input, ensure_ascii=False))
        else:
            pieces = []
        for piece in pieces:
            yield {"type": "input_json_delta", "partial_json": piece}

    def block_events(self, index: int, block: Block) -> Iterator[tuple[str, dict[str, Any]]]:
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": self.block_start(block),
            },
        )
        for delta in self.block_deltas(block):
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": delta,
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
