"""Where the ledger lives when ``ledger.path`` does not say: the XDG data directory.

Only :mod:`os` is imported: ``cc-relay statusline`` needs this and must start fast.
"""

from __future__ import annotations

import os

# Not typing.TYPE_CHECKING: the status line imports this module, and typing costs 5 ms.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

DB_NAME = "usage.db"


def default_location(env: Mapping[str, str] | None = None) -> str:
    """``$XDG_DATA_HOME/cc-relay/usage.db``, ``~/.local/share/cc-relay/usage.db`` without it."""
    env = os.environ if env is None else env
    home = env.get("HOME") or os.path.expanduser("~")
    base = env.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(base, "cc-relay", DB_NAME)


def default_path(env: Mapping[str, str] | None = None) -> Path:
    from pathlib import Path

    return Path(default_location(env))


def resolve(path: str | None, env: Mapping[str, str] | None = None) -> Path:
    """``ledger.path`` with ``~`` expanded, or the default."""
    from pathlib import Path

    return Path(path).expanduser() if path else default_path(env)
