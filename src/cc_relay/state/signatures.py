"""Thinking-signature families shared through Redis, with their expiry.

Lookups stay local and synchronous (``SignatureLedger.family_of`` runs while a body is
being transformed). So sharing is a push: a signature this replica records is stored as
``<prefix>:sig:<hash>`` (expiring with the entry) and published on
``<prefix>:signatures``; every replica puts what the others publish into its own
ledger. A replica that starts late reads the stored ones once, in the background.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cc_relay.state.redis_state import RedisState
    from cc_relay.thinking.ledger import SignatureLedger

__all__ = ["RedisSignatures", "SCAN_BATCH"]

SCAN_BATCH = 1000
"""Keys read per round trip when a replica catches up."""

Entry = tuple[bytes, str, float]
"""A signature's hash, its family and its Unix expiry."""


class RedisSignatures:
    """See the module docstring."""

    def __init__(self, state: RedisState) -> None:
        self._state = state
        self._ledger: Callable[[], SignatureLedger | None] = lambda: None
        self._caught_up = False

    @property
    def channel(self) -> str:
        return self._state.key("signatures")

    def bind(self, ledger: Callable[[], SignatureLedger | None]) -> None:
        self._ledger = ledger

    def recorded(self, entry: Entry) -> None:
        """``SignatureLedger.shared``: this replica relayed a new signature."""
        if self._state.up:
            self._state.spawn(self._publish(entry))

    async def _publish(self, entry: Entry) -> None:
        digest, family, expires = entry
        ttl = int(expires - time.time())
        if ttl <= 0:
            return
        value = f"{family} {expires:.0f}"
        pipe = self._state.client.pipeline(transaction=False)
        pipe.set(self._state.key("sig", digest.hex()), value, ex=ttl)
        pipe.publish(self.channel, f"{digest.hex()} {value} {self._state.replica}")
        await self._state.guard(pipe.execute())

    def apply(self, raw: bytes) -> None:
        parts = raw.decode(errors="replace").split(" ")
        ledger = self._ledger()
        if len(parts) != 4 or parts[3] == self._state.replica or ledger is None:
            return
        try:
            ledger.restore([(bytes.fromhex(parts[0]), parts[1], float(parts[2]))])
        except ValueError:
            return

    async def catch_up(self) -> None:
        """Once per process: the signatures others stored before this one listened."""
        ledger = self._ledger()
        if self._caught_up or ledger is None:
            return
        client = self._state.client
        prefix = self._state.key("sig", "")
        cursor: int = 0
        while True:
            reply = await self._state.guard(
                client.scan(cursor, match=f"{prefix}*", count=SCAN_BATCH)
            )
            if reply is None:
                return
            cursor, keys = reply
            if keys:
                values = await self._state.guard(client.mget(keys))
                if values is None:
                    return
                entries: list[Entry] = []
                for key, value in zip(keys, values, strict=True):
                    if value:
                        name = key.decode() if isinstance(key, bytes) else str(key)
                        text = value.decode() if isinstance(value, bytes) else str(value)
                        family, _, expires = text.partition(" ")
                        entries.append((bytes.fromhex(name[len(prefix) :]), family, float(expires)))
                ledger.restore(entries)
            if not cursor:
                break
        self._caught_up = True
