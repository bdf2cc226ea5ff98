"""View 1: the relay at a glance, with sparklines over the last minutes."""

from __future__ import annotations

from collections import deque

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import Label, Sparkline, Static

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui._format import count, ms, percentile, usd

#: Snapshots (one a second) the sparklines keep: five minutes.
HISTORY = 300

SERIES = ("rps", "errors", "p50", "p95", "ttfb")
TITLES = {
    "rps": "requests/s",
    "errors": "error rate",
    "p50": "latency p50",
    "p95": "latency p95",
    "ttfb": "TTFB p50",
}


class OverviewView(Vertical):
    """Requests/s, error rate, latency and TTFB over time; totals; config state."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._history = {name: deque[float](maxlen=HISTORY) for name in SERIES}
        self._last: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        with Grid(id="sparks"):
            for name in SERIES:
                yield Label(TITLES[name], id=f"label-{name}", classes="spark-label")
                yield Sparkline([], id=f"spark-{name}", classes="spark")
        yield Static(id="totals")

    def reset(self) -> None:
        """Start the sparklines over (another scope's numbers are not this one's)."""
        for series in self._history.values():
            series.clear()
        self._last = None

    def update_stats(self, stats: pb.StreamStatsResponse) -> None:
        status, providers = stats.status, stats.providers
        totals = status.totals
        rps = sum(p.requests_per_second for p in providers)
        requests, errors = totals.requests, totals.errors
        previous = self._last or (requests, errors)
        done = requests - previous[0]
        error_rate = (errors - previous[1]) / done if done > 0 else 0.0
        self._last = (requests, errors)
        # Every request's percentiles (the service adds the providers' histograms up).
        worst = {
            "p50": percentile(stats.latency, "p50_seconds"),
            "p95": percentile(stats.latency, "p95_seconds"),
            "ttfb": percentile(stats.ttfb, "p50_seconds"),
        }
        values = {"rps": rps, "errors": error_rate} | {k: v or 0.0 for k, v in worst.items()}
        shown = {
            "rps": f"{rps:.1f}",
            "errors": f"{error_rate:.0%}",
            **{k: ms(v) for k, v in worst.items()},
        }
        for name in SERIES:
            self._history[name].append(values[name])
            self.query_one(f"#spark-{name}", Sparkline).data = list(self._history[name])
            self.query_one(f"#label-{name}", Label).update(f"{TITLES[name]} {shown[name]}")
        reload = status.last_reload
        if not reload.HasField("at"):
            reloaded = "no reload yet"
        elif reload.ok:
            reloaded = "last reload ok" + (
                f": {', '.join(reload.changes)}" if reload.changes else ""
            )
        else:
            reloaded = f"[red]last reload failed: {escape(reload.error)}[/]"
        connections = status.connections
        self.query_one("#totals", Static).update(
            f"requests {count(requests)}  errors {count(errors)}  "
            f"in flight {totals.in_flight}\n"
            f"connections {connections.open}  answered by the front server "
            f"{count(connections.front_answered)}  handed to aiohttp "
            f"{count(connections.handed_over)}\n"
            f"tokens in {count(totals.input_tokens)}  out {count(totals.output_tokens)}  "
            f"cost {usd(totals.cost_usd)}\n"
            f"config generation {status.config_generation}  {reloaded}"
            f"{_faults(status)}"
        )


def _faults(status: pb.Status) -> str:
    """Lines for what keeps serving but needs a look: a ledger that cannot write, a
    Redis that does not answer. Nothing while both are well."""
    lines = []
    ledger = status.ledger
    if ledger.error:
        lines.append(
            f"[red]ledger writes fail: {escape(ledger.error)} ({count(ledger.unwritten)} rows "
            f"waiting, {count(ledger.dropped)} dropped)[/]"
        )
    state = status.state
    if state.backend == "redis" and not state.connected:
        lines.append(
            f"[red]shared state: redis unavailable: {escape(state.error)} (local limits; "
            f"{count(state.fallbacks)} fallbacks)[/]"
        )
    return "".join(f"\n{line}" for line in lines)
