"""``cc-relay version`` (also ``--version`` / ``-V``).

Imports nothing but the package's version: ``cc-relay`` answers this one before typer
is even loaded (see ``cc_relay.cli.main``), so a status line can call it cheaply.
"""

from __future__ import annotations

from cc_relay import __version__


def version() -> None:
    """Print the cc-relay version."""
    print(f"cc-relay {__version__}")
