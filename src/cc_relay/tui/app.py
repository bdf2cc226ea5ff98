"""The dashboard app: four views over one admin Source, and the keys that act on it.

Two long-running exclusive workers read StreamStats and StreamRequests; when the relay
goes away each says so in the status line, waits ``RETRY`` seconds and calls again, so
the dashboard comes back by itself with the relay. Every action (enable, reset, reload,
explain, a request's detail) is a call in its own exclusive worker group.

The scope (``s``: this replica, the fleet, then each other replica in turn, from
ListReplicas) is passed to both streams; changing it restarts them and empties the
request log, which shows a replica column outside the local scope.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from pathlib import Path
from typing import ClassVar, TypeVar

from rich.markup import escape
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, DataTable, Footer, Static

from cc_relay.admin.v1 import admin_pb2 as pb
from cc_relay.tui._source import Disconnected, Source, TuiError
from cc_relay.tui.dialogs import ConfirmScreen, MessageScreen, PromptScreen
from cc_relay.tui.overview import OverviewView
from cc_relay.tui.providers import ProvidersView
from cc_relay.tui.requests import RequestsView
from cc_relay.tui.usage import UsageView

_T = TypeVar("_T")

#: Seconds between attempts to reach a relay that went away.
RETRY = 1.0
#: Seconds between GetUsage calls while the usage view is shown.
USAGE_EVERY = 10.0

VIEWS = ("overview", "providers", "requests", "usage")
_VIEWS = Binding.Group("views", compact=True)

KEYS = """\
1 2 3 4   overview, providers, requests, usage
/         filter the requests (provider:NAME model:TEXT status:5xx text)
s         scope: this replica, the fleet, then each replica
e         enable or disable the selected provider (asks first)
c         reset the selected provider's circuit
r         reload the config file and show the result
x         explain the routing for a model
?         this list
q         quit
Mouse: click a row to select it, a view's key in the footer to switch."""


