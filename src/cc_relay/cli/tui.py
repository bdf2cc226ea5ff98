"""``cc-relay tui``: the live dashboard, over the running relay's admin gRPC service."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cc_relay.cli._options import AdminKeyOpt, ConfigOpt


def tui(
    url: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PORT",
            help="The relay's admin gRPC address (default: the config's admin.grpc_listen).",
        ),
    ] = None,
    admin_key: AdminKeyOpt = None,
    config: ConfigOpt = None,
) -> None:
    """A live dashboard: overview, providers, requests, usage. Press ? for the keys."""
    from cc_relay.cli._admin import ADMIN_KEY_ENV
    from cc_relay.cli._target import load_or_exit

    loaded = load_or_exit(config)
    address = url or _grpc_address(loaded.config.admin.grpc_listen)
    key = admin_key or os.environ.get(ADMIN_KEY_ENV) or next(iter(loaded.config.admin.keys), None)

    from cc_relay.tui import Dashboard, GrpcSource

    Dashboard(GrpcSource(address, key)).run()


def _grpc_address(listen: str | None) -> str:
    if listen is None:
        typer.secho(
            "The config turns the admin gRPC listener off (admin.grpc_listen: null); "
            "pass the address of one with --url HOST:PORT.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    host, _, port = listen.rpartition(":")
    if host in ("0.0.0.0", "[::]", "::", ""):
        host = "127.0.0.1"
    return f"{host}:{port}"
