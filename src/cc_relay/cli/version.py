"""``cc-relay version``."""

from __future__ import annotations

import typer

from cc_relay import __version__


def version() -> None:
    """Print the cc-relay version."""
    typer.echo(f"cc-relay {__version__}")
