"""Circuit states shared through Redis: one replica opening a circuit opens it for all.

A transition this replica makes is written and published in one round trip: an open
circuit is ``<prefix>:circuit:<provider>`` (expiring with the cooldown) plus a message
on ``<prefix>:circuits``; a close deletes the key and says so. Every replica listens and
applies what others publish to its own breaker (``CircuitBreaker.trip`` or ``reset``),
without publishing it again. Once the cooldown is over only the replica that wins
``<prefix>:trial:<provider>`` (``SET NX`` with an expiry) sends the half-open trial; the
others skip the provider until the trial's outcome arrives.

A replica that starts, or sees Redis come back, reads the open circuits it missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from cc_relay.health import CircuitBreaker, CircuitState

if TYPE_CHECKING:
    from cc_relay.state.redis_state import RedisState

__all__ = ["RedisCircuits", "TRIAL_LEASE"]

log = logging.getLogger("cc_relay.state")

TRIAL_LEASE = 30.0
"""Seconds one replica holds the half-open trial unless its outcome arrives sooner."""

Breakers = Callable[[], Mapping[str, CircuitBreaker]]

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisCircuits:
    """See the module docstring."""

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._breakers: Breakers = dict
        self._applying = False
        self._release = state.client.register_script(_RELEASE)

    def bind(self, breakers: Breakers) -> None:
        """Where this replica's breakers are (the current Runtime's, after reloads)."""
        self._breakers = breakers

    @property
    def channel(self) -> str:
        return self._state.key("circuits")

    # -- this replica's transitions, out ------------------------------------------------

    def changed(self, name: str, old: CircuitState, new: CircuitState) -> None:
        if self._applying or not self._state.up:
            return
        breaker = self._breakers().get(name)
        cooldown = breaker.settings.cooldown if breaker is not None else 0.0
        cause = breaker.cause if breaker is not None else None
        if new is CircuitState.OPEN:
            self._state.spawn(self._publish(name, "open", cooldown, cause))
        elif new is CircuitState.CLOSED:
            self._state.spawn(self._publish(name, "closed", 0.0, cause))
        if old is CircuitState.HALF_OPEN:
            self._state.spawn(self._end_trial(name))

    async def _publish(self, name: str, state: str, remaining: float, cause: str | None) -> None:
        message = orjson.dumps(
            {"name": name, "state": state, "remaining": remaining, "cause": cause,
             "replica": self._state.replica}
        )  # fmt: skip
        key = self._state.key("circuit", name)
        pipe = self._state.client.pipeline(transaction=True)
        if state == "open":
            pipe.set(key, message, px=max(1, int(remaining * 1000)))
        else:
            pipe.delete(key)
        pipe.publish(self.channel, message)
        await self._state.guard(pipe.execute())

    async def _end_trial(self, name: str) -> None:
        key = self._state.key("trial", name)
        await self._state.guard(self._release(keys=[key], args=[self._state.replica]))

    async def claim_trial(self, name: str) -> bool:
        """Whether this replica sends the half-open trial to ``name``; True when Redis is
        unavailable (each replica's breaker then decides alone)."""
        if not self._state.up:
            return True
        key = self._state.key("trial", name)
        won = await self._state.guard(
            self._state.client.set(key, self._state.replica, nx=True, px=int(TRIAL_LEASE * 1000))
        )
        if won is None and not self._state.up:
            return True
        if won:
            return True
        holder = await self._state.guard(self._state.client.get(key))
        return holder is None or holder == self._state.replica.encode()

    # -- other replicas' transitions, in ------------------------------------------------

    def apply(self, raw: bytes) -> None:
        try:
            message: dict[str, Any] = orjson.loads(raw)
            name, state = str(message["name"]), str(message["state"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return
        if message.get("replica") == self._state.replica:
            return
        breaker = self._breakers().get(name)
        if breaker is None:
            return
        cause = f"{message.get('cause') or 'failures'} (on replica {message.get('replica')})"
        self._applying = True
        try:
            if state == "open":
                breaker.trip(float(message.get("remaining") or 0.0), cause=cause)
            elif state == "closed" and breaker.state is not CircuitState.CLOSED:
                breaker.reset(cause=f"closed on replica {message.get('replica')}")
        finally:
            self._applying = False

    async def catch_up(self) -> None:
        """Open the circuits other replicas opened while this one was not listening."""
        for name in list(self._breakers()):
            key = self._state.key("circuit", name)
            pipe = self._state.client.pipeline(transaction=False)
            pipe.get(key)
            pipe.pttl(key)
            reply = await self._state.guard(pipe.execute())
            if not reply or reply[0] is None or reply[1] <= 0:
                continue
            message = orjson.loads(reply[0])
            message["remaining"] = reply[1] / 1000
            self.apply(orjson.dumps(message))
