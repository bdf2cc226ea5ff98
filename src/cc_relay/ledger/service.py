"""The ledger as the holder sees it: one object that starts, records, refuses, closes.

:class:`Ledger` lives on the holder, not on a Runtime, so a reload keeps its writer
thread, its budget spend and its signature hook. It

- opens the database at start (in a thread), loads this day's and month's spend into
  the budgets and the unexpired thinking signatures into the signature ledger;
- feeds each batch of events to the :class:`~cc_relay.ledger.recorder.Recorder`;
- refuses a client whose relay key's budget is spent (O(1), from the middleware);
- holds a provider key whose budget is spent out of its pool until the period ends,
  and re-applies that to every Runtime a reload builds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cc_relay.errors import ApiError
from cc_relay.events import Event
from cc_relay.ledger import paths
from cc_relay.ledger.budgets import BudgetTracker, Exceeded, client_holder, key_holder
from cc_relay.ledger.recorder import Recorder
from cc_relay.ledger.writer import LedgerWriter
from cc_relay.views import LedgerView

if TYPE_CHECKING:
    from cc_relay.config import ClientKey, RelayConfig
    from cc_relay.runtime import Runtime

log = logging.getLogger("cc_relay.ledger")


class Ledger:
    """See the module docstring.

    Args:
        config: the first config (``ledger.*`` is read once: path, zone and switch
            changes take effect on restart).
        current: the Runtime now serving.
    """

    def __init__(self, config: RelayConfig, current: Callable[[], Runtime]) -> None:
        settings = config.ledger
        self._current = current
        self.budgets = BudgetTracker(settings.timezone)
        self.writer: LedgerWriter | None = (
            LedgerWriter(paths.resolve(settings.path), retention_days=settings.retention_days)
            if settings.enabled
            else None
        )
        self.recorder = Recorder(
            self.budgets, self.writer, lambda: current().config, self._key_spent
        )

    async def start(self) -> None:
        runtime = self._current()
        if self.writer is not None:
            budgets = self.budgets
            loaded = await asyncio.to_thread(
                self.writer.open, day_start=budgets.day.start, month_start=budgets.month.start
            )
            budgets.load(daily=loaded.daily, monthly=loaded.monthly)
            runtime.signatures.restore(loaded.signatures)
            runtime.signatures.on_record = self.writer.put_signature
        self.attach(runtime)

    async def close(self) -> None:
        if self.writer is not None:
            await asyncio.to_thread(self.writer.close)

    def observe(self, batch: Sequence[Event]) -> None:
        self.recorder.observe(batch)

    # -- budgets ----------------------------------------------------------------------

    def check_client(self, fingerprint: str, client: ClientKey) -> None:
        """Raise a 429 ``rate_limit_error`` when the client key's budget is spent."""
        budget = client.budget
        if budget is None:
            return
        spent = self.budgets.exceeded(
            client_holder(fingerprint), budget.daily_usd, budget.monthly_usd
        )
        if spent is None:
            return
        who = repr(client.name) if client.name else fingerprint
        raise ApiError(
            429,
            f"cc-relay: the {spent.period} budget of relay key {who} is spent: "
            f"${spent.spent:.4f} of ${spent.limit:.2f}; it resets at {spent.resets}.",
            error_type="rate_limit_error",
            headers={"retry-after": str(max(1, int(spent.resets_at - time.time()) + 1))},
        )

    def attach(self, runtime: Runtime) -> None:
        """Hold out of its pool every key of ``runtime`` whose budget is spent, and let
        back the ones whose budget is not (a reload may have raised it)."""
        for provider in runtime.config.providers:
            for key in provider.keys:
                fp = runtime.key_fingerprint(key.key)
                budget = key.budget
                spent = (
                    None
                    if budget is None
                    else self.budgets.exceeded(
                        key_holder(provider.name, fp), budget.daily_usd, budget.monthly_usd
                    )
                )
                runtime.hold_key(provider.name, fp, None if spent is None else spent.resets_at)

    def _key_spent(self, provider: str, key: str, spent: Exceeded) -> None:
        if self._current().hold_key(provider, key, spent.resets_at):
            log.warning(
                "provider %r key %s reached its %s budget ($%.4f of $%.2f): skipped until %s",
                provider,
                key,
                spent.period,
                spent.spent,
                spent.limit,
                spent.resets,
            )

    def view(self) -> LedgerView | None:
        writer = self.writer
        if writer is None:
            return None
        return LedgerView(
            path=str(writer.path),
            written=writer.written,
            unwritten=writer.unwritten,
            dropped=writer.dropped,
            error=writer.error,
        )
