"""Calling the running relay's admin service through its JSON twin (http.client).

The admin key comes from ``--admin-key``, then ``$CC_RELAY_ADMIN_KEY``, then the first
of the config's ``admin.keys``; with none, the relay answers only on its own machine.
A refusal is explained in words from the Connect error ``{"code", "message"}``.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

import typer

from cc_relay.cli._client import TIMEOUT
from cc_relay.cli._target import Target, load_or_exit, relay_url
from cc_relay.headers import AUTHORIZATION, CONTENT_TYPE

ADMIN_KEY_ENV = "CC_RELAY_ADMIN_KEY"
SERVICE_PATH = "/cc_relay.admin.v1.Admin/"


def admin_target(config_path: str | None, url: str | None, key: str | None) -> Target:
    loaded = load_or_exit(config_path)
    if key:
        chosen, source = key, "--admin-key"
    elif os.environ.get(ADMIN_KEY_ENV):
        chosen, source = os.environ[ADMIN_KEY_ENV], f"${ADMIN_KEY_ENV}"
    elif loaded.config.admin.keys:
        chosen, source = loaded.config.admin.keys[0], f"admin.keys in {loaded.path}"
    else:
        chosen, source = None, "none"
    return Target(relay_url(loaded.config, url), chosen, source)


def _connect(target: Target, timeout: float | None) -> http.client.HTTPConnection:
    parts = urlsplit(target.url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return kind(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)


def _headers(target: Target) -> dict[str, str]:
    return {AUTHORIZATION: f"Bearer {target.key}"} if target.key else {}


def call(target: Target, method: str, body: Mapping[str, Any]) -> Any:
    """One unary RPC; on any failure, explain it and exit 1."""
    conn = _connect(target, TIMEOUT)
    try:
        conn.request(
            "POST",
            f"{urlsplit(target.url).path}{SERVICE_PATH}{method}",
            body=json.dumps(body).encode(),
            headers={**_headers(target), CONTENT_TYPE: "application/json"},
        )
        resp = conn.getresponse()
        status, data = resp.status, resp.read()
    except (OSError, http.client.HTTPException) as exc:
        _unreachable(target, exc)
    finally:
        conn.close()
    if status >= 400:
        fail(explain(target, data))
    return json.loads(data)


def stream(target: Target, method: str, params: Mapping[str, str]) -> Iterator[Any]:
    """A server-streaming RPC: each message as it comes, until the relay ends it."""
    conn = _connect(target, None)
    try:
        query = f"?{urlencode(params)}" if params else ""
        conn.request(
            "GET", f"{urlsplit(target.url).path}{SERVICE_PATH}{method}{query}",
            headers=_headers(target),
        )  # fmt: skip
        resp = conn.getresponse()
        if resp.status >= 400:
            fail(explain(target, resp.read()))
        event = ""
        for raw in resp:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data = line[len("data: ") :]
                if event == "error":
                    fail(explain(target, data.encode()))
                yield json.loads(data)
            elif not line:
                event = ""
    except (OSError, http.client.HTTPException) as exc:
        _unreachable(target, exc)
    finally:
        conn.close()


def explain(target: Target, data: bytes) -> str:
    try:
        error = json.loads(data)
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = "error", data.decode(errors="replace")[:200]
    if code == "unauthenticated":
        hint = (
            f" Pass one of its admin.keys with --admin-key KEY or ${ADMIN_KEY_ENV}."
            if target.key is None
            else f" The key came from {target.key_source}."
        )
        return f"The relay at {target.url} refused the call: {message}.{hint}"
    if code == "permission_denied":
        return (
            f"The relay at {target.url} refused the call: {message}. Run this on the relay's "
            "machine, or give the relay admin.keys and pass one with --admin-key."
        )
    return f"The relay at {target.url} answered {code}: {message}"


def _unreachable(target: Target, exc: Exception) -> NoReturn:
    fail(
        f"No relay answering at {target.url} ({type(exc).__name__}). Start one with "
        "'cc-relay serve', or give the address of a running one with --url."
    )


def warn_degraded(scope: Mapping[str, Any]) -> None:
    """Say on stderr when a fleet answer holds only the answering replica's data."""
    if scope.get("degraded"):
        typer.secho(
            f"scope {scope.get('scope')}: {scope.get('reason')}", fg=typer.colors.YELLOW, err=True
        )


def fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
