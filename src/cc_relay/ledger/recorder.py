"""The event subscriber: each settled ``/v1/messages`` request becomes a priced row.

It runs on the event stream's own task, never on the request path. For every
``RequestSettled`` it prices the usage (:mod:`~cc_relay.ledger.prices`, the config of
the Runtime current when the batch is handled), adds the cost to the client key's and
the provider key's budgets, tells the caller when a provider key's budget is now spent,
and hands the row to the writer thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from cc_relay.errors import error_type
from cc_relay.events import Event, RequestSettled
from cc_relay.ledger.budgets import BudgetTracker, Exceeded, client_holder, key_holder
from cc_relay.ledger.prices import Pricer, Quote

if TYPE_CHECKING:
    from cc_relay.config import Budget, RelayConfig
    from cc_relay.ledger.writer import LedgerWriter

#: The one path whose requests cost money.
MESSAGES_PATH = "/v1/messages"
#: Recorded for a request whose client went away (nginx's convention, as the API uses).
CLIENT_CLOSED = 499
#: Settled requests whose price ``Recorder.quote`` remembers.
QUOTES_KEPT = 1024

_SESSION_SUFFIX = re.compile(r"_session_([0-9A-Za-z-]+)$")

#: Called with (provider, key fingerprint, the budget that is spent).
OnKeySpent = Callable[[str, str, Exceeded], None]


def session_id(raw: str | None) -> str | None:
    """Claude Code's session id out of what it sent: the header is the id itself;
    ``metadata.user_id`` is a JSON string with a ``session_id`` (2.x) or ends in
    ``_session_<id>`` (1.x). Anything else is kept as it is."""
    if not raw:
        return None
    if raw.startswith("{"):
        try:
            value = json.loads(raw)
        except ValueError:
            return raw
        found = value.get("session_id") if isinstance(value, dict) else None
        return found if isinstance(found, str) and found else raw
    match = _SESSION_SUFFIX.search(raw)
    return match[1] if match else raw


def error_kind(event: RequestSettled) -> str | None:
    """Anthropic's error type for a failed request; ``client_closed`` when the client
    left; ``stream_error`` for a stream that broke after it started."""
    if event.status == CLIENT_CLOSED or event.error == "client disconnected":
        return "client_closed"
    if event.status >= 400:
        return error_type(event.status)
    return "stream_error" if event.error else None


class Recorder:
    """See the module docstring.

    Args:
        budgets: where spend is counted.
        writer: where rows go; None when ``ledger.enabled`` is off (budgets still count).
        config: the current config, read once per batch.
        on_key_spent: told when a provider key's budget is spent by a request.
    """

    def __init__(
        self,
        budgets: BudgetTracker,
        writer: LedgerWriter | None,
        config: Callable[[], RelayConfig],
        on_key_spent: OnKeySpent,
    ) -> None:
        self.budgets = budgets
        self.writer = writer
        self._config = config
        self._on_key_spent = on_key_spent
        self._for: RelayConfig | None = None
        self._pricer: Pricer | None = None
        self._names: dict[str, str | None] = {}
        self._key_budgets: dict[str, Budget] = {}
        self._quotes: dict[str, Quote] = {}
        """The last ``QUOTES_KEPT`` requests' prices, by request id (see ``quote``)."""

    def observe(self, batch: Sequence[Event]) -> None:
        for event in batch:
            if isinstance(event, RequestSettled) and event.path == MESSAGES_PATH:
                self.record(event)

    def _refresh(self) -> Pricer:
        config = self._config()
        if self._pricer is None or config is not self._for:
            from cc_relay.observability.redact import fingerprint

            self._for = config
            self._pricer = Pricer(config)
            self._names = {fingerprint(c.key): c.name for c in config.server.auth}
            self._key_budgets = {
                key_holder(p.name, fingerprint(k.key)): k.budget
                for p in config.providers
                for k in p.keys
                if k.budget is not None
            }
        return self._pricer

    def quote(self, event: RequestSettled) -> Quote:
        """What a settled request cost, at the prices in force (config, then built-in).

        The ledger, the request log, the metrics and the totals each ask for every
        request (``holder.cost_of``): the answer is kept for the last ``QUOTES_KEPT``
        requests, so it is priced once and all of them agree, even across a reload that
        changes prices."""
        quotes = self._quotes
        quote = quotes.get(event.request_id)
        if quote is None:
            if len(quotes) >= QUOTES_KEPT:
                quotes.clear()
            model = event.upstream_model or event.client_model
            quote = self._refresh().quote(event.provider, model, event.usage)
            quotes[event.request_id] = quote
        return quote

    def record(self, event: RequestSettled) -> None:
        usage = event.usage
        quote = self.quote(event)
        cost = quote.cost
        if cost is None and not any(getattr(usage, n) for n in usage.__slots__):
            cost = 0.0  # nothing was used (refused, failed before an answer): free
        if cost:
            if event.client_key is not None:
                self.budgets.add(client_holder(event.client_key), cost, event.at)
            if event.key is not None and event.provider is not None:
                self._charge_key(event.provider, event.key, cost, event.at)
        if self.writer is not None:
            self.writer.put(
                (
                    event.at, event.request_id, event.client_key,
                    self._names.get(event.client_key) if event.client_key else None,
                    session_id(event.session), event.client_model, event.provider,
                    event.upstream_model, event.key, int(event.stream), event.status,
                    error_kind(event), event.error, event.attempts, event.latency, event.ttfb,
                    usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens,
                    usage.cache_creation_input_tokens, cost, quote.source,
                )
            )  # fmt: skip

    def _charge_key(self, provider: str, key: str, cost: float, at: float) -> None:
        holder = key_holder(provider, key)
        self.budgets.add(holder, cost, at)
        budget = self._key_budgets.get(holder)
        if budget is not None:
            spent = self.budgets.exceeded(holder, budget.daily_usd, budget.monthly_usd)
            if spent is not None:
                self._on_key_spent(provider, key, spent)
