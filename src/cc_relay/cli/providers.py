"""``cc-relay providers enable|disable NAME``: take a provider out of routing or back in,
at once, on the running relay (its admin service's SetProviderEnabled)."""

from __future__ import annotations

from typing import Annotated

import typer

from cc_relay.cli._options import AdminKeyOpt, ConfigOpt, UrlOpt

app = typer.Typer(help="Take providers out of routing, or put them back.", no_args_is_help=True)
NameArg = Annotated[str, typer.Argument(help="The provider's name in the config.")]


def _set(name: str, enabled: bool, config: str | None, url: str | None, key: str | None) -> None:
    from cc_relay.cli._admin import admin_target, call

    target = admin_target(config, url, key)
    answer = call(target, "SetProviderEnabled", {"name": name, "enabled": enabled})
    provider = answer["provider"]
    state = "enabled" if provider.get("enabled") else "disabled"
    note = " (until the file changes its enabled)" if provider.get("enabledOverridden") else ""
    typer.echo(f"{name}: {state}{note}")


@app.command("enable")
def enable(
    name: NameArg, config: ConfigOpt = None, url: UrlOpt = None, admin_key: AdminKeyOpt = None
) -> None:
    """Put a provider back into routing."""
    _set(name, True, config, url, admin_key)


@app.command("disable")
def disable(
    name: NameArg, config: ConfigOpt = None, url: UrlOpt = None, admin_key: AdminKeyOpt = None
) -> None:
    """Take a provider out of routing now; requests fail over to the others."""
    _set(name, False, config, url, admin_key)
