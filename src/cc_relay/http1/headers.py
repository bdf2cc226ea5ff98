"""Response headers: the pairs in wire order, with case-insensitive look-up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import overload

__all__ = ["Headers"]


class Headers:
    """Header fields as received: a list of ``(name, value)`` pairs (names as sent)
    plus case-insensitive look-up that answers with the first value, as aiohttp's
    ``CIMultiDictProxy`` does. The look-up index is built on first use only."""

    __slots__ = ("_index", "_items")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        self._index: dict[str, str] | None = None

    def _lookup(self) -> dict[str, str]:
        index = self._index
        if index is None:
            index = {}
            for name, value in self._items:
                index.setdefault(name.lower(), value)
            self._index = index
        return index

    def items(self) -> list[tuple[str, str]]:
        """Every field in wire order, duplicates included."""
        return self._items

    def keys(self) -> list[str]:
        return [name for name, _ in self._items]

    def values(self) -> list[str]:
        return [value for _, value in self._items]

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name`` (any case), or ``default``."""
        return self._lookup().get(name.lower(), default)

    def getall(self, name: str) -> list[str]:
        """Every value of ``name`` (any case), in order."""
        lower = name.lower()
        return [value for key, value in self._items if key.lower() == lower]

    def __getitem__(self, name: str) -> str:
        return self._lookup()[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"
