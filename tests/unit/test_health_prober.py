"""The active prober: recovery, failures, hangs, errors and a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from cc_relay.health import (
    BreakerSettings,
    CircuitBreaker,
    CircuitState,
    HealthProber,
    ProbeTarget,
)

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    """A real server on 127.0.0.1 whose health the tests switch."""

    def __init__(self) -> None:
        self.status = 200
        self.hits = 0
        self.url = ""

    async def health(self, request: web.Request) -> web.Response:
        self.hits += 1
        return web.json_response({"ok": self.status == 200}, status=self.status)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    up = Upstream()
    app = web.Application()
    app.router.add_get("/health", up.health)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    up.url = f"http://127.0.0.1:{port}/health"
    yield up
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def http_probe(session: aiohttp.ClientSession, url: str) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        async with session.get(url) as response:
            return response.status == 200

    return probe


def opened(clock: FakeClock, *, cooldown: float = 30.0, **settings: int) -> CircuitBreaker:
    breaker = CircuitBreaker(
        BreakerSettings(failure_threshold=1, cooldown=cooldown, **settings), clock=clock, name="up"
    )
    breaker.failure()
    assert breaker.retry_at() == clock.now + cooldown  # open (reading .state could move it)
    return breaker


async def eventually(check: Callable[[], bool], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.005)


def only_this_task() -> bool:
    return asyncio.all_tasks() == {asyncio.current_task()}


def no_prober_tasks() -> bool:
    # The prober names its tasks; the test server's keep-alive handlers are not ours.
    return not [t for t in asyncio.all_tasks() if t.get_name().startswith("cc_relay.health")]


async def test_prober_recovers_an_open_breaker(
    upstream: Upstream, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    breaker = opened(clock)
    target = ProbeTarget("up", breaker, http_probe(session, upstream.url))
    with caplog.at_level(logging.INFO, logger="cc_relay.health"):
        async with HealthProber(lambda: [target], interval=0.01, timeout=2) as prober:
            await asyncio.sleep(0.05)
            assert upstream.hits == 0, "probed before the cooldown passed"
            assert breaker.state is OPEN
            clock.now += 30
            await eventually(lambda: breaker.state is CLOSED)
            assert prober.running
    assert upstream.hits == 1
    assert not prober.running
    assert "up recovered: probe passed, circuit closed" in caplog.text
    assert [r.levelno for r in caplog.records if "recovered" in r.getMessage()] == [logging.INFO]
    assert no_prober_tasks()


async def test_prober_leaves_a_failing_breaker_open(
    upstream: Upstream, session: aiohttp.ClientSession
) -> None:
    upstream.status = 529
    clock = FakeClock()
    breaker = opened(clock)
    prober = HealthProber(lambda: [ProbeTarget("up", breaker, http_probe(session, upstream.url))])
    clock.now += 31
    assert await prober.probe_round() == {"up": False}
    assert breaker.state is OPEN
    assert breaker.retry_at() == 131.0 + 30.0  # cooldown restarted at the failed probe
    assert await prober.probe_round() == {}  # still cooling down: not probed again
    assert upstream.hits == 1
    upstream.status = 200
    clock.now += 30
    assert await prober.probe_round() == {"up": True}
    assert breaker.state is CLOSED


async def test_prober_connection_refused_counts_as_failure(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:  # a port on 127.0.0.1 that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clock = FakeClock()
    breaker = opened(clock)
    clock.now += 30
    prober = HealthProber(
        lambda: [ProbeTarget("up", breaker, http_probe(session, f"http://127.0.0.1:{port}/health"))]
    )
    with caplog.at_level(logging.DEBUG, logger="cc_relay.health"):
        assert await prober.probe_round() == {"up": False}
    assert breaker.state is OPEN and breaker.retry_at() == 130.0 + 30.0
    assert "probe for up failed: ClientConnectorError" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_prober_survives_a_probe_that_raises(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    breaker = opened(clock, cooldown=0)
    calls = 0

    async def broken() -> bool:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("sk-ant-secret leaked into a message")
        return True

    with caplog.at_level(logging.INFO, logger="cc_relay.health"):
        async with HealthProber(lambda: [ProbeTarget("up", breaker, broken)], interval=0.01):
            await eventually(lambda: breaker.state is CLOSED)
    assert calls == 2  # the first probe failed and reopened it; the loop went on
    assert "probe for up raised RuntimeError" in caplog.text
    assert "sk-ant-secret" not in caplog.text
    assert only_this_task()


async def test_prober_times_out_a_hanging_probe() -> None:
    clock = FakeClock()
    breaker = opened(clock)
    clock.now += 30
    cancelled = asyncio.Event()

    async def hangs() -> bool:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return True

    prober = HealthProber(lambda: [ProbeTarget("up", breaker, hangs)], timeout=0.05)
    async with asyncio.timeout(2):
        assert await prober.probe_round() == {"up": False}
    assert cancelled.is_set()
    assert breaker.state is OPEN and breaker.retry_at() == 130.0 + 30.0


async def test_prober_close_cancels_a_probe_in_flight_and_frees_its_slot() -> None:
    clock = FakeClock()
    breaker = opened(clock, cooldown=0)
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hangs() -> bool:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return True

    prober = HealthProber(lambda: [ProbeTarget("up", breaker, hangs)], interval=0.01, timeout=60)
    await prober.start()
    await asyncio.wait_for(started.wait(), 2)
    assert breaker.state is HALF_OPEN and not breaker.allows()
    await prober.close()
    assert cancelled.is_set()
    # Shutdown says nothing about the provider: no failure, and the slot is free again.
    assert breaker.state is HALF_OPEN and breaker.allows()
    assert not prober.running
    assert only_this_task()
    await prober.close()  # idempotent
    with pytest.raises(RuntimeError, match=r"^health: the prober is closed"):
        await prober.start()


async def test_prober_start_is_idempotent_and_close_before_start_is_fine() -> None:
    never = HealthProber(lambda: [])
    await never.close()
    prober = HealthProber(lambda: [], interval=0.01)
    await prober.start()
    await prober.start()
    assert len(asyncio.all_tasks()) == 2  # this test and one prober task
    await prober.close()
    assert only_this_task()


async def test_prober_never_probes_closed_or_cooling_circuits() -> None:
    clock = FakeClock()
    calls: list[str] = []

    def probe(name: str) -> Callable[[], Awaitable[bool]]:
        async def run() -> bool:
            calls.append(name)
            return True

        return run

    closed = CircuitBreaker(clock=clock)
    cooling = opened(clock)
    prober = HealthProber(
        lambda: [
            ProbeTarget("closed", closed, probe("closed")),
            ProbeTarget("cooling", cooling, probe("cooling")),
        ]
    )
    assert await prober.probe_round() == {}
    assert calls == []
    assert cooling.state is OPEN and closed.state is CLOSED


async def test_prober_runs_one_probe_per_breaker_and_targets_concurrently() -> None:
    clock = FakeClock()
    shared = opened(clock, cooldown=0, half_open_probes=3)
    other = opened(clock, cooldown=0)
    a_started, b_started = asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def probe_a() -> bool:
        calls.append("a")
        a_started.set()
        await b_started.wait()  # only returns if b runs at the same time
        return True

    async def probe_b() -> bool:
        calls.append("b")
        b_started.set()
        await a_started.wait()
        return True

    targets = [
        ProbeTarget("a", shared, probe_a),
        ProbeTarget("a-again", shared, probe_a),
        ProbeTarget("b", other, probe_b),
    ]
    prober = HealthProber(lambda: targets, timeout=2)
    assert await prober.probe_round() == {"a": True, "b": True}
    assert sorted(calls) == ["a", "b"]
    assert shared.state is CLOSED and other.state is CLOSED


async def test_prober_half_open_with_success_threshold_takes_several_rounds() -> None:
    clock = FakeClock()
    breaker = opened(clock, cooldown=0, success_threshold=2)

    async def healthy() -> bool:
        return True

    prober = HealthProber(lambda: [ProbeTarget("up", breaker, healthy)])
    assert await prober.probe_round() == {"up": True}
    assert breaker.state is HALF_OPEN
    assert await prober.probe_round() == {"up": True}
    assert breaker.state is CLOSED


async def test_prober_skips_a_breaker_whose_trial_slot_is_taken() -> None:
    clock = FakeClock()
    breaker = opened(clock, cooldown=0)
    assert breaker.acquire()  # a user request is the trial right now
    calls = 0

    async def healthy() -> bool:
        nonlocal calls
        calls += 1
        return True

    prober = HealthProber(lambda: [ProbeTarget("up", breaker, healthy)])
    assert await prober.probe_round() == {}
    assert calls == 0 and breaker.state is HALF_OPEN


async def test_prober_survives_targets_that_raise(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    breaker = opened(clock, cooldown=0)
    rounds = 0

    async def healthy() -> bool:
        return True

    def targets() -> list[ProbeTarget]:
        nonlocal rounds
        rounds += 1
        if rounds == 1:
            raise KeyError("config reload in progress")
        return [ProbeTarget("up", breaker, healthy)]

    with caplog.at_level(logging.WARNING, logger="cc_relay.health"):
        async with HealthProber(targets, interval=0.01):
            await eventually(lambda: breaker.state is CLOSED)
    assert rounds >= 2
    assert "listing probe targets failed" in caplog.text
    assert only_this_task()


async def test_prober_close_propagates_its_own_cancellation() -> None:
    clock = FakeClock()
    breaker = opened(clock, cooldown=0)
    release = asyncio.Event()

    async def stubborn() -> bool:
        # Ignores the first cancel, so close() has to wait for it.
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await release.wait()
            raise
        return True

    prober = HealthProber(lambda: [ProbeTarget("up", breaker, stubborn)], interval=0.01, timeout=60)
    await prober.start()
    await eventually(lambda: not breaker.allows())
    closer = asyncio.create_task(prober.close())
    await asyncio.sleep(0.02)
    closer.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await closer
    await eventually(only_this_task)
    assert breaker.allows()


@pytest.mark.parametrize(
    "kwargs",
    [{"interval": 0}, {"timeout": -1}, {"interval": float("inf")}, {"timeout": float("nan")}],
)
def test_prober_rejects_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"^health: invalid prober settings"):
        HealthProber(lambda: [], **kwargs)
