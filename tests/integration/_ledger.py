"""Helpers for the ledger tests: the rows a relay wrote, and the cost they must have."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from cc_relay.server import RelayServer

#: USD per million tokens, configured on every provider in these tests.
PRICES = {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}


def expected_cost(
    input_tokens: int, output_tokens: int, cache_read: int = 0, cache_write: int = 0
) -> float:
    """The emulator's usage times PRICES, by the ledger's own formula."""
    return (
        input_tokens * PRICES["input"]
        + output_tokens * PRICES["output"]
        + cache_read * PRICES["cache_read"]
        + cache_write * PRICES["cache_write"]
    ) / 1_000_000


async def ledger_rows(relay: RelayServer) -> list[dict[str, Any]]:
    """Every request row the relay has written, after it handled all it published."""
    await relay.holder.events.flush()
    writer = relay.holder.ledger.writer
    assert writer is not None
    assert await asyncio.to_thread(writer.flush), writer.error
    conn = sqlite3.connect(writer.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM requests ORDER BY id")]
    finally:
        conn.close()
