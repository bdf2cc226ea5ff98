"""Session affinity shared through Redis, with the local table's expiry.

A placement is ``<prefix>:session:<session id>`` = ``provider`` or ``provider fingerprint``,
written (fire and forget) when a session lands somewhere new, expiring after the
affinity TTL. A replica reads it only when its own table has no entry for the session,
so a session keeps one round trip on its first request to each replica and none after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cc_relay.routing.affinity import DEFAULT_TTL

if TYPE_CHECKING:
    from cc_relay.state.redis_state import RedisState

__all__ = ["RedisAffinity"]


class RedisAffinity:
    """See the module docstring and ``AffinityShare``."""

    def __init__(self, state: RedisState, *, ttl: float = DEFAULT_TTL) -> None:
        self._state = state
        self._ttl = ttl

    def _key(self, session: str) -> str:
        return self._state.key("session", session)

    async def fetch(self, session: str) -> tuple[str, str | None] | None:
        if not self._state.up:
            return None
        raw = await self._state.guard(self._state.client.get(self._key(session)))
        if not raw:
            return None
        value = raw.decode() if isinstance(raw, bytes) else str(raw)
        provider, _, key = value.partition(" ")
        return provider, key or None

    def remember(self, session: str, provider: str, key: str | None) -> None:
        if self._state.up:
            value = provider if key is None else f"{provider} {key}"
            self._state.spawn(self._write(self._key(session), value))

    async def _write(self, key: str, value: str) -> None:
        await self._state.guard(self._state.client.set(key, value, ex=max(1, int(self._ttl))))
