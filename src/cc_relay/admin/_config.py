"""The service's config RPCs: show, validate, apply, reload, history, rollback.

Writing the file and reloading it are one step under the reloader's lock, so no reload
from the file watch, SIGHUP or another call lands between the check that the edit is
based on the running config and the swap (no lost update). A file that fails to start
is replaced by the previous version again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from cc_relay.admin import convert
from cc_relay.admin.codes import ABORTED, FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND
from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.config import RelayConfig, history
from cc_relay.config.diff import diff
from cc_relay.config.loading import load_text
from cc_relay.config.secrets import masked_yaml, restore
from cc_relay.errors import AdminError, ConfigError
from cc_relay.holder import RuntimeHolder
from cc_relay.reload import Reloader

#: The name a document is validated under when the relay has no config file.
UNSAVED = Path("cc-relay.yaml")


class ConfigMethods:
    holder: RuntimeHolder
    reloader: Reloader

    async def GetConfig(self, request: pb.GetConfigRequest) -> pb.GetConfigResponse:
        holder = self.holder
        path = self.reloader.path
        return pb.GetConfigResponse(
            yaml=masked_yaml(holder.config),
            generation=holder.generation,
            hash=holder.config_hash,
            path=str(path) if path else "",
        )

    async def ValidateConfig(self, request: pb.ValidateConfigRequest) -> pb.ValidateConfigResponse:
        path = self.reloader.path or UNSAVED
        try:
            config = await self._check(request.yaml)
        except ConfigError as exc:
            return pb.ValidateConfigResponse(valid=False, problems=_problems(path, exc))
        return pb.ValidateConfigResponse(valid=True, changes=diff(self.holder.config, config))

    async def ApplyConfig(self, request: pb.ApplyConfigRequest) -> pb.ApplyConfigResponse:
        path = self._writable()
        async with self.reloader.lock:
            running = self.holder.config_hash
            if request.base_hash != running:
                raise AdminError(
                    ABORTED,
                    f"config: the running config changed since this edit began (based on "
                    f"{request.base_hash or 'nothing'!r}, running {running!r}); call "
                    "GetConfig again and redo the edit on what it returns",
                )
            text = await self._restored(request.yaml)
            return await self._write_and_reload(path, text, "admin apply")

    async def ListConfigHistory(
        self, request: pb.ListConfigHistoryRequest
    ) -> pb.ListConfigHistoryResponse:
        path = self.reloader.path
        kept = await asyncio.to_thread(history.versions, path) if path else []
        return pb.ListConfigHistoryResponse(
            versions=[
                pb.ConfigVersion(id=v.id, saved_at=convert.timestamp(v.saved_at), size_bytes=v.size)
                for v in kept
            ]
        )

    async def RollbackConfig(self, request: pb.RollbackConfigRequest) -> pb.RollbackConfigResponse:
        path = self._writable()
        async with self.reloader.lock:
            try:
                text = await asyncio.to_thread(history.version_text, path, request.id)
            except ConfigError as exc:
                raise AdminError(NOT_FOUND, str(exc)) from None
            done = await self._write_and_reload(path, text, "admin rollback")
        return pb.RollbackConfigResponse(
            generation=done.generation,
            hash=done.hash,
            changes=done.changes,
            previous_version=done.previous_version,
        )

    async def ReloadConfig(self, request: pb.ReloadConfigRequest) -> pb.ReloadConfigResponse:
        path = self.reloader.path
        if path is None:
            raise AdminError(FAILED_PRECONDITION, _NO_FILE)
        result = await self.reloader.reload("admin")
        return pb.ReloadConfigResponse(
            ok=result.ok,
            generation=result.generation,
            changes=result.changes,
            error=result.error or "",
            problems=[
                pb.ConfigProblem(
                    file=str(path),
                    path=key,
                    message=message,
                    line=result.lines[i] if i < len(result.lines) else 0,
                )
                for i, (key, message) in enumerate(result.problems)
            ]
            or ([pb.ConfigProblem(file=str(path), message=result.error)] if result.error else []),
        )

    # -- helpers ------------------------------------------------------------------------

    def _writable(self) -> Path:
        path = self.reloader.path
        if path is None:
            raise AdminError(FAILED_PRECONDITION, _NO_FILE)
        if path.suffix.lower() == ".toml":
            raise AdminError(
                FAILED_PRECONDITION,
                f"config: {path} is TOML; the admin service writes YAML files only",
            )
        return path

    async def _restored(self, text: str) -> str:
        """``text`` with fingerprint marks put back; INVALID_ARGUMENT if it is invalid."""
        try:
            restored = await self._restore(text)
            await self._load(restored)
        except ConfigError as exc:
            raise AdminError(INVALID_ARGUMENT, _summary(exc)) from None
        return restored

    async def _check(self, text: str) -> RelayConfig:
        return await self._load(await self._restore(text))

    async def _restore(self, text: str) -> str:
        path = self.reloader.path
        current = await asyncio.to_thread(_read, path) if path else None
        return restore(text, running=self.holder.config, file_text=current, env=self.reloader.env)

    async def _load(self, text: str) -> RelayConfig:
        loaded = load_text(text, self.reloader.path or UNSAVED, self.reloader.env)
        return self.reloader.prepare(loaded.config)

    async def _write_and_reload(
        self, path: Path, text: str, trigger: str
    ) -> pb.ApplyConfigResponse:
        """Write ``text`` over the file (the old one kept) and reload; caller holds the lock."""
        before = await asyncio.to_thread(_read, path)
        kept = await asyncio.to_thread(history.replace, path, text)
        result = await self.reloader.reload_held(trigger)
        if not result.ok:
            if before is not None:
                await asyncio.to_thread(history.replace, path, before)
            raise AdminError(
                FAILED_PRECONDITION,
                f"{result.error}\nThe file was put back as it was; nothing changed.",
            )
        return pb.ApplyConfigResponse(
            generation=self.holder.generation,
            hash=self.holder.config_hash,
            changes=result.changes,
            previous_version=kept,
        )


_NO_FILE = (
    "config: this relay runs on built-in defaults, with no config file to reload or "
    "write; start it with --config FILE"
)


def _read(path: Path | None) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path else None
    except OSError:
        return None


def _problems(path: Path, exc: ConfigError) -> list[pb.ConfigProblem]:
    found = exc.problems or (("", str(exc)),)
    return [
        pb.ConfigProblem(file=str(path), path=key, message=msg, line=exc.line(i))
        for i, (key, msg) in enumerate(found)
    ]


def _summary(exc: ConfigError) -> str:
    """Every problem in one message (a gRPC status carries text only)."""
    return str(exc)
