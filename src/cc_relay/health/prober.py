"""The active prober: checks open circuits itself, so recovery does not wait for users.

Without it, a provider whose circuit opened is only retried when a user request happens to
arrive after the cooldown, and that user pays for the trial. The prober runs one round per
``interval``: each target whose breaker lets a trial through now (cooldown passed, slot
free) gets one probe, which takes the half-open trial slot exactly like a request would,
and its result is recorded on the breaker. Closed circuits are never probed: real traffic
already tells us how they are doing.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType

import aiohttp

from cc_relay.health.circuit import CircuitBreaker, CircuitState
from cc_relay.health.config import DEFAULT_PROBE_INTERVAL, DEFAULT_PROBE_TIMEOUT
from cc_relay.tasks import stop

log = logging.getLogger("cc_relay.health")

#: Probe errors that just mean "still down"; anything else is worth a warning.
_EXPECTED_ERRORS = (OSError, aiohttp.ClientError)


@dataclass(slots=True)
class ProbeTarget:
    """Something the prober can check: a circuit and a cheap request against its upstream."""

    name: str
    """Shown in logs and in :meth:`HealthProber.probe_round` results."""
    breaker: CircuitBreaker
    """The circuit the probe result is recorded on."""
    probe: Callable[[], Awaitable[bool]]
    """Returns ``True`` when the upstream is healthy; raising counts as unhealthy."""


class HealthProber:
    """Periodically probes targets whose circuit is OPEN, so recovery does not wait for users.

    Args:
        targets: called at every round, so a config reload changes what is probed without
            restarting the prober.
        interval: seconds between rounds.
        timeout: seconds one probe may take; a slower one counts as a failure.

    Raises:
        ValueError: for an interval or timeout that is not a positive finite number.
    """

    def __init__(
        self,
        targets: Callable[[], Iterable[ProbeTarget]],
        *,
        interval: float = DEFAULT_PROBE_INTERVAL,
        timeout: float = DEFAULT_PROBE_TIMEOUT,
    ) -> None:
        problems = [
            f"{name} must be a finite number > 0, got {value!r}"
            for name, value in (("interval", interval), ("timeout", timeout))
            if not (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value > 0
            )
        ]
        if problems:
            raise ValueError("health: invalid prober settings: " + "; ".join(problems))
        self._targets = targets
        self._interval = float(interval)
        self._timeout = float(timeout)
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.claim: Callable[[str], Awaitable[bool]] | None = None
        """When replicas share circuits (``cc_relay.state``): whether this one may send
        the half-open trial to a target (by name); a probe is such a trial."""

    @property
    def interval(self) -> float:
        """Seconds between rounds; a reloaded config may change it, from the next round on."""
        return self._interval

    @interval.setter
    def interval(self, value: float) -> None:
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"health: interval must be a finite number > 0, got {value!r}")
        self._interval = float(value)

    @property
    def running(self) -> bool:
        """Whether the background task is alive."""
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the background rounds; a second call does nothing.

        Raises:
            RuntimeError: once the prober has been closed; make a new one instead.
        """
        if self._closed:
            raise RuntimeError("health: the prober is closed and cannot be restarted")
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cc_relay.health.prober")

    async def close(self) -> None:
        """Stop the rounds and wait for them; probes in flight are cancelled. Idempotent."""
        self._closed = True
        task, self._task = self._task, None
        if task is None or task.done():
            return
        await stop(task)

    async def __aenter__(self) -> HealthProber:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def probe_round(self) -> dict[str, bool]:
        """Probe, concurrently, every target whose circuit lets a trial through now.

        Returns:
            ``{target name: healthy}`` for the targets actually probed.
        """
        try:
            targets = list(self._targets())
        except Exception:
            log.warning("health: listing probe targets failed", exc_info=True)
            return {}
        results: dict[str, bool] = {}
        seen: set[int] = set()
        async with asyncio.TaskGroup() as group:
            for target in targets:
                # One probe per circuit, even if two targets share a breaker.
                if id(target.breaker) not in seen:
                    seen.add(id(target.breaker))
                    group.create_task(
                        self._probe(target, results), name=f"cc_relay.health.probe:{target.name}"
                    )
        return results

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.probe_round()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("health: probe round failed")

    async def _probe(self, target: ProbeTarget, results: dict[str, bool]) -> None:
        breaker = target.breaker
        # The slot is taken here, inside the task, so a task cancelled before it ever
        # ran holds no slot that nobody would give back.
        if breaker.state is CircuitState.CLOSED or not breaker.acquire():
            return
        generation = breaker.generation
        try:
            if self.claim is not None and not await self.claim(target.name):
                breaker.cancelled(generation=generation)
                return
            async with asyncio.timeout(self._timeout):
                healthy = bool(await target.probe())
        except asyncio.CancelledError:
            breaker.cancelled(generation=generation)
            raise
        except TimeoutError:
            log.debug(
                "health: probe for %s timed out after %.1fs",
                target.name,
                self._timeout,
                extra={"circuit": target.name},
            )
            healthy = False
        except _EXPECTED_ERRORS as exc:
            log.debug(
                "health: probe for %s failed: %s",
                target.name,
                type(exc).__name__,
                extra={"circuit": target.name},
            )
            healthy = False
        except Exception as exc:
            log.warning(
                "health: probe for %s raised %s",
                target.name,
                type(exc).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
                extra={"circuit": target.name},
            )
            healthy = False
        results[target.name] = healthy
        if not healthy:
            breaker.failure(generation=generation)
            return
        breaker.success(generation=generation)
        # The only transition a success can cause is HALF_OPEN -> CLOSED.
        if breaker.generation != generation:
            log.info(
                "health: %s recovered: probe passed, circuit closed",
                target.name,
                extra={"circuit": target.name},
            )
