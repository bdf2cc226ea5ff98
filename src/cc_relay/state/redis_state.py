"""The Redis backend: one client, a heartbeat, and what to do when Redis goes away.

Every call that reaches Redis is bounded by :data:`OP_TIMEOUT` and never raises: a
failure marks the backend down (logged once), the limiter answers from
:class:`~cc_relay.state._fallback.Fallback`, and a background task retries every
:data:`RETRY_INTERVAL`. When Redis answers again, what this replica took locally in the
last minute is charged to the shared buckets (so they count the outage) and the shared
state is used again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError

from cc_relay.config.schema import StateConfig
from cc_relay.state import _scripts
from cc_relay.state._fallback import Fallback, Levels, Taken
from cc_relay.state._listener import listen
from cc_relay.state.affinity import RedisAffinity
from cc_relay.state.base import Breakers, SharedState, StateView
from cc_relay.state.budgets import RedisBudgets
from cc_relay.state.circuits import RedisCircuits
from cc_relay.state.fleet import RedisFleet, replica_id
from cc_relay.state.limiter import RedisKeyLimiter
from cc_relay.state.signatures import RedisSignatures
from cc_relay.tasks import stop

if TYPE_CHECKING:
    from cc_relay.health import CircuitState
    from cc_relay.ledger.budgets import BudgetTracker
    from cc_relay.thinking.ledger import SignatureLedger

T = TypeVar("T")
Call = tuple[str, str, list[Any]]
"""A script's source, its one key and its arguments."""

__all__ = ["HEARTBEAT_INTERVAL", "OP_TIMEOUT", "RETRY_INTERVAL", "RedisState"]

log = logging.getLogger("cc_relay.state")

OP_TIMEOUT = 0.25
"""Seconds one Redis call may take before the replica falls back to local state."""
HEARTBEAT_INTERVAL = 2.0
"""Seconds between a replica's heartbeats; a replica silent for 5 beats is gone."""
RETRY_INTERVAL = 0.5
"""Seconds between reconnection attempts while Redis is down."""

_FAILURES = (RedisError, OSError, asyncio.TimeoutError)


