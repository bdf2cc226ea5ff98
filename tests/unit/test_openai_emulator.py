"""The OpenAI emulator is a judge: it must refuse what api.openai.com refuses and speak
the wire format OpenAI's SDKs parse."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
import pytest

from tests.emulators import Fail, OpenAIEmulator, Reply, text, thinking, tool_use
from tests.emulators._openai import Chat, chat_problem

BASE: dict[str, Any] = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}]}
CALL = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        ({"top_k": 3}, "Unrecognized request argument supplied: top_k"),
        ({"max_tokens": 1, "max_completion_tokens": 1}, "cannot both be set"),
        ({"stream_options": {"include_usage": True}}, "only allowed when 'stream'"),
        ({"tools": []}, "too short - 'tools'"),
        ({"tool_choice": "auto"}, "only allowed when 'tools'"),
        ({"reasoning_effort": "extreme"}, "reasoning_effort"),
        ({"messages": []}, "too short - 'messages'"),
        (
            {"messages": [{"role": "tool", "tool_call_id": "x", "content": "r"}]},
            "must be a response to a preceeding message",
        ),
        (
            {
                "messages": [
                    {"role": "assistant", "tool_calls": [CALL]},
                    {"role": "user", "content": "hi"},
                ]
            },
            "did not have response messages",
        ),
        (
            {
                "messages": [
                    {"role": "assistant", "tool_calls": [{**CALL, "id": "x" * 41}]},
                    {"role": "tool", "tool_call_id": "x" * 41, "content": "r"},
                ]
            },
            "maximum length 40",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]},
            "content[0].type",
        ),
        ({"messages": [{"role": "assistant", "content": None}]}, "need content or tool_calls"),
        ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, "pattern"),
    ],
)
def test_emulator_refuses_what_openai_refuses(extra: dict[str, Any], phrase: str) -> None:
    problem = chat_problem({**BASE, **extra})
    assert problem is not None and phrase in problem


def test_emulator_reasoning_replay_modes() -> None:
    call = {"role": "assistant", "content": None, "tool_calls": [CALL]}
    answer = {"role": "tool", "tool_call_id": "call_1", "content": "r"}
    bare = {**BASE, "messages": [BASE["messages"][0], call, answer]}
    replayed = {
        **BASE,
        "messages": [BASE["messages"][0], {**call, "reasoning_content": "t"}, answer],
    }
    assert chat_problem(bare) is None and chat_problem(replayed) is None
    assert "Missing `reasoning_content`" in (chat_problem(bare, reasoning_replay="required") or "")
    assert chat_problem(replayed, reasoning_replay="required") is None
    assert "reasoning_content: Extra inputs" in (
        chat_problem(replayed, reasoning_replay="refused") or ""
    )
    leaked = {
        **BASE,
        "messages": [{"role": "user", "content": "x", "cache_control": {"type": "ephemeral"}}],
    }
    assert "cache_control: Extra inputs" in (chat_problem(leaked) or "")


def test_emulator_accepts_a_full_tool_loop() -> None:
    body = {
        **BASE,
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [CALL, {**CALL, "id": "call_2"}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "r1"},
            {"role": "tool", "tool_call_id": "call_2", "content": "r2"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "t"},
                    {"type": "image_url", "image_url": {"url": "data:x"}},
                ],
            },
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
        "tool_choice": "required",
        "parallel_tool_calls": False,
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_completion_tokens": 5,
        "reasoning_effort": "high",
    }
    assert chat_problem(body) is None
    assert chat_problem({**body, "max_tokens": 5}) is not None


async def post(emu: OpenAIEmulator, body: dict[str, Any]) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emu.base_url}/v1/chat/completions", json=body) as resp:
            return resp.status, await resp.read()


async def test_emulator_stream_wire_format() -> None:
    async with OpenAIEmulator() as emu:
        emu.enqueue(
            Chat(
                Reply(
                    thinking("t"),
                    text("a b"),
                    tool_use("f", {"x": 1}, id="call_9"),
                    tool_use("g", {}, id="call_8"),
                    stop_reason="tool_use",
                )
            )
        )
        status, raw = await post(
            emu, {**BASE, "stream": True, "stream_options": {"include_usage": True}}
        )
    assert status == 200
    frames = raw.split(b"\n\n")
    assert frames[-2:] == [b"data: [DONE]", b""]
    chunks = [orjson.loads(f[6:]) for f in frames[:-2]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-")
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[1]["choices"][0]["delta"] == {"reasoning_content": "t"}
    heads = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks[1:-2]
        if "tool_calls" in c["choices"][0]["delta"]
        and "id" in c["choices"][0]["delta"]["tool_calls"][0]
    ]
    assert [(h["index"], h["id"], h["function"]["name"]) for h in heads] == [
        (0, "call_9", "f"),
        (1, "call_8", "g"),
    ]
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-2]["usage"] is None
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 12


async def test_emulator_completion_and_errors() -> None:
    async with OpenAIEmulator(require_key="k") as emu:
        emu.enqueue(Reply(text("hello")), Fail(429, message="slow down"))
        async with aiohttp.ClientSession(headers={"authorization": "Bearer k"}) as session:
            async with session.post(f"{emu.base_url}/v1/chat/completions", json=BASE) as r:
                body = await r.json()
                assert r.headers["x-request-id"].startswith("req_")
            async with session.post(f"{emu.base_url}/v1/chat/completions", json=BASE) as r:
                assert r.status == 429
                assert (await r.json())["error"] == {
                    "message": "slow down",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            async with session.get(f"{emu.base_url}/v1/models") as r:
                assert [m["id"] for m in (await r.json())["data"]] == list(emu.models)
        status, raw = await post(emu, BASE)  # no key
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "hello"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert status == 401 and orjson.loads(raw)["error"]["code"] == "invalid_api_key"


async def test_emulator_checks_requests() -> None:
    async with OpenAIEmulator() as emu:
        status, raw = await post(emu, {**BASE, "metadata_x": 1})
    assert status == 400
    assert "metadata_x" in orjson.loads(raw)["error"]["message"]
    assert len(emu.chat_requests) == 1
