"""Hot reload: a new config, parsed and validated first, swapped in keeping all state.

Triggers: a change of the config file (``cc_relay.config.watch``), ``SIGHUP``, and
``POST /v1/relay/reload`` (``cc-relay reload``). Reloads are serialised. An invalid file
leaves the running config serving; the error (file, key path, problem) goes to the log
and to the read model's last reload. A valid one is diffed against the running config
and handed to ``RuntimeHolder.swap``, which builds a Runtime that inherits every circuit,
bucket, cooldown and session by identity.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cc_relay.config import RelayConfig, read_config
from cc_relay.config.diff import diff
from cc_relay.config.watch import changes
from cc_relay.errors import ConfigError, RelayError
from cc_relay.holder import RuntimeHolder

log = logging.getLogger("cc_relay.runtime")


@dataclass(frozen=True, slots=True)
class ReloadResult:
    ok: bool
    generation: int
    changes: tuple[str, ...] = ()
    error: str | None = None
    problems: tuple[tuple[str, str], ...] = ()
    """Each validation problem of a refused file as (key path, message)."""
    lines: tuple[int, ...] = ()
    """Each problem's line in the file (0: unknown)."""


def _unchanged(config: RelayConfig) -> RelayConfig:
    return config


class Reloader:
    """Reloads ``path`` into ``holder``.

    Args:
        prepare: applied to every valid config read, before it is used: command-line
            overrides (``--listen``, ``--log-level``, ``--debug``) that must survive
            reloads, and telling the log redactor the new secrets.
        env: the environment ``${VAR}`` references expand from.
    """

    def __init__(
        self,
        holder: RuntimeHolder,
        path: Path | None,
        *,
        prepare: Callable[[RelayConfig], RelayConfig] | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        self.holder = holder
        self.path = path
        self.prepare = prepare or _unchanged
        self.env = env
        self.lock = asyncio.Lock()
        """Held for every reload; the admin service holds it to write the file and
        reload as one step (``reload_held``)."""

    async def reload(self, trigger: str) -> ReloadResult:
        """Read, validate, diff and swap; never raises for a bad file."""
        async with self.lock:
            return await self.reload_held(trigger)

    async def reload_held(self, trigger: str) -> ReloadResult:
        """``reload`` for a caller that already holds ``lock``."""
        holder = self.holder
        if self.path is None:
            return ReloadResult(False, holder.generation, error="no config file")
        try:
            loaded = await asyncio.to_thread(read_config, self.path, self.env)
        except ConfigError as exc:
            return self._failed(str(exc), exc.problems, exc.lines)
        for warning in loaded.warnings:
            log.warning("config reload: %s", warning)
        config = self.prepare(loaded.config)
        lines = diff(holder.config, config)
        if not lines:
            log.info("config reload (%s): no changes", trigger)
            return ReloadResult(True, holder.generation)
        try:
            await holder.swap(config, changes=lines)
        except (RelayError, OSError) as exc:
            return self._failed(f"{self.path}: the new config cannot start: {exc}")
        logging.getLogger("cc_relay").setLevel(config.logging.level.upper())
        return ReloadResult(True, holder.generation, tuple(lines))

    def _failed(
        self,
        error: str,
        problems: tuple[tuple[str, str], ...] = (),
        lines: tuple[int, ...] = (),
    ) -> ReloadResult:
        self.holder.reloaded(ok=False, error=error)
        return ReloadResult(
            False, self.holder.generation, error=error, problems=problems, lines=lines
        )

    async def watch(self) -> None:
        """Reload on every settled change of the file, until cancelled."""
        if self.path is None:
            return
        async for _ in changes(self.path):
            await self.reload("file changed")
