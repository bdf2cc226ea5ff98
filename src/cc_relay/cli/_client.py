"""Asking a running relay over HTTP, and saying plainly what went wrong.

The standard library's ``http.client``, not aiohttp: these commands make one or two
requests to a relay, and importing aiohttp alone costs more start-up time than the whole
``cc-relay models`` budget, which the models skill pays on every call inside Claude Code.

An error answer is explained in words (what happened, what to do), never shown as raw
JSON; with ``--json`` the relay's error body also goes to stdout, for scripts.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit

import typer

from cc_relay.cli._target import API_KEY_ENV, Target
from cc_relay.headers import CONTENT_TYPE, X_API_KEY

#: Seconds a relay may take to answer one of these requests.
TIMEOUT = 5.0


def get_json(
    target: Target, path: str, *, json_errors: bool = False, hints: Mapping[int, str] | None = None
) -> Any:
    """GET ``path`` from the relay; on any failure, explain it and exit with status 1."""
    return _call("GET", target, path, None, json_errors, hints)


def post_json(
    target: Target,
    path: str,
    body: Any,
    *,
    json_errors: bool = False,
    hints: Mapping[int, str] | None = None,
) -> Any:
    return _call("POST", target, path, body, json_errors, hints)


def request(
    url: str,
    method: str,
    path: str,
    *,
    key: str | None = None,
    body: Any = None,
    timeout: float = TIMEOUT,
) -> tuple[int, bytes]:
    """One request to the relay at ``url``: (status, body). Raises OSError or
    http.client.HTTPException when nothing answers."""
    parts = urlsplit(url)
    connection = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    headers = {X_API_KEY: key} if key else {}
    payload = None if body is None else json.dumps(body).encode()
    if payload is not None:
        headers[CONTENT_TYPE] = "application/json"
    conn = connection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, f"{parts.path}{path}", body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _call(
    method: str,
    target: Target,
    path: str,
    body: Any,
    json_errors: bool,
    hints: Mapping[int, str] | None,
) -> Any:
    try:
        status, data = request(target.url, method, path, key=target.key, body=body)
    except (OSError, http.client.HTTPException) as exc:
        fail(
            f"No relay answering at {target.url} ({type(exc).__name__}). Start one with "
            "'cc-relay serve', or give the address of a running one with --url.",
            json_errors=json_errors,
        )
    if status >= 400:
        fail(explain_error(target, status, data, hints), json_errors=json_errors, body=data)
    return json.loads(data)


def explain_error(target: Target, status: int, data: bytes, hints: Mapping[int, str] | None) -> str:
    """What an error answer means for the user, and what to do about it."""
    kind, message = _envelope(data)
    where = f"The relay at {target.url}"
    if status == 401:
        if target.key is None:
            return (
                f"{where} requires a relay key (one of its server.auth keys) and none "
                f"was given. Pass it with --key KEY, or set {API_KEY_ENV}."
            )
        from cc_relay.observability.redact import fingerprint

        return (
            f"{where} refused the relay key from {target.key_source} (fingerprint "
            f"{fingerprint(target.key)}). Pass one of its server.auth keys with --key KEY, "
            f"or set {API_KEY_ENV}."
        )
    if status == 403:
        return (
            f"{where} serves only clients on its own machine ({message}). Run this there, "
            "or give the relay server.auth keys and pass one with --key."
        )
    hint = f" {hints[status]}" if hints and status in hints else ""
    return f"{where} answered {status} {kind}: {message}{hint}"


def _envelope(data: bytes) -> tuple[str, str]:
    """The (type, message) of an Anthropic error body, or a short view of anything else."""
    try:
        error = json.loads(data)["error"]
        return str(error["type"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        text = data.decode(errors="replace").strip()
        return "error", (text[:200] or "(empty answer)")


def fail(message: str, *, json_errors: bool, body: bytes | None = None) -> NoReturn:
    """Explain on stderr and exit 1; for ``--json``, also an error object on stdout."""
    if json_errors:
        try:
            shown = json.loads(body) if body else None
        except ValueError:
            shown = None
        if not isinstance(shown, dict):
            shown = {"type": "error", "error": {"type": "cli_error", "message": message}}
        typer.echo(json.dumps(shown, indent=2))
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)
