"""How Ollama (>= 0.14) serves the Anthropic Messages API at /v1/messages.

Taken from ollama's `anthropic/anthropic.go` and `middleware/anthropic.go`. The differences
that matter to a relay:

- thinking blocks carry no signature: no `signature` field, no `signature_delta`;
- tool ids look like `call_k3j9x2ab`, and a tool's input arrives as one compact JSON piece
  with no leading `""` piece;
- no `ping`, no `request-id` or `anthropic-ratelimit-*` headers, plain `text/event-stream`;
- usage is only `input_tokens`/`output_tokens`; `message_start` has no `stop_reason` /
  `stop_sequence` keys and `message_delta.delta` has no `stop_sequence`;
- Go's encoder escapes `<`, `>`, `&`, U+2028 and U+2029, and ends JSON bodies with a newline.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from typing import Any, ClassVar

from tests.emulators._behaviours import Reply
from tests.emulators._blocks import Block, TextBlock, ThinkingBlock, ToolUseBlock
from tests.emulators._dialect import AnthropicDialect
from tests.emulators._wire import compact, split_words

__all__ = ["OllamaDialect"]

_GO_ESCAPES = (
    (b"<", b"\\u003c"),
    (b">", b"\\u003e"),
    (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"),
    ("\u2029".encode(), b"\\u2029"),
)
_CALL_ALPHABET = string.ascii_lowercase + string.digits


class OllamaDialect(AnthropicDialect):
    """Ollama's Anthropic-compatible dialect."""

    sse_content_type: ClassVar[str] = "text/event-stream"
    json_content_type: ClassVar[str] = "application/json"
    sends_ping: ClassVar[bool] = False

    def message_id(self) -> str:
        return "msg_" + secrets.token_hex(12)

    def tool_use_id(self) -> str:
        return "call_" + "".join(secrets.choice(_CALL_ALPHABET) for _ in range(8))

    def request_id(self) -> str:
        return "req_" + secrets.token_hex(12)

    def encode(self, obj: Any) -> bytes:
        # Strings are the only place these bytes can occur in JSON, so a byte-level
        # replacement is exactly Go's HTMLEscape.
        data = compact(obj)
        for raw, escaped in _GO_ESCAPES:
            data = data.replace(raw, escaped)
        return data

    def encode_body(self, obj: Any) -> bytes:
        return self.encode(obj) + b"\n"

    def headers(self, *, status: int, request_id: str) -> dict[str, str]:
        return {}

    def sse_headers(self) -> dict[str, str]:
        return {
            "content-type": self.sse_content_type,
            "cache-control": "no-cache",
            "connection": "keep-alive",
        }

    def block_json(self, block: Block) -> dict[str, Any]:
        if isinstance(block, ThinkingBlock):
            return {"type": "thinking", "thinking": block.thinking}
        return super().block_json(block)

    def usage(self, reply: Reply, *, output_tokens: int) -> dict[str, Any]:
        return {"input_tokens": reply.input_tokens, "output_tokens": output_tokens}

    def message(
        self, reply: Reply, blocks: list[Block], *, model: str, message_id: str, final: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [self.block_json(block) for block in blocks] if final else [],
        }
        if final and reply.stop_reason:
            body["stop_reason"] = reply.stop_reason
        if final and reply.stop_sequence:
            body["stop_sequence"] = reply.stop_sequence
        body["usage"] = self.usage(reply, output_tokens=reply.output_tokens if final else 0)
        return body

    def message_delta(self, reply: Reply) -> dict[str, Any]:
        delta: dict[str, Any] = {}
        if reply.stop_reason:
            delta["stop_reason"] = reply.stop_reason
        if reply.stop_sequence:
            delta["stop_sequence"] = reply.stop_sequence
        return {
            "type": "message_delta",
            "delta": delta,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        }

    def block_start(self, block: Block) -> dict[str, Any]:
        if isinstance(block, ThinkingBlock):
            return {"type": "thinking", "thinking": ""}
        return super().block_start(block)

    def block_deltas(self, block: Block) -> Iterator[dict[str, Any]]:
        if isinstance(block, ThinkingBlock):
            for piece in block.chunks or split_words(block.thinking):
                yield {"type": "thinking_delta", "thinking": piece}
            return
        if isinstance(block, TextBlock) and not block.text:
            return
        yield from super().block_deltas(block)

    def tool_deltas(self, block: ToolUseBlock) -> Iterator[dict[str, Any]]:
        if block.json_chunks is not None:
            pieces = list(block.json_chunks)
        else:
            pieces = [self.encode(dict(block.input)).decode()]
        for piece in pieces:
            yield {"type": "input_json_delta", "partial_json": piece}
