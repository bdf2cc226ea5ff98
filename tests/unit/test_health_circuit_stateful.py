"""Stateful property test: the breaker against a reference model, under a fake clock.

Every request is a ticket holding the generation it was acquired in, and its outcome is
reported with that generation, as the request path does. Tickets may be resolved in any
order and long after the circuit moved on, so stragglers are exercised too.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from cc_relay.health import BreakerSettings, CircuitBreaker, CircuitState

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN
EDGES = {(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, OPEN), (HALF_OPEN, CLOSED)}
OUTCOMES = st.sampled_from(["success", "failure", "cancelled"])


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


class BreakerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.changes: list[tuple[CircuitState, CircuitState]] = []
        self.seen = 0
        # The reference model.
        self.state = CLOSED
        self.gen = 0
        self.failures = 0
        self.successes = 0
        self.opened_at: float | None = None
        self.tickets: list[int] = []

    @initialize(
        threshold=st.integers(1, 5),
        cooldown=st.sampled_from([0.0, 0.5, 30.0]) | st.floats(0, 100),
        probes=st.integers(1, 3),
        needed=st.integers(1, 3),
    )
    def build(self, threshold: int, cooldown: float, probes: int, needed: int) -> None:
        self.settings = BreakerSettings(
            failure_threshold=threshold,
            cooldown=cooldown,
            half_open_probes=probes,
            success_threshold=needed,
        )
        self.breaker = CircuitBreaker(
            self.settings,
            clock=self.clock,
            name="m",
            on_change=lambda name, old, new: self.changes.append((old, new)),
        )

    # -- the model --------------------------------------------------------------------

    def cooled(self) -> bool:
        assert self.opened_at is not None
        return self.clock.now >= self.opened_at + self.settings.cooldown

    def live(self) -> int:
        """Trial requests in flight: tickets of the current half-open generation."""
        return sum(1 for g in self.tickets if g == self.gen) if self.state is HALF_OPEN else 0

    def move(self, new: CircuitState, expected: list[tuple[CircuitState, CircuitState]]) -> None:
        if (self.state, new) == (CLOSED, OPEN):
            # The property itself: a closed circuit opens only after `threshold`
            # consecutive failures with no success in between.
            assert self.failures >= self.settings.failure_threshold
        if (self.state, new) == (HALF_OPEN, CLOSED):
            assert self.successes >= self.settings.success_threshold
        if (self.state, new) == (OPEN, HALF_OPEN):
            assert self.cooled()
        expected.append((self.state, new))
        self.state = new
        self.gen += 1
        self.successes = 0
        if new is OPEN:
            self.opened_at = self.clock.now
        elif new is CLOSED:
            self.failures = 0
            self.opened_at = None

    def check_changes(self, expected: list[tuple[CircuitState, CircuitState]]) -> None:
        assert self.changes[self.seen :] == expected
        self.seen = len(self.changes)
        assert self.breaker.generation == self.gen

    # -- rules ------------------------------------------------------------------------

    @rule()
    def acquire(self) -> None:
        allowed = self.breaker.allows()
        expected: list[tuple[CircuitState, CircuitState]] = []
        if self.state is OPEN and self.cooled():
            self.move(HALF_OPEN, expected)
        want = {CLOSED: True, OPEN: False}.get(
            self.state, self.live() < self.settings.half_open_probes
        )
        got = self.breaker.acquire()
        assert got is want is allowed
        self.check_changes(expected)
        if got:
            self.tickets.append(self.gen)

    @precondition(lambda self: self.tickets)
    @rule(index=st.integers(0, 1_000), outcome=OUTCOMES)
    def resolve(self, index: int, outcome: str) -> None:
        generation = self.tickets.pop(index % len(self.tickets))
        self.report(outcome, generation)

    @precondition(lambda self: self.state is not HALF_OPEN)
    @rule(outcome=OUTCOMES)
    def report_without_generation(self, outcome: str) -> None:
        # Callers that do not track generations: in CLOSED and OPEN there is no trial
        # slot to misattribute, so the model still knows exactly what must happen.
        self.report(outcome, None)

    def report(self, outcome: str, generation: int | None) -> None:
        expected: list[tuple[CircuitState, CircuitState]] = []
        before = (self.failures, self.successes, self.gen)
        current = generation is None or generation == self.gen
        if current and self.state is not OPEN:
            if outcome == "success":
                self.failures = 0
                if self.state is HALF_OPEN:
                    self.successes += 1
                    if self.successes >= self.settings.success_threshold:
                        self.move(CLOSED, expected)
            elif outcome == "failure":
                self.failures += 1
                if self.state is HALF_OPEN or self.failures >= self.settings.failure_threshold:
                    self.move(OPEN, expected)
        getattr(self.breaker, outcome)(generation=generation)
        self.check_changes(expected)
        if outcome == "cancelled" or not current:
            # Neither a cancellation nor a straggler may count for anything.
            assert (self.failures, self.successes, self.gen) == before
            assert expected == []

    @rule(seconds=st.sampled_from([0.0, 0.25, 1.0, 29.0, 30.0]) | st.floats(0, 120))
    def advance(self, seconds: float) -> None:
        self.clock.now += seconds

    @rule()
    def read_state(self) -> None:
        expected: list[tuple[CircuitState, CircuitState]] = []
        if self.state is OPEN and self.cooled():
            self.move(HALF_OPEN, expected)
        assert self.breaker.state is self.state
        self.check_changes(expected)

    @rule()
    def snapshot(self) -> None:
        expected: list[tuple[CircuitState, CircuitState]] = []
        if self.state is OPEN and self.cooled():
            self.move(HALF_OPEN, expected)
        snap = self.breaker.snapshot()
        self.check_changes(expected)
        assert snap["state"] == self.state.value
        assert snap["consecutive_failures"] == self.failures
        assert snap["half_open_in_flight"] == self.live()
        assert snap["generation"] == self.gen
        if self.state is OPEN:
            assert self.opened_at is not None
            assert snap["retry_in"] == max(
                0.0, self.opened_at + self.settings.cooldown - self.clock.now
            )
        else:
            assert snap["retry_in"] is None
        if self.state is CLOSED:
            assert snap["opened_at"] is None
        else:
            assert snap["opened_at"] == self.opened_at

    # -- invariants (they must not move the breaker) ----------------------------------

    @invariant()
    def transitions_are_legal_and_chained(self) -> None:
        previous = CLOSED
        for old, new in self.changes:
            assert (old, new) in EDGES
            assert old is previous
            previous = new

    @invariant()
    def retry_at_is_consistent(self) -> None:
        retry_at = self.breaker.retry_at()
        if self.state is OPEN:
            assert self.opened_at is not None
            assert retry_at == self.opened_at + self.settings.cooldown
            assert self.breaker.allows() is (self.clock.now >= retry_at)
        else:
            assert retry_at is None

    @invariant()
    def allows_is_pure_and_right(self) -> None:
        count, gen = len(self.changes), self.breaker.generation
        allowed = self.breaker.allows()
        assert self.breaker.allows() is allowed
        assert (len(self.changes), self.breaker.generation) == (count, gen)
        if self.state is CLOSED:
            assert allowed
        elif self.state is HALF_OPEN:
            assert allowed is (self.live() < self.settings.half_open_probes)

    @invariant()
    def half_open_trials_are_bounded(self) -> None:
        assert self.live() <= self.settings.half_open_probes


BreakerMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=60, deadline=None)
TestBreakerStateMachine = BreakerMachine.TestCase