class RedisState(SharedState):
    """See the module docstring.

    Args:
        config: ``state`` from the relay's config.
    """

    backend = "redis"

    def __init__(self, config: StateConfig) -> None:
        super().__init__(replica=replica_id(config))
        self.config = config
        self.client: Redis = Redis.from_url(
            config.url,
            socket_timeout=OP_TIMEOUT,
            socket_connect_timeout=OP_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self._shas = {
            script: hashlib.sha1(script.encode()).hexdigest()
            for script in (_scripts.RESERVE, _scripts.CHARGE)
        }
        self._heartbeat = self.client.register_script(_scripts.HEARTBEAT)
        self.fallback = Fallback()
        self.taken = Taken()
        """What this replica took through Redis in the last minute: charged again to a
        server that restarted empty."""
        self._run_id: str | None = None
        self.keys: RedisKeyLimiter = RedisKeyLimiter(self)
        self.circuits: RedisCircuits = RedisCircuits(self)
        self.affinity: RedisAffinity = RedisAffinity(self)
        self.signatures: RedisSignatures = RedisSignatures(self)
        self.budgets: RedisBudgets = RedisBudgets(self)
        self.fleet: RedisFleet = RedisFleet(self)
        self._listener: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self.up = False
        self.replicas = 1
        """Replicas seen by the last heartbeat; the fallback divides limits by it."""
        self.fallbacks = 0
        self.error: str | None = "not connected yet"
        self._tasks: set[asyncio.Task[Any]] = set()
        self._monitor: asyncio.Task[None] | None = None
        self._closed = False

    def key(self, *parts: str) -> str:
        return ":".join((self.config.prefix, *parts))

    async def start(self) -> None:
        if self._monitor is not None or self._closed:
            raise RuntimeError("state: a backend starts once")
        await self._beat()
        if not self.up:
            log.warning(
                "state: redis at %s is unavailable (%s); limits are local until it answers",
                self.config.url,
                self.error,
            )
        self._monitor = asyncio.create_task(self._watch(), name="state:redis")
        handlers = {
            self.circuits.channel: self.circuits.apply,
            self.signatures.channel: self.signatures.apply,
            self.budgets.channel: self.budgets.apply,
        }
        self._listener = asyncio.create_task(
            listen(self.config.url, handlers, self._catch_up, retry=RETRY_INTERVAL),
            name="state:listen",
        )
        self._publisher = asyncio.create_task(self.fleet.run(), name="state:fleet")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in (self._monitor, self._listener, self._publisher):
            if task is not None:
                await stop(task)
        if self.up:
            await self.keys.drain()
            await self.budgets.drain()
            await self.fleet.leave()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
        if self.up:
            try:
                await self.client.zrem(self.key("replicas"), self.replica)
            except _FAILURES:
                pass
        await self.client.aclose()

    def view(self) -> StateView:
        return StateView(
            "redis",
            connected=self.up,
            replicas=self.replicas,
            fallbacks=self.fallbacks,
            error=None if self.up else self.error,
        )

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` off the request path, kept referenced until it ends."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def bind(self, breakers: Breakers) -> None:
        self.circuits.bind(breakers)

    def share_signatures(self, ledger: SignatureLedger) -> None:
        ledger.shared = self.signatures.recorded
        self.signatures.bind(lambda: ledger)

    def share_budgets(self, tracker: BudgetTracker, changed: Callable[[str], None]) -> None:
        self.budgets.bind(tracker, changed)

    async def _catch_up(self) -> None:
        await self.circuits.catch_up()
        await self.signatures.catch_up()

    def circuit_changed(self, name: str, old: CircuitState, new: CircuitState) -> None:
        self.circuits.changed(name, old, new)

    async def guard(self, call: Awaitable[T]) -> T | None:
        """``await call``, or None (and the backend marked down) when Redis fails."""
        try:
            return await call
        except _FAILURES as exc:
            self._down(exc)
            return None

    # -- calls the limiter makes; None means "use the fallback" ---------------------

    def reserve_call(self, fp: str, caps: Levels, estimate: float) -> Call:
        return (_scripts.RESERVE, self.key("key", fp), [*caps, estimate])

    def charge_call(self, fp: str, caps: Levels, amounts: Levels, cool: float) -> Call:
        return (_scripts.CHARGE, self.key("key", fp), [*caps, *amounts, cool])

    async def run(self, calls: list[Call]) -> list[Any] | None:
        """Run scripts on one key each in one pipelined round trip; None when Redis
        fails. A server that lost the scripts (a restart) gets them loaded again."""
        for again in (False, True):
            pipe = self.client.pipeline(transaction=False)
            for script, key, args in calls:
                pipe.execute_command("EVALSHA", self._shas[script], 1, key, *args)
            try:
                replies: list[Any] = await pipe.execute()
            except NoScriptError as exc:
                if again:
                    self._down(exc)
                    return None
                if not await self._load_scripts():
                    return None
            except _FAILURES as exc:
                self._down(exc)
                return None
            else:
                return replies
        return None

    async def _load_scripts(self) -> bool:
        try:
            for script in self._shas:
                await self.client.script_load(script)
        except _FAILURES as exc:
            self._down(exc)
            return False
        return True

    # -- up and down ----------------------------------------------------------------

    def _down(self, exc: BaseException) -> None:
        self.error = f"{type(exc).__name__}: {exc}"
        if not self.up:
            return
        self.up = False
        self.fallbacks += 1
        self.fallback.reset()
        log.warning(
            "state: redis unavailable (%s); limits are local, divided by %d replicas, "
            "until it answers",
            self.error,
            self.replicas,
        )

    async def _beat(self) -> None:
        try:
            count = await self._heartbeat(
                keys=[self.key("replicas")],
                args=[self.replica, max(2, math.ceil(HEARTBEAT_INTERVAL * 5))],
            )
            if not self.up:
                await self._resync()
        except _FAILURES as exc:
            self._down(exc)
            return
        self.replicas = max(1, int(count))
        if not self.up:
            self.up = True
            self.error = None
            if self.fallbacks:
                log.warning("state: redis is back; limits are shared again")

    async def _resync(self) -> None:
        """Charge the shared buckets with what this replica took while Redis was away,
        and, when the server restarted (empty: its run id changed), with what it took
        through the previous one in the last minute too."""
        info = await self.client.info("server")
        run_id = str(info.get("run_id", ""))
        restarted = self._run_id is not None and run_id != self._run_id
        self._run_id = run_id
        logs = [self.fallback.taken, self.taken] if restarted else [self.fallback.taken]
        for taken in logs:
            calls = [
                self.charge_call(fp, caps, amounts, 0.0) for fp, caps, amounts in taken.recent()
            ]
            if calls and await self.run(calls) is None:
                raise ConnectionError("state: redis failed during the resync")
        self.fallback.reset()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_INTERVAL if self.up else RETRY_INTERVAL)
            await self._beat()
