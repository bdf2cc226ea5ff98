"""The circuit breaker's transitions, callbacks, stale outcomes and settings checks."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from cc_relay.health import (
    DEFAULT_COOLDOWN,
    DEFAULT_FAILURE_THRESHOLD,
    BreakerSettings,
    CircuitBreaker,
    CircuitState,
)

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


Change = tuple[str, CircuitState, CircuitState]


def make(clock: FakeClock, **settings: Any) -> tuple[CircuitBreaker, list[Change]]:
    changes: list[Change] = []
    breaker = CircuitBreaker(
        BreakerSettings(**settings),
        clock=clock,
        name="p1",
        on_change=lambda *change: changes.append(change),
    )
    return breaker, changes


def open_it(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.settings.failure_threshold):
        assert breaker.acquire()
        breaker.failure()
    assert breaker.state is OPEN


def test_breaker_defaults_match_named_constants() -> None:
    settings = BreakerSettings()
    assert (settings.failure_threshold, settings.cooldown) == (
        DEFAULT_FAILURE_THRESHOLD,
        DEFAULT_COOLDOWN,
    )
    assert (
        settings.failure_threshold,
        settings.cooldown,
        settings.half_open_probes,
        settings.success_threshold,
    ) == (5, 30.0, 1, 1)
    assert CircuitBreaker().settings == settings
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.cooldown = 1.0  # type: ignore[misc]


def test_breaker_state_values_are_strings() -> None:
    assert [s.value for s in CircuitState] == ["closed", "open", "half_open"]


def test_breaker_opens_after_five_consecutive_failures() -> None:
    clock = FakeClock()
    breaker, changes = make(clock)
    for _ in range(4):
        assert breaker.acquire()
        breaker.failure()
        assert breaker.state is CLOSED
    assert breaker.acquire()
    breaker.failure()
    assert breaker.state is OPEN
    assert changes == [("p1", CLOSED, OPEN)]
    assert not breaker.allows()
    assert not breaker.acquire()
    assert breaker.retry_at() == 1000.0 + 30.0


def test_breaker_success_resets_the_failure_run() -> None:
    breaker, changes = make(FakeClock())
    for _ in range(3):
        breaker.acquire()
        breaker.failure()
    breaker.success()
    for _ in range(4):
        breaker.acquire()
        breaker.failure()
    assert breaker.state is CLOSED
    assert breaker.snapshot()["consecutive_failures"] == 4
    assert changes == []


def test_breaker_half_opens_only_after_the_cooldown() -> None:
    clock = FakeClock()
    breaker, changes = make(clock)
    open_it(breaker)
    clock.now += 29.999
    assert breaker.state is OPEN
    assert not breaker.allows()
    assert not breaker.acquire()
    clock.now += 0.001
    assert breaker.allows()
    assert breaker.state is HALF_OPEN
    assert changes[-1] == ("p1", OPEN, HALF_OPEN)
    assert breaker.retry_at() is None


def test_breaker_acquire_after_cooldown_takes_the_only_probe_slot() -> None:
    clock = FakeClock()
    breaker, changes = make(clock)
    open_it(breaker)
    clock.now += 30
    assert breaker.acquire()
    assert changes[-1] == ("p1", OPEN, HALF_OPEN)
    assert not breaker.allows()
    assert not breaker.acquire()
    assert breaker.snapshot()["half_open_in_flight"] == 1


def test_breaker_half_open_success_closes() -> None:
    clock = FakeClock()
    breaker, changes = make(clock)
    open_it(breaker)
    clock.now += 31
    assert breaker.acquire()
    breaker.success()
    assert breaker.state is CLOSED
    assert changes == [("p1", CLOSED, OPEN), ("p1", OPEN, HALF_OPEN), ("p1", HALF_OPEN, CLOSED)]
    snap = breaker.snapshot()
    assert snap["consecutive_failures"] == 0 and snap["opened_at"] is None
    # A closed circuit starts counting from zero again.
    for _ in range(4):
        breaker.acquire()
        breaker.failure()
    assert breaker.state is CLOSED


def test_breaker_half_open_failure_reopens_and_restarts_cooldown() -> None:
    clock = FakeClock()
    breaker, changes = make(clock)
    open_it(breaker)
    clock.now += 45
    assert breaker.acquire()
    breaker.failure()
    assert breaker.state is OPEN
    assert changes[-1] == ("p1", HALF_OPEN, OPEN)
    assert breaker.retry_at() == 1045.0 + 30.0
    clock.now += 29
    assert not breaker.acquire()
    clock.now += 1
    assert breaker.acquire()


def test_breaker_needs_success_threshold_successes_to_close() -> None:
    clock = FakeClock()
    breaker, changes = make(clock, success_threshold=3, half_open_probes=2)
    open_it(breaker)
    clock.now += 30
    assert breaker.acquire() and breaker.acquire() and not breaker.acquire()
    breaker.success()
    assert breaker.state is HALF_OPEN
    assert breaker.acquire()  # the freed slot is handed out again
    breaker.success()
    assert breaker.state is HALF_OPEN
    breaker.success()
    assert breaker.state is CLOSED
    assert [c[2] for c in changes] == [OPEN, HALF_OPEN, CLOSED]


def test_breaker_half_open_failure_after_a_partial_success_reopens() -> None:
    clock = FakeClock()
    breaker, changes = make(clock, success_threshold=2)
    open_it(breaker)
    clock.now += 30
    assert breaker.acquire()
    breaker.success()
    assert breaker.acquire()
    breaker.failure()
    assert breaker.state is OPEN and breaker.retry_at() == 1060.0
    assert [c[2] for c in changes] == [OPEN, HALF_OPEN, OPEN]
    # The next trial starts from zero successes.
    clock.now += 30
    assert breaker.acquire()
    breaker.success()
    assert breaker.state is HALF_OPEN


def test_breaker_cancelled_frees_a_probe_slot_and_counts_nothing() -> None:
    clock = FakeClock()
    breaker, changes = make(clock)
    breaker.acquire()
    breaker.failure()
    breaker.acquire()
    breaker.cancelled()
    assert breaker.snapshot()["consecutive_failures"] == 1
    breaker.success()
    open_it(breaker)
    clock.now += 30
    assert breaker.acquire()
    seen = len(changes)
    breaker.cancelled()
    assert breaker.state is HALF_OPEN and len(changes) == seen
    assert breaker.allows()
    breaker.cancelled()  # nothing held: must not hand out an extra slot
    assert breaker.acquire() and not breaker.acquire()


def test_breaker_ignores_outcomes_while_open() -> None:
    clock = FakeClock()
    breaker, changes = make(clock)
    open_it(breaker)
    clock.now += 20
    breaker.failure()  # a straggler must not push the retry time back
    breaker.success()  # nor close the circuit without a trial
    assert breaker.state is OPEN
    assert breaker.retry_at() == 1030.0
    assert len(changes) == 1


def test_breaker_drops_outcomes_from_an_earlier_generation() -> None:
    clock = FakeClock()
    breaker, _ = make(clock, failure_threshold=1)
    assert breaker.acquire()
    straggler = breaker.generation
    assert breaker.acquire()
    breaker.failure(generation=breaker.generation)
    assert breaker.state is OPEN
    clock.now += 30
    assert breaker.acquire()
    probe = breaker.generation
    assert probe != straggler
    breaker.success(generation=straggler)
    breaker.cancelled(generation=straggler)
    assert breaker.state is HALF_OPEN and not breaker.allows()
    breaker.failure(generation=straggler)
    assert breaker.state is HALF_OPEN
    breaker.success(generation=probe)
    assert breaker.state is CLOSED
    breaker.failure(generation=probe)  # the probe's generation is over too
    assert breaker.state is CLOSED and breaker.snapshot()["consecutive_failures"] == 0


def test_breaker_allows_is_pure() -> None:
    clock = FakeClock()
    breaker, changes = make(clock)
    open_it(breaker)
    clock.now += 30
    before = (breaker.generation, len(changes))
    for _ in range(3):
        assert breaker.allows()
    assert (breaker.generation, len(changes)) == before
    assert breaker.retry_at() == 1030.0  # still OPEN underneath until acquired


def test_breaker_closed_path_does_not_read_the_clock() -> None:
    clock = FakeClock()
    breaker, _ = make(clock)
    for _ in range(100):
        assert breaker.allows() and breaker.acquire()
        breaker.success()
        breaker.failure()
        breaker.cancelled()
        breaker.success()
    assert breaker.state is CLOSED
    assert clock.reads == 0


def test_breaker_snapshot_reports_retry_in() -> None:
    clock = FakeClock()
    breaker, _ = make(clock, cooldown=10)
    assert breaker.snapshot() == {
        "name": "p1",
        "state": "closed",
        "consecutive_failures": 0,
        "opened_at": None,
        "retry_in": None,
        "half_open_in_flight": 0,
        "generation": 0,
    }
    open_it(breaker)
    clock.now += 4
    snap = breaker.snapshot()
    assert (snap["state"], snap["opened_at"], snap["retry_in"]) == ("open", 1000.0, 6.0)
    assert snap["consecutive_failures"] == 5
    clock.now += 6
    assert breaker.snapshot()["state"] == "half_open"
    assert breaker.snapshot()["retry_in"] is None


def test_breaker_on_change_errors_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(name: str, old: CircuitState, new: CircuitState) -> None:
        raise RuntimeError("metrics down")

    breaker = CircuitBreaker(
        BreakerSettings(failure_threshold=1), clock=FakeClock(), name="p9", on_change=broken
    )
    with caplog.at_level(logging.WARNING, logger="cc_relay.health"):
        breaker.failure()
    assert breaker.state is OPEN
    assert "on_change callback failed for circuit p9" in caplog.text


def test_breaker_on_change_sees_the_new_state() -> None:
    clock = FakeClock()
    seen: list[tuple[CircuitState, float | None]] = []
    breaker: CircuitBreaker

    def record(name: str, old: CircuitState, new: CircuitState) -> None:
        seen.append((breaker.state, breaker.retry_at()))

    breaker = CircuitBreaker(BreakerSettings(failure_threshold=1), clock=clock, on_change=record)
    breaker.failure()
    clock.now += 30
    breaker.acquire()
    breaker.success()
    assert seen == [(OPEN, 1030.0), (HALF_OPEN, None), (CLOSED, None)]


def test_breaker_keeps_the_cause_of_the_failure_that_moved_it() -> None:
    breaker = CircuitBreaker(BreakerSettings(failure_threshold=2), clock=FakeClock())
    breaker.failure(cause="status 529")
    breaker.failure(cause="connection refused")
    assert breaker.state is OPEN and breaker.cause == "connection refused"


def test_breaker_retune_keeps_the_state_and_uses_the_new_cooldown() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(BreakerSettings(failure_threshold=1, cooldown=30), clock=clock)
    breaker.failure()
    breaker.retune(BreakerSettings(failure_threshold=1, cooldown=5))
    assert breaker.state is OPEN
    clock.now += 5
    assert breaker.state is HALF_OPEN


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("failure_threshold", 0),
        ("failure_threshold", 2.5),
        ("failure_threshold", True),
        ("half_open_probes", 0),
        ("success_threshold", -1),
        ("cooldown", -1.0),
        ("cooldown", float("inf")),
        ("cooldown", float("nan")),
        ("cooldown", "30"),
    ],
)
def test_breaker_settings_reject_bad_values(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"^health: invalid breaker settings: {field} "):
        BreakerSettings(**{field: value})  # type: ignore[arg-type]


def test_breaker_settings_report_every_problem() -> None:
    with pytest.raises(ValueError) as caught:
        BreakerSettings(failure_threshold=0, cooldown=-1, half_open_probes=0)
    message = str(caught.value)
    assert all(f in message for f in ("failure_threshold", "cooldown", "half_open_probes"))
    assert BreakerSettings(cooldown=0).cooldown == 0
