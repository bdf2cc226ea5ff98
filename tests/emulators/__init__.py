"""Protocol-faithful fake providers for integration tests.

Each emulator is a real aiohttp server on 127.0.0.1 (port 0), scripted per test:

    async with AnthropicEmulator(require_key="sk-up-1") as emu:
        emu.enqueue(Reply(text("hello")), Fail(529))
        ...  # point the relay at emu.base_url
        assert emu.messages_requests[0].json["model"] == "claude-sonnet-4-5"

Modules:
    _blocks           content blocks and their builders (text, tool_use, thinking)
    _behaviours       Reply / Fail / Drop / Raw
    _recorded         RecordedRequest
    _wire             ids, SSE framing, delta splitting
    _dialect          Anthropic's bytes (the reference dialect)
    _ollama_dialect   Ollama's differences
    _responder        timing, cuts, gzip
    _server           lifecycle, queues, recording, auth
    _anthropic        AnthropicEmulator (count_tokens, Models API)
    _ollama           OllamaEmulator (/api/tags, OpenAI-shaped /v1/models)
"""

from tests.emulators._anthropic import AnthropicEmulator
from tests.emulators._azure import AzureEmulator
from tests.emulators._bedrock import BedrockEmulator
from tests.emulators._behaviours import Behaviour, Drop, Fail, Raw, Reply
from tests.emulators._blocks import (
    Block,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    redacted_thinking,
    text,
    thinking,
    tool_use,
)
from tests.emulators._google_oauth import GoogleTokenServer
from tests.emulators._ollama import OllamaEmulator
from tests.emulators._openai import OpenAIEmulator
from tests.emulators._recorded import RecordedRequest
from tests.emulators._server import EmulatorBase
from tests.emulators._vertex import VertexEmulator

__all__ = [
    "AnthropicEmulator",
    "AzureEmulator",
    "BedrockEmulator",
    "Behaviour",
    "Block",
    "Drop",
    "EmulatorBase",
    "Fail",
    "GoogleTokenServer",
    "OllamaEmulator",
    "OpenAIEmulator",
    "Raw",
    "RecordedRequest",
    "RedactedThinkingBlock",
    "Reply",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "VertexEmulator",
    "redacted_thinking",
    "text",
    "thinking",
    "tool_use",
]
