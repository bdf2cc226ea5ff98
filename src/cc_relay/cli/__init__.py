"""The ``cc-relay`` command: one module per subcommand."""

from __future__ import annotations

import typer

from cc_relay.cli import config_cmd, inspect, serve, version

app = typer.Typer(
    name="cc-relay",
    help="An Anthropic Messages API gateway for Claude Code: many providers, one endpoint.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("version")(version.version)
app.command("status")(inspect.status)
app.command("models")(inspect.models)
app.command("explain")(inspect.explain)
app.add_typer(config_cmd.app, name="config")


def main() -> None:
    app()


__all__ = ["app", "main"]
