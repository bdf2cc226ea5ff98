"""``cc-relay serve``: run the relay in the foreground.

The relay itself (aiohttp, providers, botocore...) is imported when the command runs,
not when the CLI starts: every other subcommand would pay for it otherwise.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from cc_relay.config import LoadedConfig, RelayConfig
    from cc_relay.server import RelayServer


def serve(
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", metavar="FILE", help="Config file (YAML or TOML)."),
    ] = None,
    listen: Annotated[
        str | None,
        typer.Option(metavar="HOST:PORT", help="host:port to bind, overriding server.listen."),
    ] = None,
    log_level: Annotated[
        str | None, typer.Option(metavar="LEVEL", help="debug, info, warning or error.")
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Debug logging with request and response bodies (secrets redacted)."
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processes serving one port (SO_REUSEPORT); above 1 needs state.backend: redis.",
        ),
    ] = 1,
    worker: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run the relay until interrupted."""
    from cc_relay.cli._target import load_or_exit
    from cc_relay.observability import LogSetup
    from cc_relay.observability.redact import config_secrets
    from cc_relay.providers import ProviderSetupError
    from cc_relay.server import RelayServer, serve_forever

    loaded = load_or_exit(config)
    cfg = _override(loaded.config, listen=listen, log_level=log_level, debug=debug)
    if workers > 1:
        _serve_workers(cfg, loaded, workers, log_level=log_level, debug=debug)
    if worker:
        # One admin gRPC port, one listener: worker 0's.
        cfg = cfg.model_copy(update={"admin": cfg.admin.model_copy(update={"grpc_listen": None})})
    logs = LogSetup(level=cfg.logging.level, fmt=cfg.logging.format, secrets=config_secrets(cfg))

    def prepare(reloaded: RelayConfig) -> RelayConfig:
        logs.remember(config_secrets(reloaded))
        return _override(reloaded, listen=listen, log_level=log_level, debug=debug)

    try:
        server = RelayServer(
            cfg, config_path=loaded.path, prepare=prepare, reuse_port=worker is not None
        )
        drained = _count_drained(server)
        _run(serve_forever(server, on_ready=lambda: _say_hello(cfg, loaded, server)))
    except ProviderSetupError as exc:
        typer.secho(f"cannot start: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        _cannot_listen(cfg.server.listen, exc)
        raise typer.Exit(1) from None
    finally:
        logs.close()
    typer.echo(f"cc-relay stopped: drained {drained[0]} request(s)", err=True)


def _serve_workers(
    cfg: RelayConfig, loaded: LoadedConfig, workers: int, *, log_level: str | None, debug: bool
) -> None:
    """Run ``workers`` children of this command (see ``cli/_workers.py``); never returns."""
    import sys

    from cc_relay.cli._workers import refusal, run_workers

    problem = refusal(cfg, workers)
    if problem is not None:
        typer.secho(f"cannot start: {problem}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    base = [sys.executable, "-m", "cc_relay", "serve", "--listen", cfg.server.listen]
    if loaded.path is not None:
        base += ["--config", str(loaded.path)]
    if log_level:
        base += ["--log-level", log_level]
    if debug:
        base.append("--debug")
    typer.echo(f"cc-relay: starting {workers} workers on {cfg.server.listen}", err=True)
    raise typer.Exit(run_workers([[*base, "--worker", str(i)] for i in range(workers)]))


def _override(
    cfg: RelayConfig, *, listen: str | None, log_level: str | None, debug: bool
) -> RelayConfig:
    from cc_relay.config.schema import parse_listen

    server, logging_ = cfg.server, cfg.logging
    if listen:
        try:
            parse_listen(listen)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--listen") from None
        server = server.model_copy(update={"listen": listen})
    if log_level:
        if log_level not in ("debug", "info", "warning", "error"):
            raise typer.BadParameter("use debug, info, warning or error", param_hint="--log-level")
        logging_ = logging_.model_copy(update={"level": log_level})
    if debug:
        logging_ = logging_.model_copy(update={"level": "debug", "debug_bodies": True})
    return cfg.model_copy(update={"server": server, "logging": logging_})


def _count_drained(server: RelayServer) -> list[int]:
    """A one-item list that, once the relay has stopped, holds how many requests were
    still being relayed when shutdown began (the ones it waited for)."""
    drained = [0]

    async def note(_app: object) -> None:
        # on_shutdown runs after the listeners stop and before in-flight requests drain.
        drained[0] = sum(stats.in_flight for stats in server.runtime.router.stats.values())

    server.app.on_shutdown.append(note)
    return drained


def _cannot_listen(listen: str, exc: OSError) -> None:
    """Why the relay could not bind, and what to do; for a busy port, who is likely there."""
    from cc_relay.cli._port import who_listens

    lines = [f"cannot listen on {listen}: {exc.strerror or exc}"]
    if exc.errno == errno.EADDRINUSE:
        lines.extend(who_listens(listen))
    typer.secho("\n".join(lines), fg=typer.colors.RED, err=True)


def _say_hello(cfg: RelayConfig, loaded: LoadedConfig, server: RelayServer) -> None:
    from cc_relay import __version__
    from cc_relay.peers import is_loopback

    source = str(loaded.path) if loaded.path else "built-in defaults (no config file found)"
    lines = [f"cc-relay {__version__} listening on {server.url}", f"  config: {source}"]
    lines.extend(f"  warning: {warning}" for warning in loaded.warnings)
    for p in cfg.providers:
        creds = (
            f"{len(p.keys)} key(s)"
            if p.keys
            else "client credentials passed through"
            if p.type == "anthropic"
            else "no key"
        )
        state = "" if p.enabled else " (disabled)"
        lines.append(f"  provider {p.name} [{p.type}] {p.url} - {creds}{state}")
    if cfg.server.auth:
        lines.append(f"  auth: {len(cfg.server.auth)} relay key(s) required")
    else:
        lines.append("  auth: none configured, so only clients on this machine are served")
        if not is_loopback(server.host):
            lines.append(
                "  warning: listening beyond loopback without server.auth; remote "
                "clients will get 403"
            )
    lines.append(f"  Claude Code: ANTHROPIC_BASE_URL={server.url} claude")
    typer.echo("\n".join(lines), err=True)


def _run(main: Coroutine[Any, Any, None]) -> None:
    import asyncio

    try:
        import uvloop
    except ImportError:  # Windows: no uvloop
        asyncio.run(main)
    else:
        uvloop.run(main)
