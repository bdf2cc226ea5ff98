"""The event bus: O(1) publish, batched reads per subscriber, drops counted, never raised."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from cc_relay.events import ConfigReloaded, Event, EventBus, pump


def _events(n: int) -> list[ConfigReloaded]:
    return [ConfigReloaded(generation=i, ok=True) for i in range(n)]


async def test_each_subscriber_reads_every_event_in_order() -> None:
    bus = EventBus(capacity=8)
    seen: dict[str, list[Event]] = {"a": [], "b": []}
    task = asyncio.create_task(pump(*((bus.subscribe(name), seen[name].extend) for name in seen)))
    await asyncio.sleep(0)
    published = _events(5)
    for event in published[:2]:
        bus.publish(event)
    await asyncio.sleep(0)
    for event in published[2:]:
        bus.publish(event)
    await bus.flush()
    assert seen["a"] == seen["b"] == published
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert bus.subscriptions == ()  # a stopped pump lets go of its cursors


async def test_a_subscriber_that_falls_behind_skips_ahead_and_counts_the_loss() -> None:
    bus = EventBus(capacity=4)
    sub = bus.subscribe("slow")
    for event in _events(10):
        bus.publish(event)
    batches: list[list[int]] = []
    task = asyncio.create_task(
        pump((sub, lambda batch: batches.append([e.generation for e in batch])))  # type: ignore[union-attr]
    )
    await asyncio.sleep(0)
    assert batches == [[6, 7, 8, 9]]
    assert sub.dropped == 6
    task.cancel()


async def test_a_failing_handler_is_logged_and_keeps_receiving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus(capacity=8)
    received: list[int] = []

    def handler(batch: Sequence[Event]) -> None:
        received.extend(e.generation for e in batch)  # type: ignore[union-attr]
        raise RuntimeError("subscriber bug")

    healthy: list[Event] = []
    task = asyncio.create_task(
        pump((bus.subscribe("buggy"), handler), (bus.subscribe("healthy"), healthy.extend))
    )
    await asyncio.sleep(0)
    bus.publish(_events(1)[0])
    await bus.flush()
    bus.publish(ConfigReloaded(generation=2, ok=True))
    await bus.flush()
    assert received == [0, 2]
    assert [e.generation for e in healthy] == [0, 2]  # type: ignore[union-attr]
    assert "subscriber 'buggy' failed" in caplog.text
    task.cancel()


def test_capacity_must_be_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        EventBus(capacity=6)
