"""The keypool's exceptions.

    KeyPoolError
     └── UnknownSelection   (also a ValueError: a bad ``selection`` name is bad input)

Running out of keys is not an exception: ``KeyPool.acquire`` returns None and
``KeyPool.available_at`` says when to try again, because that is the normal way a busy
pool answers.
"""

from __future__ import annotations

__all__ = ["KeyPoolError", "UnknownSelection"]


class KeyPoolError(Exception):
    """Base of every keypool error."""


class UnknownSelection(KeyPoolError, ValueError):
    """The selection policy named is not one the pool knows."""
