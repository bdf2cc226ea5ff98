"""The service's usage RPC: the ledger's totals, grouped, as ``cc-relay usage`` reads them.

The query runs on a thread (SQLite, read-only, beside the writer thread in WAL mode),
so a month of rows never holds up the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3

from cc_relay.admin.codes import FAILED_PRECONDITION, INTERNAL, INVALID_ARGUMENT
from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.errors import AdminError
from cc_relay.holder import RuntimeHolder
from cc_relay.ledger import query

#: What an empty ``group_by`` means.
DEFAULT_GROUP = "day"


class UsageMethods:
    holder: RuntimeHolder

    async def GetUsage(self, request: pb.GetUsageRequest) -> pb.GetUsageResponse:
        writer = self.holder.ledger.writer
        if writer is None:
            raise AdminError(FAILED_PRECONDITION, "usage: the ledger is off (ledger.enabled)")
        timezone = self.holder.config.ledger.timezone
        since = request.since.ToMilliseconds() / 1000 if request.HasField("since") else None
        until = request.until.ToMilliseconds() / 1000 if request.HasField("until") else None
        try:
            rows = await asyncio.to_thread(
                query.usage, writer.path, group_by=request.group_by or DEFAULT_GROUP,
                since=since, until=until, filters=dict(request.filters), timezone=timezone,
            )  # fmt: skip
        except ValueError as exc:
            raise AdminError(INVALID_ARGUMENT, f"usage: {exc}") from None
        except sqlite3.Error as exc:
            raise AdminError(INTERNAL, f"usage: the ledger cannot be read: {exc}") from exc
        return pb.GetUsageResponse(groups=[_group(r) for r in rows], timezone=timezone)


def _group(r: query.UsageRow) -> pb.UsageGroup:
    return pb.UsageGroup(
        group=r.group, requests=r.requests, errors=r.errors, input_tokens=r.input_tokens,
        output_tokens=r.output_tokens, cache_read_tokens=r.cache_read_tokens,
        cache_write_tokens=r.cache_write_tokens, cost_usd=r.cost_usd, unpriced=r.unpriced,
    )  # fmt: skip
