"""Short-lived access tokens for cloud providers, renewed ahead of expiry, off the hot path.

Vertex AI (Google OAuth) and Azure AI Foundry (Entra ID) authenticate with bearer tokens
that live about an hour. Fetching one costs a network round trip, so a request waits for
it only when there is no usable token at all::

    obtained ─────────── renew_at ──────────── usable_until ── expires_at
       use as is            use as is, and         wait for the renewal
                            start one renewal
                            in the background

``renew_at`` is RENEW_MARGIN before expiry (at most half the token's lifetime) and
``usable_until`` is EXPIRY_SKEW before it (at most a tenth), so that a token is never sent
in the last moments of its life. Concurrent requests share one renewal. A renewal that
fails in the background leaves the current token in use and is tried again after
RETRY_DELAY; one that fails while a request waits raises TokenError for that request.

Errors::

    TokenError            no token could be had (runtime: endpoint down, credential refused)
    ProviderSetupError    the provider cannot work as configured (startup), also a ValueError
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cc_relay.errors import TokenError
from cc_relay.tasks import stop

log = logging.getLogger("cc_relay.providers")

#: Renew a token this many seconds before it expires (at most half its lifetime).
RENEW_MARGIN = 300.0
#: Stop sending a token this many seconds before it expires (at most a tenth of its life).
EXPIRY_SKEW = 10.0
#: After a failed background renewal, wait this long before trying again.
RETRY_DELAY = 5.0
#: Longest error text quoted from a credential library (their messages can be pages).
_MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token and when it stops working (seconds since the epoch)."""

    value: str = field(repr=False)
    expires_at: float


Fetch = Callable[[], Awaitable[Token]]


def reason(exc: BaseException) -> str:
    """A short, single-line description of a credential library's exception.

    The libraries put the token endpoint's error response in their messages (never the
    credential itself); this keeps the first line, trimmed.
    """
    text = str(exc.args[0]) if exc.args else ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    name = type(exc).__name__
    return f"{name}: {line[:_MAX_REASON]}" if line else name


class TokenCache:
    """One provider's current token, renewed by ``fetch`` before it runs out.

    Args:
        fetch: gets a fresh token; may raise TokenError (others are wrapped in one).
        name: what the token is for, in log lines and errors.
        clock: seconds since the epoch (tests pass a fake one).
        renew_margin: seconds before expiry to start a background renewal.
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        name: str,
        clock: Callable[[], float] = time.time,
        renew_margin: float = RENEW_MARGIN,
    ) -> None:
        self._fetch = fetch
        self._name = name
        self._clock = clock
        self._renew_margin = renew_margin
        self._token: Token | None = None
        self._renew_at = 0.0
        self._usable_until = 0.0
        self._retry_at = 0.0
        self._task: asyncio.Task[Token] | None = None
        self._closed = False
        self.renewals = 0
        """Tokens obtained so far (for tests and status)."""

    async def get(self) -> str:
        """A usable token: the current one when it has time left, else a fresh one."""
        now = self._clock()
        token = self._token
        if token is not None and now < self._usable_until:
            if now >= self._renew_at and now >= self._retry_at and self._task is None:
                self._start(background=True)
            return token.value
        task = self._task if self._task is not None else self._start(background=False)
        try:
            # Shielded: a request that gives up must not cancel a renewal others share.
            return (await asyncio.shield(task)).value
        except TokenError:
            raise
        except Exception as exc:  # the task wraps every failure; this is belt and braces
            raise TokenError(f"{self._name}: {reason(exc)}") from None

    def prefetch(self) -> None:
        """Start getting the first token now, so the first request need not wait."""
        if self._token is None and self._task is None and not self._closed:
            self._start(background=True)

    async def close(self) -> None:
        """Cancel a renewal in flight. Idempotent."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            await stop(task)

    # -- renewal -----------------------------------------------------------------------

    def _start(self, *, background: bool) -> asyncio.Task[Token]:
        if self._closed:
            raise TokenError(f"{self._name}: provider is closed")
        task = asyncio.get_running_loop().create_task(self._renew())
        self._task = task
        task.add_done_callback(lambda done: self._finished(done, background=background))
        return task

    async def _renew(self) -> Token:
        try:
            token = await self._fetch()
        except (TokenError, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise TokenError(f"{self._name}: {reason(exc)}") from exc
        self._store(token)
        return token

    def _store(self, token: Token) -> None:
        now = self._clock()
        lifetime = max(0.0, token.expires_at - now)
        self._token = token
        self._renew_at = token.expires_at - min(self._renew_margin, lifetime / 2)
        self._usable_until = token.expires_at - min(EXPIRY_SKEW, lifetime / 10)
        self._retry_at = 0.0
        self.renewals += 1

    def _finished(self, task: asyncio.Task[Token], *, background: bool) -> None:
        if self._task is task:
            self._task = None
        if task.cancelled():
            return
        exc = task.exception()  # retrieved here, so an unawaited failure is never lost
        if exc is not None:
            self._retry_at = self._clock() + RETRY_DELAY
            if background and self._token is None:
                log.warning(
                    "%s: getting an access token failed (requests will try again): %s",
                    self._name,
                    exc,
                )
            elif background:
                log.warning(
                    "%s: renewing the access token failed (the current one stays "
                    "in use while it lasts): %s",
                    self._name,
                    exc,
                )
