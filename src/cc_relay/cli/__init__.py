"""The ``cc-relay`` command: one module per subcommand.

``cc-relay version`` (and ``--version`` / ``-V``) and ``cc-relay statusline`` are
answered before typer is imported: typer alone takes longer to load than the whole
budget of a status-line call.
"""

from __future__ import annotations

import sys

_VERSION_ARGS = (["version"], ["--version"], ["-V"])


def main() -> None:
    if sys.argv[1:] in _VERSION_ARGS:
        from cc_relay.cli.version import version

        version()
        return
    if sys.argv[1:2] == ["statusline"]:
        from cc_relay.cli.statusline import main as statusline

        sys.exit(statusline(sys.argv[2:]))
    from cc_relay.cli._app import app

    app()


__all__ = ["main"]
