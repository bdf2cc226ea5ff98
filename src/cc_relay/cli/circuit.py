"""``cc-relay circuit reset NAME``: close a provider's circuit now."""

from __future__ import annotations

from typing import Annotated

import typer

from cc_relay.cli._options import AdminKeyOpt, ConfigOpt, UrlOpt

app = typer.Typer(help="Circuit breakers of the running relay.", no_args_is_help=True)


@app.command("reset")
def reset(
    name: Annotated[str, typer.Argument(help="The provider's name in the config.")],
    config: ConfigOpt = None,
    url: UrlOpt = None,
    admin_key: AdminKeyOpt = None,
) -> None:
    """Close a provider's circuit now, so requests go to it again."""
    from cc_relay.cli._admin import admin_target, call

    answer = call(admin_target(config, url, admin_key), "ResetCircuit", {"name": name})
    typer.echo(f"{name}: circuit closed ({answer['provider'].get('health', 'healthy')})")
