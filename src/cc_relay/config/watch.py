"""Watching the config file, the way editors really save it.

Many editors write a temporary file and rename it over the original, so the file's
inode changes and a watch on the file itself goes deaf. The directory is watched
instead, events are matched on the file's name, and a burst of them (write, rename,
chmod) is debounced into one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import watchfiles

#: Milliseconds of quiet after the last event before a change is reported.
DEBOUNCE_MS = 200


async def changes(path: Path, *, debounce_ms: int = DEBOUNCE_MS) -> AsyncIterator[None]:
    """Yields once per settled burst of changes to ``path`` (created, written, replaced)."""
    target = path.resolve()

    def concerns(change: watchfiles.Change, name: str) -> bool:
        return Path(name).name == target.name

    async for _ in watchfiles.awatch(
        target.parent, watch_filter=concerns, debounce=debounce_ms, step=50, recursive=False
    ):
        yield
