"""``cc-relay statusline`` as typer sees it: for ``--help`` listings only.

``cc-relay statusline`` itself never reaches typer: ``cc_relay.cli.main`` hands it to
``cc_relay.cli.statusline`` first, because typer takes longer to import than a status
line may take in all. This declares the same options so the help is right.
"""

from __future__ import annotations

from typing import Annotated

import typer


def statusline(
    url: Annotated[
        str | None, typer.Option(metavar="URL", help="Relay URL (default: $ANTHROPIC_BASE_URL).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="Ledger database (default: $CC_RELAY_LEDGER)."),
    ] = None,
    key: Annotated[
        str | None, typer.Option(metavar="KEY", help="Relay key (default: $CC_RELAY_API_KEY).")
    ] = None,
) -> None:
    """One line for Claude Code's statusLine: provider, model, today's cost, headroom."""
    from cc_relay.cli.statusline import main

    argv = [arg for name, value in (("--url", url), ("--db", db), ("--key", key)) if value
            for arg in (name, value)]  # fmt: skip
    raise typer.Exit(main(argv))
