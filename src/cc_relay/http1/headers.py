"""Response headers: the pairs in wire order, with case-insensitive look-up."""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from typing import TypeVar, overload

__all__ = ["Headers"]

_T = TypeVar("_T")


class Headers(Mapping[str, str]):
    """Header fields as received: ``(name, value)`` pairs in wire order (names as
    sent, duplicates kept) plus case-insensitive look-up that answers with the first
    value, as aiohttp's ``CIMultiDictProxy`` does. Iterating, ``items()`` and
    ``values()`` see every field, duplicates included, as a multidict's do. The
    look-up index is built on first use only."""

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

    def items(self) -> ItemsView[str, str]:
        """Every field in wire order, duplicates included."""
        return _Items(self)

    def values(self) -> ValuesView[str]:
        return _Values(self)

    def getall(self, name: str) -> list[str]:
        """Every value of ``name`` (any case), in order."""
        lower = name.lower()
        return [value for key, value in self._items if key.lower() == lower]

    def __getitem__(self, name: str) -> str:
        return self._lookup()[name.lower()]

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, /, default: str | _T) -> str | _T: ...
    def get(self, name: str, /, default: object = None) -> object:
        # Mapping's own get goes through __getitem__ and an exception for a miss.
        return self._lookup().get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._lookup()

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._items == other._items
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class _Items(ItemsView[str, str]):
    _mapping: Headers

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._mapping._items)

    def __contains__(self, item: object) -> bool:
        return item in self._mapping._items


class _Values(ValuesView[str]):
    _mapping: Headers

    def __iter__(self) -> Iterator[str]:
        return (value for _, value in self._mapping._items)
