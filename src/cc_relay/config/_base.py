"""What every config model shares: frozen, and no unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable once built; an unknown key is an error, so a typo never becomes a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")