class Dashboard(App[None]):
    """``cc-relay tui``: the relay's live state from its admin service."""

    # Beside this module, whichever module a subclass lives in.
    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "cc-relay"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "view('overview')", "overview", group=_VIEWS),
        Binding("2", "view('providers')", "providers", group=_VIEWS),
        Binding("3", "view('requests')", "requests", group=_VIEWS),
        Binding("4", "view('usage')", "usage", group=_VIEWS),
        Binding("slash", "filter", "filter"),
        # Off the footer, which is full at 80 columns; the status line shows the scope.
        Binding("s", "scope", "scope", show=False),
        Binding("e", "toggle_enabled", "on/off"),
        Binding("c", "reset_circuit", "reset"),
        Binding("r", "reload", "reload"),
        Binding("x", "explain", "explain"),
        Binding("question_mark", "help", "keys"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, source: Source, *, follow: bool = True) -> None:
        """Args:
        source: where the data comes from (the admin gRPC service, or a test's stand-in).
        follow: read the streams; a snapshot test feeds the views itself instead.
        """
        super().__init__()
        self.source = source
        self._follow = follow
        self.connected = False
        self._stats_up = False
        self._requests_up = False
        self._detail_id = ""
        self.scope = ""
        """What the views show: empty (this replica), ``fleet`` or a replica id."""

    def compose(self) -> ComposeResult:
        yield Static(f"connecting to {self.source.address} …", id="status")
        with ContentSwitcher(initial="overview", id="views"):
            yield OverviewView(id="overview")
            yield ProvidersView(id="providers")
            yield RequestsView(id="requests")
            yield UsageView(id="usage")
        yield Footer()

    def on_mount(self) -> None:
        if self._follow:
            self.follow_stats()
            self.follow_requests()
            self.set_interval(USAGE_EVERY, self._poll_usage)

    def _poll_usage(self) -> None:
        if self.query_one("#views", ContentSwitcher).current == "usage":
            self.refresh_usage()

    def on_usage_view_period_changed(self, event: UsageView.PeriodChanged) -> None:
        self.refresh_usage()

    @work(exclusive=True, group="usage")
    async def refresh_usage(self) -> None:
        view = self.query_one(UsageView)
        start = view.since
        try:
            by_provider = await self.source.usage("provider", start)
            by_model = await self.source.usage("model", start)
        except TuiError as exc:
            if self.is_running:
                view.show_error(str(exc))
            return
        if self.is_running:
            view.show(by_provider, by_model)

    async def on_unmount(self) -> None:
        await self.source.close()

    # ------------------------------------------------------------------ streams

    def apply_stats(self, stats: pb.StreamStatsResponse) -> None:
        """One StreamStats snapshot into every view that shows it."""
        if not self.is_running:
            return  # a snapshot that arrived while the app closes
        self.query_one(OverviewView).update_stats(stats)
        self.query_one(ProvidersView).update_providers(list(stats.providers))
        status = stats.status
        self._set_status(
            f"[green]●[/] {escape(self.source.address)}  cc-relay {escape(status.version)}"
            f"  up {status.uptime_seconds:.0f}s  generation {status.config_generation}"
            f"  scope: {scope_label(stats.scope)}"
        )

    def apply_request(self, request: pb.Request) -> None:
        if not self.is_running:
            return
        self.query_one(RequestsView).add(request)

    @work(exclusive=True, group="stats")
    async def follow_stats(self) -> None:
        while True:
            try:
                async for stats in self.source.stats(self.scope):
                    self._stats_up = True
                    self.apply_stats(stats)
            except asyncio.CancelledError:
                raise
            except TuiError as exc:
                self._stats_up = False
                self._set_status(f"[red]● {escape(str(exc))}[/], retrying every {RETRY:.0f}s")
            await asyncio.sleep(RETRY)

    @work(exclusive=True, group="requests")
    async def follow_requests(self) -> None:
        while True:
            try:
                async for request in self.source.requests(self.scope):
                    self._requests_up = True
                    self.apply_request(request)
            except asyncio.CancelledError:
                raise
            except TuiError:
                self._requests_up = False
            await asyncio.sleep(RETRY)

    def _set_status(self, markup: str) -> None:
        self.connected = self._stats_up
        if not self.is_running:
            return
        self.query_one("#status", Static).update(markup)

    # ------------------------------------------------------------------ actions

    def action_view(self, name: str) -> None:
        self.query_one("#views", ContentSwitcher).current = name
        # Arrows and the mouse wheel move through the view on screen, not a hidden one.
        for table in self.query_one(f"#{name}").query(DataTable):
            if table.cursor_type != "none":
                table.focus()
                break
        if name == "usage":
            self.refresh_usage()

    @work(exclusive=True, group="scope")
    async def action_scope(self) -> None:
        answer = await self._answer(self.source.replicas())
        if answer is None:
            return
        others = [r.id for r in answer.replicas if not r.answering]
        choices = ["", "fleet", *others]
        current = choices.index(self.scope) if self.scope in choices else 0
        self.set_scope(choices[(current + 1) % len(choices)])

    def set_scope(self, scope: str) -> None:
        """Show ``scope`` from now on: the views start over from its streams."""
        self.scope = scope
        self.query_one(RequestsView).reset(replicas=bool(scope))
        self.query_one(OverviewView).reset()
        if self._follow:
            self.follow_stats()
            self.follow_requests()

    def action_filter(self) -> None:
        self.action_view("requests")
        self.query_one(RequestsView).open_filter()

    def action_help(self) -> None:
        self.push_screen(MessageScreen("keys", KEYS))

    async def _answer(self, call: Awaitable[_T]) -> _T | None:
        """The call's answer, or None once the user has been told why there is none."""
        try:
            return await call
        except TuiError as exc:
            self.notify(str(exc), severity="error")
            return None

    def _selected_provider(self) -> str | None:
        name = self.query_one(ProvidersView).selected
        if name is None:
            self.notify("no provider selected (view 2)", severity="warning")
        return name

    @work(exclusive=True, group="action")
    async def action_toggle_enabled(self) -> None:
        name = self._selected_provider()
        if name is None:
            return
        provider = self.query_one(ProvidersView).providers[name]
        verb = "Disable" if provider.enabled else "Enable"
        if not await self.push_screen_wait(ConfirmScreen(f"{verb} provider {name}?")):
            return
        answer = await self._answer(self.source.set_enabled(name, not provider.enabled))
        if answer is not None:
            self.notify(f"{name} {'enabled' if answer.enabled else 'disabled'}")

    @work(exclusive=True, group="action")
    async def action_reset_circuit(self) -> None:
        name = self._selected_provider()
        if name is None:
            return
        if await self._answer(self.source.reset_circuit(name)) is not None:
            self.notify(f"{name}: circuit closed")

    @work(exclusive=True, group="action")
    async def action_reload(self) -> None:
        answer = await self._answer(self.source.reload())
        if answer is not None:
            await self.push_screen_wait(MessageScreen(*reload_report(answer)))

    @work(exclusive=True, group="action")
    async def action_explain(self) -> None:
        model = await self.push_screen_wait(
            PromptScreen("Explain routing for which model?", "claude-sonnet-4-5")
        )
        if model is None:
            return
        answer = await self._answer(self.source.explain(model))
        if answer is not None:
            await self.push_screen_wait(
                MessageScreen(f"routing for {model}", explain_report(answer))
            )

    def on_requests_view_selected(self, event: RequestsView.Selected) -> None:
        if event.request_id != self._detail_id:
            self._detail_id = event.request_id
            self.fetch_detail(event.request_id)

    @work(exclusive=True, group="detail")
    async def fetch_detail(self, request_id: str) -> None:
        try:
            request = await self.source.get_request(request_id)
        except Disconnected:
            return
        except TuiError as exc:
            self.query_one("#detail", Static).update(escape(str(exc)))
            return
        if self.is_running:
            self.query_one(RequestsView).show_detail(request)


