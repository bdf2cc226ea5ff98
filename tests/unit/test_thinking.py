"""Signature ledger and the thinking guard."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cc_relay.thinking import SignatureLedger, guard_thinking, may_hold_thinking
from cc_relay.thinking.guard import OMITTED


def _thinking(sig: str | None, text: str = "hmm") -> dict[str, Any]:
    block = {"type": "thinking", "thinking": text}
    if sig is not None:
        block["signature"] = sig
    return block


def _tool_use(i: int = 1) -> dict[str, Any]:
    return {"type": "tool_use", "id": f"toolu_{i}", "name": "Bash", "input": {}}


def _result(i: int = 1) -> dict[str, Any]:
    return {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": f"toolu_{i}", "content": "ok"}],
    }


def test_ledger_records_families_and_expires() -> None:
    now = [0.0]
    ledger = SignatureLedger(ttl=10, clock=lambda: now[0])
    ledger.record("sig-glm", "zai")
    assert ledger.family_of("sig-glm") == "zai"
    assert ledger.family_of("never-seen") == "anthropic"
    now[0] = 11
    assert ledger.family_of("sig-glm") == "anthropic"
    assert len(ledger) == 0


def test_ledger_is_bounded() -> None:
    ledger = SignatureLedger(capacity=3)
    for i in range(10):
        ledger.record(f"s{i}", "zai")
    assert len(ledger) == 3
    assert ledger.family_of("s9") == "zai" and ledger.family_of("s0") == "anthropic"


def test_guard_keeps_own_family_untouched() -> None:
    ledger = SignatureLedger()
    ledger.record("sig-a", "anthropic")
    body = {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": [_thinking("sig-a"), _tool_use()]},
            _result(),
        ],
        "thinking": {"type": "adaptive"},
    }
    assert guard_thinking(body, "anthropic", ledger) is None


def test_guard_drops_foreign_and_unsigned_for_anthropic() -> None:
    ledger = SignatureLedger()
    ledger.record("sig-glm", "zai")
    body: dict[str, Any] = {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": [_thinking("sig-a"), {"type": "text", "text": "a"}]},
            {"role": "user", "content": "q2"},
            {"role": "assistant", "content": [_thinking("sig-glm"), {"type": "text", "text": "b"}]},
            {"role": "user", "content": "q3"},
            {"role": "assistant", "content": [_thinking(""), _thinking(None)]},
            {"role": "user", "content": "q4"},
        ]
    }
    original = copy.deepcopy(body)
    out = guard_thinking(body, "anthropic", ledger)
    assert out is not None and body == original, "the input is never mutated"
    msgs = out["messages"]
    assert msgs[1] == original["messages"][1]
    assert msgs[3]["content"] == [{"type": "text", "text": "b"}]
    assert msgs[5]["content"] == [OMITTED]
    assert [m["role"] for m in msgs] == [m["role"] for m in original["messages"]]


def test_guard_for_other_family_drops_anthropic_blocks() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "q"},
            {
                "role": "assistant",
                "content": [
                    {"type": "redacted_thinking", "data": "x"},
                    _thinking("sig-a"),
                    {"type": "text", "text": "a"},
                ],
            },
            {"role": "user", "content": "q2"},
        ]
    }
    out = guard_thinking(body, "ollama", SignatureLedger())
    assert out is not None
    assert out["messages"][1]["content"] == [{"type": "text", "text": "a"}]


def test_guard_turns_thinking_off_when_tool_loop_turn_lost_its_thinking() -> None:
    body = {
        "thinking": {"type": "enabled", "budget_tokens": 2048},
        "context_management": {
            "edits": [{"type": "clear_thinking_20251015"}, {"type": "clear_tool_uses_20250919"}]
        },
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": [_thinking(""), _tool_use()]},
            _result(),
        ],
    }
    out = guard_thinking(body, "anthropic", SignatureLedger())
    assert out is not None
    assert "thinking" not in out
    assert out["context_management"]["edits"] == [{"type": "clear_tool_uses_20250919"}]
    assert out["messages"][1]["content"] == [_tool_use()]


def test_guard_keeps_thinking_on_outside_a_tool_loop() -> None:
    body = {
        "thinking": {"type": "adaptive"},
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": [_thinking(""), {"type": "text", "text": "a"}]},
            {"role": "user", "content": "q2"},
        ],
    }
    out = guard_thinking(body, "anthropic", SignatureLedger())
    assert out is not None
    assert out["thinking"] == {"type": "adaptive"}


def test_may_hold_thinking_precheck() -> None:
    assert may_hold_thinking(b'{"signature": ""}')
    assert may_hold_thinking(b'"type":"redacted_thinking"')
    assert not may_hold_thinking(b'{"thinking": {"type": "adaptive"}, "messages": []}')


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: (
            st.lists(c, max_size=4)
            | st.dictionaries(
                st.sampled_from(["role", "content", "type", "signature", "messages", "thinking"]),
                c,
                max_size=4,
            )
        ),
        max_leaves=30,
    )
)
def test_guard_never_raises(body: object) -> None:
    if isinstance(body, dict):
        guard_thinking(body, "anthropic", SignatureLedger())
