"""Claude Code 2.1.197 through the relay: answers, tools, model switching, recovery, auth."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import pytest

from tests.conftest import RelayFactory, provider
from tests.e2e.conftest import ClaudeCode
from tests.emulators import (
    AnthropicEmulator,
    OllamaEmulator,
    RecordedRequest,
    Reply,
    text,
    thinking,
    tool_use,
)

pytestmark = pytest.mark.e2e

OPUS = "claude-opus-4-8"


def _last_user_content(request: RecordedRequest) -> list[Any]:
    messages = (request.json or {}).get("messages", [])
    user = [m for m in messages if m.get("role") == "user"]
    content = user[-1]["content"] if user else []
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


def _tool_results(request: RecordedRequest) -> list[dict[str, Any]]:
    return [b for b in _last_user_content(request) if b.get("type") == "tool_result"]


async def test_say_pong(
    make_relay: RelayFactory, emu: AnthropicEmulator, claude: ClaudeCode
) -> None:
    emu.script = lambda r: Reply(text("pong from the emulator"))
    relay = await make_relay(provider(emu, keys=["sk-up-1"]))
    result = (await claude.run("say pong", base_url=relay.url)).result
    assert result["result"] == "pong from the emulator"
    first = emu.messages_requests[0]
    assert first.query == {"beta": "true"}
    assert first.json["stream"] is True
    assert first.headers["x-api-key"] == "sk-up-1"
    assert first.headers["x-app"] == "cli"


async def test_streamed_tool_use_runs_and_result_returns(
    make_relay: RelayFactory, emu: AnthropicEmulator, claude: ClaudeCode
) -> None:
    command = "echo hello-from-e2e > proof.txt"

    def script(request: RecordedRequest) -> Reply:
        results = _tool_results(request)
        if results:
            return Reply(text(f"tool said: {results[0]['tool_use_id']}"))
        return Reply(
            text("Running it."),
            tool_use(
                "Bash", {"command": command, "description": "write proof"}, id="toolu_01E2eAbc-_9"
            ),
            stop_reason="tool_use",
        )

    emu.script = script
    relay = await make_relay(provider(emu))
    result = (await claude.run("write the proof file", base_url=relay.url)).result
    assert (claude.cwd / "proof.txt").read_text().strip() == "hello-from-e2e"
    assert result["result"] == "tool said: toolu_01E2eAbc-_9"
    answered = [r for r in emu.messages_requests if _tool_results(r)]
    assert answered[0].json["messages"][-2]["content"][-1]["id"] == "toolu_01E2eAbc-_9"


async def test_one_session_across_providers_with_thinking(
    make_relay: RelayFactory, ollama: OllamaEmulator, claude: ClaudeCode
) -> None:
    async with (
        AnthropicEmulator(verify_signatures=True) as anthropic_emu,
        AnthropicEmulator(verify_signatures=True) as glm,
    ):
        anthropic_emu.script = lambda r: Reply(
            thinking("claude thinks", signature=f"sig-claude-{len(anthropic_emu.requests)}"),
            text("claude answers"),
        )
        glm.script = lambda r: Reply(
            thinking("glm thinks", signature="sig-glm"), text("glm answers")
        )
        ollama.script = lambda r: Reply(thinking("qwen thinks"), text("qwen answers"))
        relay = await make_relay(
            provider(anthropic_emu),
            provider(glm, name="zai", type="zai"),
            provider(ollama, name="ollama", type="ollama", models=["qwen3-coder"]),
        )
        steps = [
            ("first", OPUS, "claude answers"),
            ("second", "glm-4.6", "glm answers"),
            ("third", "qwen3-coder", "qwen answers"),
            ("fourth", OPUS, "claude answers"),
        ]
        for i, (prompt, model, answer) in enumerate(steps):
            extra = ["--model", model] + (["--continue"] if i else [])
            run = await claude.run(prompt, *extra, base_url=relay.url)
            assert run.result["result"] == answer, run.stdout
            assert not run.result["is_error"]
        assert glm.messages_requests and ollama.messages_requests
        final = anthropic_emu.messages_requests[-1].json
        history = " ".join(str(m["content"]) for m in final["messages"])
        assert "glm answers" in history and "qwen answers" in history
        assert "sig-glm" not in history and "qwen thinks" not in history
        assert "sig-claude-1" in history, "Claude's own thinking must survive the detour"
        to_glm = " ".join(str(m["content"]) for m in glm.messages_requests[-1].json["messages"])
        assert "sig-claude" not in to_glm


async def test_stream_cut_falls_back_to_non_streaming(
    make_relay: RelayFactory, emu: AnthropicEmulator, claude: ClaudeCode
) -> None:
    def script(request: RecordedRequest) -> Reply:
        if request.json.get("stream"):
            return Reply(text("this stream will break off"), cut_after_events=3)
        return Reply(text("recovered without streaming"))

    emu.script = script
    relay = await make_relay(provider(emu))
    result = (await claude.run("hello", base_url=relay.url)).result
    assert result["result"] == "recovered without streaming"
    streams = [r.json.get("stream") is True for r in emu.messages_requests]
    assert streams[0] is True and False in streams


async def test_relay_key_configured_by_cc_init(
    make_relay: RelayFactory, emu: AnthropicEmulator, claude: ClaudeCode
) -> None:
    emu.script = lambda r: Reply(text("authenticated"))
    relay = await make_relay(
        provider(emu, keys=["sk-up-1"]), server={"auth": ["relay-e2e-key-0123"]}
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cc_relay",
        "config",
        "cc",
        "init",
        "--url",
        relay.url,
        "--token",
        "relay-e2e-key-0123",
        cwd=claude.cwd,
        env={"PATH": os.environ["PATH"], "HOME": str(claude.home)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    result = (await claude.run("hi", base_url=None, api_key=None)).result
    assert result["result"] == "authenticated"
    assert emu.messages_requests[-1].headers["x-api-key"] == "sk-up-1"
