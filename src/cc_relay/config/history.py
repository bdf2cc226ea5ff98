"""Writing a config file safely, keeping what it was.

A write goes to a temporary file in the same folder, is flushed to disk and renamed over
the file, so a reader (the relay's file watch, an editor) sees the old or the new
document and never half of one. The file as it was is first copied into a history
folder next to it (``cc-relay.history/`` for ``cc-relay.yaml``), under a name that sorts
by time; the newest ``HISTORY_LIMIT`` are kept.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cc_relay.errors import ConfigError

#: Versions the history folder keeps; older ones are deleted.
HISTORY_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Version:
    id: str
    """The file's name in the history folder, without its suffix."""
    path: Path
    saved_at: float
    size: int


def history_dir(path: Path) -> Path:
    return path.with_name(f"{path.stem}.history")


def versions(path: Path) -> list[Version]:
    """The kept versions of ``path``, newest first."""
    folder = history_dir(path)
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        if entry.suffix == path.suffix and entry.is_file():
            stat = entry.stat()
            found.append(Version(entry.stem, entry, stat.st_mtime, stat.st_size))
    return sorted(found, key=lambda v: v.id, reverse=True)


def version_text(path: Path, version_id: str) -> str:
    """The text of one kept version; ConfigError if there is no such version."""
    for version in versions(path):
        if version.id == version_id:
            return version.path.read_text(encoding="utf-8")
    raise ConfigError(f"{path}: no kept version {version_id!r} in {history_dir(path)}")


def replace(path: Path, text: str) -> str:
    """Keep the current file in history, then write ``text`` over it atomically.
    Returns the id of the version kept (empty when there was no file)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    kept = ""
    if path.exists():
        folder = history_dir(path)
        folder.mkdir(mode=0o700, exist_ok=True)
        kept = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
        _write(folder / f"{kept}{path.suffix}", path.read_text(encoding="utf-8"), mode)
        for old in versions(path)[HISTORY_LIMIT:]:
            old.path.unlink(missing_ok=True)
    _write(path, text, mode)
    return kept


def _write(path: Path, text: str, mode: int) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
