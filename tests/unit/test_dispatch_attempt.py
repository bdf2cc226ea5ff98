"""AttemptScope and Plan.failed: an attempt's bookkeeping, outcome by outcome."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from multidict import CIMultiDict

from cc_relay.config import ProviderConfig, RoutingConfig
from cc_relay.dispatch import AttemptScope, Exchange, Opened
from cc_relay.errors import (
    UpstreamConnectError,
    UpstreamCredentialError,
    UpstreamStatusError,
)
from cc_relay.events import AttemptFinished, EventBus, KeyCooledDown
from cc_relay.health import CircuitState
from cc_relay.providers import Provider, create
from cc_relay.routing import Router
from cc_relay.routing.context import RouteContext
from cc_relay.routing.plan import Plan
from cc_relay.types import UpstreamAnswer, Usage


def _provider(name: str, **extra: Any) -> Provider:
    return create(ProviderConfig.model_validate({"name": name, "type": "anthropic", **extra}))


def _setup(**circuit: int) -> tuple[Router, Plan, Exchange, EventBus]:
    router = Router(
        [
            _provider("a", priority=2, keys=["key-1", "key-2"], circuit=circuit),
            _provider("b", priority=1),
        ],
        RoutingConfig(strategy="failover"),
    )
    plan = router.plan("claude-opus-4-8", RouteContext(model="claude-opus-4-8"))
    events = EventBus()
    return router, plan, Exchange("req_1", "POST", "/v1/messages", events), events


def _published(events: EventBus) -> list[Any]:
    sub_events: list[Any] = []
    # Read the ring directly: these tests run no subscriber tasks.
    sub = events.subscribe("test")
    sub.cursor = 0
    sub_events.extend(events._read(sub))
    return sub_events


def _opened(scope: AttemptScope) -> Opened:
    response = SimpleNamespace(headers=CIMultiDict())
    return Opened(scope.attempt, cast(Any, response), b"{}", None)


async def _fail(router: Router, plan: Plan, exchange: Exchange, exc: Exception) -> AttemptScope:
    attempt = plan.next()
    assert attempt is not None
    scope = AttemptScope(plan, attempt, exchange)
    async with scope:
        assert router.stats[attempt.provider.name].in_flight == 1
        raise exc
    return scope


async def test_success_stays_in_flight_until_settled() -> None:
    router, plan, exchange, events = _setup()
    attempt = plan.next()
    assert attempt is not None and attempt.lease is not None
    scope = AttemptScope(plan, attempt, exchange)
    async with scope:
        scope.opened = _opened(scope)
    assert router.stats["a"].in_flight == 1 and exchange.provider == "a"
    scope.settle(Usage(input_tokens=10, output_tokens=5))
    scope.settle(Usage(input_tokens=10, output_tokens=5))  # idempotent
    assert router.stats["a"].in_flight == 0
    (finished,) = [e for e in _published(events) if isinstance(e, AttemptFinished)]
    assert finished.error is None and finished.status == 200 and finished.ttfb is not None


async def test_429_rests_the_key_and_tries_the_next_key_of_the_same_provider() -> None:
    router, plan, exchange, events = _setup()
    answer = UpstreamAnswer(429, {"retry-after": "42"}, b'{"error": {"message": "slow"}}')
    scope = await _fail(router, plan, exchange, UpstreamStatusError(answer))
    assert isinstance(scope.failure, UpstreamStatusError)
    assert plan.last_failure_was_key and router.stats["a"].in_flight == 0
    assert router.breakers["a"].state is CircuitState.CLOSED
    (rested,) = [e for e in _published(events) if isinstance(e, KeyCooledDown)]
    assert rested.provider == "a" and rested.seconds == 42 and rested.reason == "status 429"
    following = plan.next()
    assert following is not None and following.provider.name == "a"
    assert following.lease is not None and following.lease.fingerprint != rested.key
    assert exchange.retried == ["a: status 429"]


async def test_connect_errors_count_toward_the_circuit_and_move_on() -> None:
    router, plan, exchange, _ = _setup(failure_threshold=1)
    await _fail(router, plan, exchange, UpstreamConnectError("refused"))
    assert router.breakers["a"].state is CircuitState.OPEN
    assert router.breakers["a"].cause == "refused"
    following = plan.next()
    assert following is not None and following.provider.name == "b"


async def test_credential_failures_never_open_a_circuit() -> None:
    router, plan, exchange, _ = _setup(failure_threshold=1)
    await _fail(router, plan, exchange, UpstreamCredentialError("no token"))
    assert router.breakers["a"].state is CircuitState.CLOSED
    following = plan.next()
    assert following is not None and following.provider.name == "b"


async def test_a_client_error_is_no_failure_of_the_provider() -> None:
    router, plan, exchange, _ = _setup(failure_threshold=1)
    answer = UpstreamAnswer(400, {}, b'{"error": {"message": "bad"}}')
    await _fail(router, plan, exchange, UpstreamStatusError(answer))
    assert router.breakers["a"].state is CircuitState.CLOSED
    assert not plan.last_failure_was_key


async def test_cancellation_refunds_and_propagates() -> None:
    router, plan, exchange, events = _setup(failure_threshold=1)
    attempt = plan.next()
    assert attempt is not None and attempt.lease is not None
    before = router.pools["a"].snapshot()[0]
    with pytest.raises(asyncio.CancelledError):
        async with AttemptScope(plan, attempt, exchange):
            raise asyncio.CancelledError
    after = router.pools["a"].snapshot()[0]
    assert after.in_flight == 0 and after.buckets == before.buckets
    assert router.breakers["a"].state is CircuitState.CLOSED
    (finished,) = [e for e in _published(events) if isinstance(e, AttemptFinished)]
    assert finished.error == "cancelled"
