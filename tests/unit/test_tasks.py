"""``tasks.stop``: a background task ends even when it swallows cancels."""

from __future__ import annotations

import asyncio

import pytest

from cc_relay.tasks import stop


async def test_stop_ends_a_task_however_often_it_swallows_a_cancel() -> None:
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while swallowed < 3:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                swallowed += 1  # as a loop does that took the cancel for an error
        raise RuntimeError("its own error, retrieved by stop")

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await stop(task)
    assert swallowed == 3 and isinstance(task.exception(), RuntimeError)


async def test_a_cancel_of_the_caller_ends_the_wait() -> None:
    stubborn = True

    async def swallowing() -> None:
        while True:
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                if not stubborn:
                    raise

    task = asyncio.create_task(swallowing())
    stopping = asyncio.create_task(stop(task))
    await asyncio.sleep(0.05)
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert not task.done()
    stubborn = False
    await stop(task)
    assert task.cancelled()
