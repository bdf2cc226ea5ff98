"""Where the ledger lives when ``ledger.path`` does not say: the XDG data directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DB_NAME = "usage.db"


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/cc-relay/usage.db``, ``~/.local/share/cc-relay/usage.db`` without it."""
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local/share")
    return Path(base) / "cc-relay" / DB_NAME


def resolve(path: str | None, env: Mapping[str, str] | None = None) -> Path:
    """``ledger.path`` with ``~`` expanded, or the default."""
    return Path(path).expanduser() if path else default_path(env)
