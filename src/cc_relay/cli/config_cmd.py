"""``cc-relay config init|validate|example``, and the ``config cc`` group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cc_relay.cli import cc_setup

app = typer.Typer(
    help="Create and check config files; set up Claude Code.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(cc_setup.app, name="cc")

DEFAULT_PATH = Path.home() / ".config" / "cc-relay" / "config.yaml"


def starter_text() -> str:
    """The commented example config shipped with the package."""
    from importlib import resources

    return resources.files("cc_relay.config").joinpath("example.yaml").read_text("utf-8")


@app.command("example")
def example() -> None:
    """Print the commented reference config: every key, with its default."""
    typer.echo(starter_text(), nl=False)


@app.command("init")
def init(
    path: Annotated[Path, typer.Option(metavar="FILE", help="Where to write it.")] = DEFAULT_PATH,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config (mode 0600)."""
    import os

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
        Path | None,
        typer.Argument(metavar="FILE", help="Config file (default: the one 'serve' would use)."),
    ] = None,
) -> None:
    """Check a config file and report every problem at once."""
    from cc_relay.config import ConfigError, find_config, read_config

    try:
        path = find_config(file)
        if path is None:
            typer.secho(
                "no config file found (looked for --config, $CC_RELAY_CONFIG, "
                "./cc-relay.yaml, ~/.config/cc-relay/config.yaml); "
                "'cc-relay config init' writes one",
                fg=typer.colors.RED,
                err=True,
            )
            raise typer.Exit(2)
        loaded = read_config(path)
    except ConfigError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    for warning in loaded.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    providers = loaded.config.providers
    names = ", ".join(p.name for p in providers) or "none"
    typer.echo(f"{path}: ok ({len(providers)} provider(s): {names})")
