"""Anthropic request bodies -> OpenAI chat completions bodies, field by field."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cc_relay.errors import InvalidRequest
from cc_relay.providers.openai.ids import tool_id
from cc_relay.providers.openai.request import chat_request, reasoning_effort
from tests.emulators._openai import chat_problem

USER = [{"role": "user", "content": "hi"}]


def translate(stream: bool = False, token_field: str = "max_tokens", **body: Any) -> dict[str, Any]:
    body.setdefault("messages", USER)
    body.setdefault("max_tokens", 100)
    out = chat_request(body, "gpt-5", stream=stream, token_field=token_field)  # type: ignore[arg-type]
    # Whatever the relay sends must be a body OpenAI itself accepts.
    assert chat_problem(orjson.loads(orjson.dumps(out))) is None, out
    return out


def test_minimal_request() -> None:
    assert translate() == {
        "model": "gpt-5",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 100,
    }


def test_max_completion_tokens_when_asked() -> None:
    out = translate(token_field="max_completion_tokens")
    assert out["max_completion_tokens"] == 100 and "max_tokens" not in out


def test_sampling_and_stop_sequences() -> None:
    out = translate(temperature=0.2, top_p=0.9, top_k=40, stop_sequences=["###", "END"])
    assert (out["temperature"], out["top_p"], out["stop"]) == (0.2, 0.9, ["###", "END"])
    assert "top_k" not in out


def test_empty_stop_sequences_are_not_sent() -> None:
    assert "stop" not in translate(stop_sequences=[])


def test_stream_asks_for_usage() -> None:
    out = translate(stream=True)
    assert out["stream"] is True and out["stream_options"] == {"include_usage": True}
    assert "stream" not in translate(stream=False)


def test_anthropic_only_fields_dropped() -> None:
    out = translate(
        metadata={"user_id": '{"device_id":"d","session_id":"s"}'},
        context_management={"edits": []},
        output_config={"effort": "high"},
        service_tier="auto",
        container="c",
        mcp_servers=[],
        future_field=1,
        cache_control={"type": "ephemeral"},
    )
    assert set(out) == {"model", "messages", "max_tokens"}


@pytest.mark.parametrize(
    "system",
    [
        "be brief",
        [
            {"type": "text", "text": "be"},
            {"type": "text", "text": "brief", "cache_control": {"type": "ephemeral"}},
        ],
    ],
)
def test_system_becomes_leading_system_message(system: Any) -> None:
    out = translate(system=system)
    expected = "be brief" if isinstance(system, str) else "be\n\nbrief"
    assert out["messages"][0] == {"role": "system", "content": expected}


def test_system_entries_inside_messages_keep_their_place() -> None:
    out = translate(
        messages=[
            {"role": "user", "content": "a"},
            {"role": "system", "content": "note"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": [{"type": "text", "text": "c"}]},
        ]
    )
    assert out["messages"] == [
        {"role": "user", "content": "a"},
        {"role": "system", "content": "note"},
        {"role": "assistant", "content": "b"},
        {"role": "user", "content": "c"},
    ]


def test_text_blocks_joined_and_images_as_parts() -> None:
    out = translate(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look", "cache_control": {"type": "ephemeral"}},
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": "iVBORw0KGgo=",
                        },
                    },
                    {
                        "type": "image",
                        "source": {"type": "url", "url": "https://example.com/a.jpg"},
                    },
                    {"type": "text", "text": "and tell"},
                ],
            }
        ]
    )
    assert out["messages"][0]["content"] == [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
        {"type": "text", "text": "and tell"},
    ]


def test_text_only_blocks_become_one_string() -> None:
    out = translate(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>x</system-reminder>"},
                    {"type": "text", "text": "do it"},
                ],
            }
        ]
    )
    assert out["messages"][0]["content"] == "<system-reminder>x</system-reminder>\n\ndo it"


def test_documents() -> None:
    out = translate(
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "document",
                        "title": "notes",
                        "source": {
                            "type": "text",
                            "media_type": "text/plain",
                            "data": "plain text",
                        },
                    },
                    {
                        "type": "document",
                        "source": {
                            "type": "base64",
                            "media_type": "application/pdf",
                            "data": "JVBERi0=",
                        },
                    },
                    {
                        "type": "document",
                        "source": {
                            "type": "content",
                            "content": [{"type": "text", "text": "inner"}],
                        },
                    },
                    {
                        "type": "search_result",
                        "title": "T",
                        "source": "https://s",
                        "content": [{"type": "text", "text": "found"}],
                    },
                ],
            }
        ]
    )
    assert out["messages"][0]["content"] == [
        {"type": "text", "text": "notes\n\nplain text"},
        {
            "type": "file",
            "file": {
                "filename": "document.pdf",
                "file_data": "data:application/pdf;base64,JVBERi0=",
            },
        },
        {"type": "text", "text": "inner"},
        {"type": "text", "text": "T\nhttps://s\nfound"},
    ]


@pytest.mark.parametrize(
    ("block", "phrase"),
    [
        ({"type": "document", "source": {"type": "url", "url": "https://e/a.pdf"}}, "documents"),
        ({"type": "image", "source": {"type": "file", "file_id": "f"}}, "images"),
        ({"type": "container_upload", "file_id": "f"}, "container_upload"),
    ],
)
def test_untranslatable_content_refused_with_its_place(block: dict[str, Any], phrase: str) -> None:
    with pytest.raises(InvalidRequest, match=phrase) as caught:
        translate(messages=[{"role": "user", "content": [{"type": "text", "text": "x"}, block]}])
    assert "messages[0].content[1]" in str(caught.value)


def tool_turns(call_id: str = "toolu_01A", **result: Any) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": "list files"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "EqQBsig"},
                {"type": "text", "text": "Running ls."},
                {"type": "tool_use", "id": call_id, "name": "Bash", "input": {"command": "ls"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": call_id,
                    "content": "a.py\nb.py",
                    "cache_control": {"type": "ephemeral"},
                    **result,
                },
                {"type": "text", "text": "now read a.py"},
            ],
        },
    ]


def test_tool_use_and_result_round_trip() -> None:
    out = translate(messages=tool_turns())
    assert out["messages"][1:] == [
        {
            "role": "assistant",
            "content": "Running ls.",
            "tool_calls": [
                {
                    "id": "toolu_01A",
                    "type": "function",
                    "function": {"name": "Bash", "arguments": '{"command":"ls"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_01A", "content": "a.py\nb.py"},
        {"role": "user", "content": "now read a.py"},
    ]


def test_tool_result_error_is_marked() -> None:
    out = translate(messages=tool_turns(is_error=True))
    assert out["messages"][2]["content"] == "Error: a.py\nb.py"


def test_tool_result_blocks_and_images() -> None:
    out = translate(
        messages=tool_turns(
            content=[
                {"type": "text", "text": "screenshot:"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "AA"},
                },
            ]
        )
    )
    tool, user = out["messages"][2], out["messages"][3]
    assert tool == {"role": "tool", "tool_call_id": "toolu_01A", "content": "screenshot:"}
    assert user["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,AA"},
    }
    assert user["content"][-1] == {"type": "text", "text": "now read a.py"}


@pytest.mark.parametrize(
    "call_id", ["functions.Bash:0", "call with spaces", "x" * 64, "toolu_ok-id_1"]
)
def test_tool_ids_sanitised_consistently(call_id: str) -> None:
    out = translate(messages=tool_turns(call_id))
    sent = out["messages"][1]["tool_calls"][0]["id"]
    assert sent == tool_id(call_id) == out["messages"][2]["tool_call_id"]
    assert len(sent) <= 40


def test_parallel_tool_results_in_order() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "a", "name": "A", "input": {}},
                {"type": "tool_use", "id": "b", "name": "B", "input": {"x": [1]}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "a",
                    "content": [{"type": "text", "text": "ra"}],
                },
                {"type": "tool_result", "tool_use_id": "b"},
            ],
        },
    ]
    out = translate(messages=messages)["messages"]
    assert out[1]["content"] is None
    assert [c["function"]["arguments"] for c in out[1]["tool_calls"]] == ["{}", '{"x":[1]}']
    assert out[2:] == [
        {"role": "tool", "tool_call_id": "a", "content": "ra"},
        {"role": "tool", "tool_call_id": "b", "content": ""},
    ]


def test_system_entry_between_call_and_result_moves_after_results() -> None:
    messages = tool_turns()
    messages.insert(2, {"role": "system", "content": "reminder"})
    out = translate(messages=messages)["messages"]
    assert [m["role"] for m in out] == ["user", "assistant", "tool", "system", "user"]


def test_unsigned_thinking_goes_back_as_reasoning_content() -> None:
    messages = tool_turns()
    messages[1]["content"] = [
        {"type": "thinking", "thinking": "mine", "signature": ""},
        {"type": "thinking", "thinking": "ollama's"},
        {"type": "thinking", "thinking": "claude's", "signature": "Eq"},
        *messages[1]["content"][1:],
    ]
    out = translate(messages=messages)["messages"][1]
    assert out["reasoning_content"] == "mineollama's"
    plain = chat_request(
        {"messages": messages, "max_tokens": 5},
        "m",
        stream=False,
        token_field="max_tokens",
        replay_reasoning=False,
    )["messages"][1]
    assert "reasoning_content" not in plain
    assert (
        chat_problem(
            {
                "model": "m",
                "messages": [messages[0], plain, *translate(messages=messages)["messages"][2:]],
            },
            reasoning_replay="refused",
        )
        is None
    )


def test_signed_thinking_is_never_replayed() -> None:
    out = translate(messages=tool_turns())["messages"][1]
    assert "reasoning_content" not in out and "EqQBsig" not in orjson.dumps(out).decode()


def test_thinking_only_assistant_turn_is_dropped() -> None:
    out = translate(
        messages=[
            {"role": "user", "content": "a"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "t", "signature": "s"},
                    {"type": "redacted_thinking", "data": "d"},
                ],
            },
            {"role": "user", "content": "b"},
        ]
    )
    assert out["messages"] == [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]


def test_web_search_history_becomes_text() -> None:
    out = translate(
        messages=[
            {"role": "user", "content": "search"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "server_tool_use",
                        "id": "srvtoolu_1",
                        "name": "web_search",
                        "input": {"query": "q"},
                    },
                    {
                        "type": "web_search_tool_result",
                        "tool_use_id": "srvtoolu_1",
                        "content": [
                            {
                                "type": "web_search_result",
                                "url": "https://a",
                                "title": "A",
                                "encrypted_content": "x",
                            }
                        ],
                    },
                    {"type": "text", "text": "Found A."},
                ],
            },
            {"role": "user", "content": "thanks"},
        ]
    )
    assert out["messages"][1] == {
        "role": "assistant",
        "content": "Web search results:\n- A: https://a\n\nFound A.",
    }


def test_tools_and_tool_choice() -> None:
    tools = [
        {
            "name": "Bash",
            "description": "run",
            "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
            "cache_control": {"type": "ephemeral"},
        },
        {"type": "custom", "name": "Now", "input_schema": {"type": "object"}},
    ]
    out = translate(tools=tools, tool_choice={"type": "any", "disable_parallel_tool_use": True})
    assert out["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "Bash",
                "description": "run",
                "parameters": {"type": "object", "properties": {"command": {"type": "string"}}},
            },
        },
        {"type": "function", "function": {"name": "Now", "parameters": {"type": "object"}}},
    ]
    assert out["tool_choice"] == "required" and out["parallel_tool_calls"] is False


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "Bash"}, {"type": "function", "function": {"name": "Bash"}}),
    ],
)
def test_tool_choice_values(choice: dict[str, Any], expected: Any) -> None:
    tools = [{"name": "Bash", "input_schema": {"type": "object"}}]
    out = translate(tools=tools, tool_choice=choice)
    assert out["tool_choice"] == expected and "parallel_tool_calls" not in out


def test_tool_choice_without_tools_not_sent() -> None:
    out = translate(tools=[], tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(out)


def test_anthropic_server_tools_refused() -> None:
    with pytest.raises(InvalidRequest, match="web_search_20250305"):
        translate(tools=[{"type": "web_search_20250305", "name": "web_search"}])


@pytest.mark.parametrize(
    ("thinking", "effort"),
    [
        ({"type": "enabled", "budget_tokens": 1024}, "low"),
        ({"type": "enabled", "budget_tokens": 4000}, "low"),
        ({"type": "enabled", "budget_tokens": 4096}, "medium"),
        ({"type": "enabled", "budget_tokens": 10000}, "medium"),
        ({"type": "enabled", "budget_tokens": 16384}, "high"),
        ({"type": "enabled", "budget_tokens": 31999}, "high"),
        ({"type": "adaptive"}, None),
        ({"type": "disabled"}, None),
        (None, None),
    ],
)
def test_thinking_to_reasoning_effort(thinking: Any, effort: str | None) -> None:
    assert reasoning_effort(thinking) == effort
    out = (
        translate(thinking=thinking, output_config={"effort": "high"})
        if thinking
        else (translate())
    )
    assert out.get("reasoning_effort") == effort


def test_structured_output_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    out = translate(output_config={"format": {"type": "json_schema", "schema": schema}})
    assert out["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "output", "schema": schema},
    }


def test_claude_code_shaped_body_translates() -> None:
    body = {
        "model": "claude-opus-4-8",
        "max_tokens": 64000,
        "stream": True,
        "thinking": {"type": "adaptive"},
        "output_config": {"effort": "high"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015"}]},
        "metadata": {"user_id": '{"device_id":"d","session_id":"s"}'},
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc"},
            {
                "type": "text",
                "text": "You are Claude Code.",
                "cache_control": {"type": "ephemeral"},
            },
        ],
        "tools": [
            {
                "name": f"Tool{i}",
                "description": "d",
                "input_schema": {"type": "object", "properties": {}, "additionalProperties": False},
            }
            for i in range(24)
        ],
        "messages": [*tool_turns(), {"role": "system", "content": "late note"}],
    }
    out = chat_request(body, "gpt-5", stream=True, token_field="max_completion_tokens")
    assert chat_problem(out) is None
    assert out["max_completion_tokens"] == 64000 and "reasoning_effort" not in out
    assert len(out["tools"]) == 24 and out["messages"][-1]["role"] == "system"


@st.composite
def tool_histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Tool loops with arbitrary ids, parallel calls answered in any order, extra text,
    system entries and thinking: always a valid Anthropic history."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "start"}]
    used: set[str] = set()  # ids are unique across a conversation
    for _ in range(draw(st.integers(1, 4))):
        ids = draw(
            st.lists(
                st.text(min_size=1, max_size=80).filter(lambda i: i not in used),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
        used.update(ids)
        assistant: list[dict[str, Any]] = []
        if draw(st.booleans()):
            assistant.append(
                {
                    "type": "thinking",
                    "thinking": draw(st.text()),
                    "signature": draw(st.sampled_from(["", "EqQB"])),
                }
            )
        if draw(st.booleans()):
            assistant.append({"type": "text", "text": draw(st.text(min_size=1))})
        assistant += [
            {"type": "tool_use", "id": i, "name": "Bash", "input": {"n": n, "s": draw(st.text())}}
            for n, i in enumerate(ids)
        ]
        results = [
            {
                "type": "tool_result",
                "tool_use_id": i,
                "content": draw(st.text()),
                "is_error": draw(st.booleans()),
            }
            for i in draw(st.permutations(ids))
        ]
        if draw(st.booleans()):
            results.append({"type": "text", "text": draw(st.text(min_size=1))})
        messages.append({"role": "assistant", "content": assistant})
        if draw(st.booleans()):
            messages.append({"role": "system", "content": draw(st.text(min_size=1))})
        messages.append({"role": "user", "content": results})
    return messages


@settings(max_examples=150, deadline=None)
@given(tool_histories())
def test_any_valid_tool_history_is_a_valid_chat(messages: list[dict[str, Any]]) -> None:
    out = translate(messages=messages)  # translate() asserts OpenAI accepts the body
    calls = {c["id"]: c for m in out["messages"] for c in m.get("tool_calls", ())}
    answered = [m["tool_call_id"] for m in out["messages"] if m["role"] == "tool"]
    assert sorted(answered) == sorted(calls)
    originals = {
        b["id"]
        for m in messages
        if m["role"] == "assistant"
        for b in m["content"]
        if b["type"] == "tool_use"
    }
    assert set(calls) == {tool_id(i) for i in originals}