def scope_label(info: pb.ScopeInfo) -> str:
    """The status line's words for what the views show."""
    if info.degraded:
        return f"[yellow]{escape(info.scope)}: {escape(info.reason)}[/]"
    if info.scope in ("", "local"):
        return "this replica"
    if info.scope == "fleet":
        count = len(info.replicas)
        return f"fleet ({count} replica{'s' if count != 1 else ''})"
    return f"replica {escape(info.scope)}"


def reload_report(answer: pb.ReloadConfigResponse) -> tuple[str, str]:
    """The reload's title and body: what changed, or every problem."""
    if answer.ok:
        changes = "\n".join(f"• {escape(c)}" for c in answer.changes) or "nothing changed"
        return f"reloaded: generation {answer.generation}", changes
    problems = [
        f"• {escape(p.file)}{f':{p.line}' if p.line else ''}"
        f"{':' + escape(p.path) if p.path else ''}: {escape(p.message)}"
        for p in answer.problems
    ]
    return "[red]reload failed[/]", "\n".join(problems) or escape(answer.error)


def explain_report(answer: pb.ExplainResponse) -> str:
    lines = [
        f"resolved {escape(answer.resolved_model)}, strategy {escape(answer.strategy)}"
        + (", session affinity" if answer.session_affinity else "")
    ]
    for n, c in enumerate(answer.attempts, 1):
        lines.append(
            f"  {n}. {escape(c.provider)} ({escape(c.type)}) as {escape(c.upstream_model)}, "
            f"circuit {c.circuit}, {c.keys} keys: {escape(c.why)}"
        )
    lines.extend(f"  skipped {escape(c.provider)}: {escape(c.reason)}" for c in answer.skipped)
    if not answer.attempts:
        lines.append("[red]no provider would take it[/]")
    return "\n".join(lines)
