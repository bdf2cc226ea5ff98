"""The strategy interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cc_relay.providers import Provider
from cc_relay.routing.context import RouteContext


class Strategy(Protocol):
    """Orders candidates: the first is tried first, the rest are the failover chain.

    A strategy may also leave candidates out (cost caps, model routes); the router
    reports those as skipped.
    """

    name: str

    def order(self, candidates: Sequence[Provider], ctx: RouteContext) -> list[Provider]: ...

    def describe(self, provider: Provider, ctx: RouteContext) -> str:
        """Why this provider sits where it does, for explain (a few words)."""
        ...
