"""The requests view's filter line."""

from __future__ import annotations

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui._filter import RequestFilter

OK = pb.Request(id="req_1", status=200, provider="a", client_model="claude-opus-4-8")
FAILED = pb.Request(
    id="req_2", status=529, provider="b", client_model="claude-sonnet-4-5",
    upstream_model="glm-4.6", error="upstream: Overloaded",
)  # fmt: skip


def test_filter_parses_named_fields_and_free_text() -> None:
    parsed = RequestFilter.parse("provider:B status:5xx  over  model:glm")
    assert parsed == RequestFilter(provider="b", model="glm", status="5xx", text="over")
    assert str(parsed) == "provider:b model:glm status:5xx over"
    assert RequestFilter.parse(str(parsed)) == parsed


def test_filter_matches_each_field() -> None:
    cases = {
        "": (True, True),
        "provider:a": (True, False),
        "status:5xx": (False, True),
        "status:200": (True, False),
        "status:2xx": (True, False),
        "model:glm": (False, True),
        "model:opus": (True, False),
        "overloaded": (False, True),
        "req_1": (True, False),
        "provider:b status:4xx": (False, False),
    }
    for line, wanted in cases.items():
        rule = RequestFilter.parse(line)
        assert (rule.matches(OK), rule.matches(FAILED)) == wanted, line
