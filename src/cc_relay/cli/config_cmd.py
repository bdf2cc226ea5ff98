"""``cc-relay config init`` and ``cc-relay config validate``."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from cc_relay.cli import cc_setup
from cc_relay.config import ConfigError, find_config, load_config

app = typer.Typer(help="Create and check config files; set up Claude Code.", no_args_is_help=True)
app.add_typer(cc_setup.app, name="cc")

DEFAULT_PATH = Path.home() / ".config" / "cc-relay" / "config.yaml"


def starter_text() -> str:
    """The commented example config shipped with the package."""
    return resources.files("cc_relay.config").joinpath("example.yaml").read_text("utf-8")


@app.command("init")
def init(
    path: Annotated[Path, typer.Option(help="Where to write it.")] = DEFAULT_PATH,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config (mode 0600)."""
    if path.exists() and not force:
        typer.secho(
            f"{path} already exists; use --force to overwrite it.", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(starter_text())
    os.chmod(path, 0o600)
    typer.echo(f"wrote {path}; edit it, then run: cc-relay serve --config {path}")


@app.command("validate")
def validate(
    file: Annotated[
        Path | None, typer.Argument(help="Config file (default: the one 'serve' would use).")
    ] = None,
) -> None:
    """Check a config file and report every problem at once."""
    try:
        path = find_config(file)
        if path is None:
            typer.secho(
                "no config file found (looked for --config, $CC_RELAY_CONFIG, "
                "./cc-relay.yaml, ~/.config/cc-relay/config.yaml)",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(2)
        config = load_config(path)
    except ConfigError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    names = ", ".join(p.name for p in config.providers) or "none"
    typer.echo(f"{path}: ok ({len(config.providers)} provider(s): {names})")
