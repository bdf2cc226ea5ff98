"""Tool ids valid on both sides, mapped the same way in both directions."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from cc_relay.providers.openai.ids import MAX_TOOL_ID_LENGTH, ToolIds, message_id, tool_id

VALID = re.compile(r"[a-zA-Z0-9_-]+")


def test_valid_ids_are_unchanged() -> None:
    for raw in ("toolu_01ABCdef-_9", "call_abc123", "tooluse_x", "a" * MAX_TOOL_ID_LENGTH):
        assert tool_id(raw) == raw


def test_invalid_ids_are_repaired_readably() -> None:
    assert tool_id("functions.Bash:0").startswith("functions_Bash_0_")
    assert tool_id("").startswith("toolu_")
    assert len(tool_id("x" * 200)) == MAX_TOOL_ID_LENGTH


def test_near_identical_ids_stay_apart() -> None:
    assert tool_id("a.b") != tool_id("a:b") != tool_id("a_b")
    assert tool_id("x" * 41) != tool_id("x" * 42)


@given(st.text())
def test_any_id_maps_to_a_valid_short_id_idempotently(raw: str) -> None:
    once = tool_id(raw)
    assert VALID.fullmatch(once) and len(once) <= MAX_TOOL_ID_LENGTH
    assert tool_id(once) == once
    assert tool_id(raw) == once  # deterministic: a tool_use and its result pair up


def test_one_answer_never_repeats_an_id() -> None:
    ids = ToolIds()
    taken = [
        ids.take("call_1"),
        ids.take("call_1"),
        ids.take(None),
        ids.take(""),
        ids.take("call_1"),
    ]
    assert len(set(taken)) == len(taken)
    assert taken[0] == "call_1"
    assert all(VALID.fullmatch(i) for i in taken)


def test_message_ids() -> None:
    assert message_id("chatcmpl-abc.1") == "msg_chatcmpl-abc_1"
    assert message_id(None).startswith("msg_") and message_id(None) != message_id(None)
