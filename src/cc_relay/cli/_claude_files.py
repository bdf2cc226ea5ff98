"""The files ``config cc init`` touches, and how ``remove`` puts each back exactly.

``init`` records, the first time it runs, what was there before: the settings file's
bytes and mode (or that there was none), which directories it had to create, and
whether a backup existed. ``remove`` restores exactly that when the settings file is
still as ``init`` left it; when the user has edited it since, it takes out only the
keys ``init`` set and keeps everything else.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import typer

#: Mode for a settings file cc-relay writes: it may hold a relay key.
PRIVATE_MODE = 0o600


def record_path() -> Path:
    return Path.home() / ".config" / "cc-relay" / "claude-code.json"


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def parse_object(path: Path, data: bytes | None, what: str) -> dict[str, Any]:
    """The JSON object in ``data`` ({} for no file); exit 1 without touching anything
    when it is not one."""
    if data is None:
        return {}
    try:
        parsed = json.loads(data)
    except ValueError as exc:
        typer.secho(
            f"{path}: cannot parse this {what} ({exc}); it was left untouched. "
            "Fix or move it, then run the command again.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1) from None
    if not isinstance(parsed, dict):
        typer.secho(
            f"{path}: expected a JSON object; it was left untouched.", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(1)
    return parsed


def dump(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def write_bytes(path: Path, data: bytes, mode: int = PRIVATE_MODE) -> None:
    """Atomically, with ``mode`` set before the file appears under its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def missing_dirs(*dirs: Path) -> list[str]:
    """The ones of ``dirs`` and their parents that do not exist yet, outermost first."""
    missing: list[str] = []
    for directory in dirs:
        chain = [d for d in (directory, *directory.parents) if not d.exists()]
        missing.extend(str(d) for d in reversed(chain) if str(d) not in missing)
    return missing


def restore_settings(path: Path, record: dict[str, Any], merged: dict[str, Any]) -> str:
    """Put the settings file back; ``merged`` is its content with init's keys taken out,
    used only when the file changed since init. Returns what was done, for the user."""
    current = read_bytes(path)
    original = record.get("original")
    original_mode = record.get("original_mode")
    if record.get("written") is not None and digest(current) == record["written"]:
        if original is None:
            path.unlink(missing_ok=True)
            return "removed (it did not exist before init)"
        write_bytes(path, original.encode(), original_mode or PRIVATE_MODE)
        return "restored as it was before init"
    if not merged and "original" in record and original is None:
        path.unlink(missing_ok=True)
        return "removed (it did not exist before init)"
    write_bytes(path, dump(merged), original_mode or mode_of(path) or PRIVATE_MODE)
    return "edited since init: only the keys init set were taken out"


def remove_created_dirs(dirs: list[str]) -> None:
    """Remove the directories init created, innermost first, where they are empty."""
    for directory in reversed(dirs):
        try:
            Path(directory).rmdir()
        except OSError:
            continue  # not empty (the user put something there) or already gone
