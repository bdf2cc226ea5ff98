"""Claude Code's tool round trip through the relay to Bedrock and to an OpenAI server."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import RelayFactory, provider
from tests.e2e.conftest import ClaudeCode
from tests.emulators import (
    BedrockEmulator,
    OpenAIEmulator,
    RecordedRequest,
    Reply,
    text,
    tool_use,
)
from tests.emulators._bedrock import TEST_CREDENTIALS

pytestmark = pytest.mark.e2e

COMMAND = "echo round-trip > proof.txt"


def _tool_script(tool_id: str) -> Callable[[RecordedRequest], Reply]:
    """Ask for one Bash call, then report the tool_result id it got back."""

    def script(request: RecordedRequest) -> Reply:
        body = request.json or {}
        results = [
            b
            for m in body.get("messages", [])
            if m.get("role") in ("user", "tool")
            for b in (m["content"] if isinstance(m.get("content"), list) else [m])
            if b.get("type") == "tool_result" or m.get("role") == "tool"
        ]
        if results:
            last = results[-1]
            seen = last.get("tool_use_id") or last.get("tool_call_id")
            return Reply(text(f"result for {seen}"))
        return Reply(
            text("On it."),
            tool_use("Bash", {"command": COMMAND, "description": "write proof"}, id=tool_id),
            stop_reason="tool_use",
        )

    return script


async def test_tool_round_trip_through_bedrock(
    make_relay: RelayFactory, claude: ClaudeCode
) -> None:
    async with BedrockEmulator(write_size=7) as bedrock:
        bedrock.script = _tool_script("toolu_01BedrockE2e")
        relay = await make_relay(
            provider(
                bedrock,
                name="bedrock",
                type="bedrock",
                region="us-east-1",
                aws_access_key_id=TEST_CREDENTIALS.access_key,
                aws_secret_access_key=TEST_CREDENTIALS.secret_key,
                aws_session_token=TEST_CREDENTIALS.token,
            )
        )
        result = (await claude.run("write the proof file", base_url=relay.url)).result
        assert (claude.cwd / "proof.txt").read_text().strip() == "round-trip"
        assert result["result"] == "result for toolu_01BedrockE2e"
        assert not bedrock.auth_failures
        assert all("/model/" in r.path for r in bedrock.invoke_requests)


async def test_tool_round_trip_through_openai_server(
    make_relay: RelayFactory, claude: ClaudeCode
) -> None:
    async with OpenAIEmulator() as server:
        server.script = _tool_script("call_e2e.openai:1")
        relay = await make_relay(
            provider(
                f"{server.base_url}/v1",
                name="oai",
                type="openai",
                keys=["sk-oai"],
                model_map={"claude-opus-4-8": "gpt-5"},
                models=["claude-opus-4-8"],
            )
        )
        result = (await claude.run("write the proof file", base_url=relay.url)).result
        assert (claude.cwd / "proof.txt").read_text().strip() == "round-trip"
        # The call id reached Claude Code sanitised and came back paired with its result.
        assert result["result"].startswith("result for call_e2e")
        assert all(r.json["model"] == "gpt-5" for r in server.chat_requests)
