"""TokenCache: when cloud access tokens are fetched, shared, renewed and given up on.

A fake clock drives expiry; a gated fake fetch shows whether a request waited.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from cc_relay.errors import TokenError
from cc_relay.providers._credentials import RETRY_DELAY, Token, TokenCache, reason


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Fetcher:
    """Mints `t1`, `t2`, ... living `lifetime` seconds; `gate` holds a fetch back."""

    def __init__(self, clock: Clock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.fail: Exception | None = None

    async def __call__(self) -> Token:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return Token(f"t{self.calls}", self.clock.now + self.lifetime)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fetch(clock: Clock) -> Fetcher:
    return Fetcher(clock)


@pytest.fixture
async def cache(fetch: Fetcher, clock: Clock) -> AsyncIterator[TokenCache]:
    tokens = TokenCache(fetch, name="test", clock=clock)
    yield tokens
    await tokens.close()


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_token_fetched_once_and_reused(
    cache: TokenCache, fetch: Fetcher, clock: Clock
) -> None:
    assert await cache.get() == "t1"
    clock.now += 3000
    assert await cache.get() == "t1"
    assert fetch.calls == 1


async def test_concurrent_first_requests_share_one_fetch(cache: TokenCache, fetch: Fetcher) -> None:
    fetch.gate = asyncio.Event()
    waiting = [asyncio.ensure_future(cache.get()) for _ in range(5)]
    await _settle()
    assert not any(w.done() for w in waiting)
    fetch.gate.set()
    assert await asyncio.gather(*waiting) == ["t1"] * 5
    assert fetch.calls == 1


async def test_renewal_starts_in_background_near_expiry(
    cache: TokenCache, fetch: Fetcher, clock: Clock
) -> None:
    await cache.get()
    clock.now += 3600 - 301
    await cache.get()
    assert fetch.calls == 1  # not yet within 300 s of expiry
    clock.now += 2
    fetch.gate = asyncio.Event()
    # The request is answered at once with the current token, renewal still pending.
    assert await asyncio.wait_for(cache.get(), 0.1) == "t1"
    assert await asyncio.wait_for(cache.get(), 0.1) == "t1"
    await _settle()
    assert fetch.calls == 2
    fetch.gate.set()
    await _settle()
    assert await cache.get() == "t2"
    assert cache.renewals == 2


async def test_short_lived_token_renewed_at_half_life(clock: Clock) -> None:
    fetch = Fetcher(clock, lifetime=10)
    cache = TokenCache(fetch, name="test", clock=clock)
    await cache.get()
    clock.now += 4.9
    await cache.get()
    assert fetch.calls == 1
    clock.now += 0.2
    assert await cache.get() == "t1"
    await _settle()
    assert fetch.calls == 2
    assert await cache.get() == "t2"
    await cache.close()


async def test_expired_token_makes_the_request_wait(
    cache: TokenCache, fetch: Fetcher, clock: Clock
) -> None:
    await cache.get()
    clock.now += 3600 - 5  # inside the last 10 s: never sent
    fetch.gate = asyncio.Event()
    waiting = asyncio.ensure_future(cache.get())
    await _settle()
    assert not waiting.done()
    fetch.gate.set()
    assert await waiting == "t2"


async def test_background_failure_keeps_current_token_and_retries_later(
    cache: TokenCache, fetch: Fetcher, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    await cache.get()
    clock.now += 3400
    fetch.fail = RuntimeError("token endpoint down")
    with caplog.at_level(logging.WARNING, logger="cc_relay.providers"):
        assert await cache.get() == "t1"
        await _settle()
    assert fetch.calls == 2
    assert "token endpoint down" in caplog.text
    assert await cache.get() == "t1"
    await _settle()
    assert fetch.calls == 2  # no retry before RETRY_DELAY
    clock.now += RETRY_DELAY
    fetch.fail = None
    assert await cache.get() == "t1"
    await _settle()
    assert fetch.calls == 3
    assert await cache.get() == "t3"


async def test_foreground_failure_raises_token_error(cache: TokenCache, fetch: Fetcher) -> None:
    fetch.fail = RuntimeError("refused\nwith a long second line")
    with pytest.raises(TokenError) as caught:
        await cache.get()
    assert str(caught.value) == "test: RuntimeError: refused"
    fetch.fail = None
    assert await cache.get() == "t2"  # the next request tries again


async def test_token_error_from_fetch_is_kept(cache: TokenCache, fetch: Fetcher) -> None:
    fetch.fail = TokenError("provider 'v': Google token request failed: invalid_grant")
    with pytest.raises(TokenError, match=r"^provider 'v': Google token request failed"):
        await cache.get()


async def test_cancelled_request_does_not_cancel_shared_renewal(
    cache: TokenCache, fetch: Fetcher
) -> None:
    fetch.gate = asyncio.Event()
    first = asyncio.ensure_future(cache.get())
    second = asyncio.ensure_future(cache.get())
    await _settle()
    first.cancel()
    await _settle()
    fetch.gate.set()
    assert await second == "t1"
    assert fetch.calls == 1


async def test_prefetch_fetches_once(cache: TokenCache, fetch: Fetcher) -> None:
    cache.prefetch()
    cache.prefetch()
    await _settle()
    assert fetch.calls == 1
    assert await cache.get() == "t1"
    cache.prefetch()
    assert fetch.calls == 1


async def test_close_cancels_renewal_and_refuses_more(cache: TokenCache, fetch: Fetcher) -> None:
    fetch.gate = asyncio.Event()
    cache.prefetch()
    await _settle()
    await cache.close()
    await cache.close()
    with pytest.raises(TokenError, match="closed"):
        await cache.get()


def test_reason_is_one_short_line() -> None:
    assert reason(ValueError("first\nsecond")) == "ValueError: first"
    assert reason(KeyError()) == "KeyError"
    assert len(reason(RuntimeError("x" * 1000))) < 320
