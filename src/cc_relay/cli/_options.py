"""Options several subcommands share, declared once.

This module is imported whenever the CLI starts, so it imports typer and nothing else.
"""

from __future__ import annotations

from typing import Annotated

import typer

ConfigOpt = Annotated[
    str | None,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        help="Config file to read the relay's address and key from.",
    ),
]
UrlOpt = Annotated[
    str | None,
    typer.Option(metavar="URL", help="Relay URL (default: from the config's server.listen)."),
]
KeyOpt = Annotated[
    str | None,
    typer.Option(
        metavar="KEY",
        help="Relay key, when the relay requires one (default: $CC_RELAY_API_KEY, "
        "else the first of the config's server.auth).",
    ),
]
AdminKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--admin-key",
        metavar="KEY",
        help="Admin key, when the relay has admin.keys (default: $CC_RELAY_ADMIN_KEY, "
        "else the first of the config's admin.keys).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]
ScopeOpt = Annotated[
    str | None,
    typer.Option(
        "--scope",
        metavar="SCOPE",
        help="Whose data: local (this replica, the default), fleet (every replica sharing "
        "its Redis state), or a replica id (see 'cc-relay replicas').",
    ),
]
