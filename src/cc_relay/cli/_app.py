"""The typer application: every subcommand, registered from its own module.

Command modules import only typer at the top; what a command needs is imported when it
runs, so starting the CLI for one command never loads the others' dependencies.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cc_relay.cli import (
    circuit,
    config_cmd,
    explain,
    models,
    providers,
    reload,
    replicas,
    requests,
    serve,
    status,
    statusline_cmd,
    tui,
    usage,
    version,
)

app = typer.Typer(
    name="cc-relay",
    help="An Anthropic Messages API gateway for Claude Code: many providers, one endpoint.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: the rich panels print "<bool>" beside every flag, --help included.
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        version.version()
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    """An Anthropic Messages API gateway for Claude Code: many providers, one endpoint."""


app.command("serve")(serve.serve)
app.command("version")(version.version)
app.command("status")(status.status)
app.command("models")(models.models)
app.command("explain")(explain.explain)
app.command("reload")(reload.reload)
app.command("requests")(requests.requests)
app.command("replicas")(replicas.replicas)
app.command("usage")(usage.usage)
app.command("statusline")(statusline_cmd.statusline)
app.command("tui")(tui.tui)
app.add_typer(config_cmd.app, name="config")
app.add_typer(providers.app, name="providers")
app.add_typer(circuit.app, name="circuit")
