"""The log subscriber: one line per change, with its cause, at the right level."""

from __future__ import annotations

import logging

import pytest

from cc_relay.events import AttemptFinished, CircuitChanged, RequestSettled
from cc_relay.observability import log_events
from cc_relay.types import Usage


def test_circuit_changes_are_said_once_with_their_cause(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cc_relay.health"):
        log_events(
            [
                CircuitChanged("a", "closed", "open", "status 529"),
                CircuitChanged("a", "open", "half_open"),
                CircuitChanged("a", "half_open", "open", "connection refused"),
                CircuitChanged("a", "half_open", "closed"),
            ]
        )
    levels = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert levels == [
        (logging.WARNING, "provider 'a' is failing (status 529): circuit opened, "
                          "requests go elsewhere"),
        (logging.DEBUG, "provider 'a' recovering: trying a request"),
        (logging.DEBUG, "provider 'a' still failing (connection refused)"),
        (logging.INFO, "provider 'a' is healthy again"),
    ]  # fmt: skip


def test_access_line_keeps_retried_attempts_apart_from_the_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settled = RequestSettled(
        "req_1", "POST", "/v1/messages", 200, 0.25, ttfb=0.1, client_model="m",
        provider="b", attempts=2, usage=Usage(input_tokens=3, output_tokens=4),
        retried=("a: status 529",),
    )  # fmt: skip
    with caplog.at_level(logging.INFO, logger="cc_relay.access"):
        log_events([settled])
    (record,) = caplog.records
    assert record.getMessage() == "POST /v1/messages"
    fields = vars(record)
    assert fields["status"] == 200 and fields["latency_ms"] == 250.0
    assert fields["retried"] == ["a: status 529"] and fields["error"] is None


def test_failed_attempts_warn_but_cancelled_ones_do_not(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="cc_relay.api"):
        log_events(
            [
                AttemptFinished("r", "a", None, 529, 0.1, error="status", detail="status 529"),
                AttemptFinished("r", "a", None, None, 0.1, error="cancelled"),
                AttemptFinished("r", "a", None, 200, 0.1),
            ]
        )
    assert [r.getMessage() for r in caplog.records] == [
        "attempt on provider 'a' failed: status 529"
    ]
