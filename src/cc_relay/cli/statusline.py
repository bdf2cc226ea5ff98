"""``cc-relay statusline``: one short line for Claude Code's ``statusLine`` setting.

Claude Code runs the command whenever the conversation changes and passes a JSON
object on stdin (``session_id``, ``model``, ...). The line says which provider and model
served this session's last request, what the session cost and used today, and the
tightest rate-limit headroom over the running relay's keys::

    zai · glm-4.6 │ today $0.0123 · 45.2k in / 3.1k out │ limits 72% left (anthropic tokens)

It must be fast and must never fail loudly, so ``cc-relay`` answers it before typer is
loaded (``cc_relay.cli.main``), it imports only sqlite3, json and socket, it asks
the relay's ``/v1/providers`` with a short timeout and says ``relay down`` when that
fails (the ledger alone answers the rest), and any error prints a short fallback.

Options: ``--url URL`` (default ``$ANTHROPIC_BASE_URL``, else http://127.0.0.1:8787),
``--db FILE`` (default ``$CC_RELAY_LEDGER``, else the ledger's default path), ``--key
KEY`` (default ``$CC_RELAY_API_KEY``, then the key Claude Code itself sends the relay).
"""

from __future__ import annotations

import os
import sys
import time

# Not typing.TYPE_CHECKING: importing typing alone costs more than 5 ms here.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

DEFAULT_URL = "http://127.0.0.1:8787"
#: Seconds the relay has to answer before the line says it is down.
RELAY_TIMEOUT = 0.3
FALLBACK = "cc-relay"
SEPARATOR = " │ "
LEDGER_ENV = "CC_RELAY_LEDGER"
_USAGE = "usage: cc-relay statusline [--url URL] [--db FILE] [--key KEY]  (reads JSON on stdin)"


def main(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    if "--help" in argv or "-h" in argv:
        print(_USAGE)
        print("Prints one line for Claude Code's statusLine setting; never fails loudly.")
        return 0
    try:
        print(line(_options(argv), _session(), env))
    except Exception:  # a status line must never show a traceback
        print(FALLBACK)
    return 0


def _options(argv: Sequence[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    args = list(argv)
    while args:
        name = args.pop(0)
        value = None
        if "=" in name:
            name, value = name.split("=", 1)
        elif args:
            value = args.pop(0)
        if name in ("--url", "--db", "--key") and value is not None:
            options[name[2:]] = value
    return options


def _session() -> str | None:
    if sys.stdin is None or sys.stdin.isatty():
        return None
    import json

    try:
        data = json.loads(sys.stdin.read() or "{}")
    except ValueError:
        return None
    found = data.get("session_id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found else None


def line(options: Mapping[str, str], session: str | None, env: Mapping[str, str]) -> str:
    from cc_relay.ledger.paths import default_location

    parts = _from_ledger(options.get("db") or env.get(LEDGER_ENV) or default_location(env), session)
    providers = _providers(options.get("url") or env.get("ANTHROPIC_BASE_URL") or DEFAULT_URL,
                           options.get("key") or _key(env))  # fmt: skip
    if isinstance(providers, str):
        parts.append(providers)
    else:
        headroom = tightest(providers)
        if headroom is not None:
            parts.append(headroom)
    return SEPARATOR.join(parts) or FALLBACK


def _from_ledger(location: str, session: str | None) -> list[str]:
    if session is None or not os.path.exists(location):
        return ["cc-relay"]
    import sqlite3

    from cc_relay.ledger import store

    escaped = location.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    conn = sqlite3.connect(f"file:{escaped}?mode=ro", uri=True, timeout=0.2)
    try:
        served = store.last_served(conn, session)
        _, cost, unpriced, tokens_in, tokens_out = store.session_totals(
            conn, session, _local_midnight()
        )
    finally:
        conn.close()
    if served is None:
        return ["cc-relay · no requests yet"]
    provider, model, _ = served
    spent = f"${cost:.4f}" + ("+?" if unpriced else "")
    return [
        f"{provider} · {model}",
        f"today {spent} · {_tokens(tokens_in)} in / {_tokens(tokens_out)} out",
    ]


def _local_midnight() -> float:
    now = time.localtime()
    return time.mktime((now.tm_year, now.tm_mon, now.tm_mday, 0, 0, 0, 0, 0, -1))


def _tokens(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 1_000:
        return f"{count / 1_000:.1f}k"
    return str(count)


def _key(env: Mapping[str, str]) -> str | None:
    """The relay key: ours, else what Claude Code sends (its token, its API key, or an
    x-api-key among its custom headers)."""
    for name in ("CC_RELAY_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"):
        if env.get(name):
            return env[name]
    for header in (env.get("ANTHROPIC_CUSTOM_HEADERS") or "").splitlines():
        name, _, value = header.partition(":")
        if name.strip().lower() == "x-api-key" and value.strip():
            return value.strip()
    return None


def _providers(url: str, key: str | None) -> list[dict[str, Any]] | str:
    """The relay's ``/v1/providers`` data, or what to say instead: ``relay down`` when
    it does not answer in time, ``relay refused (401)`` when it will not say."""
    if not url.startswith("http://"):
        return []  # TLS would cost more than the whole budget; such relays show no limits
    hostport, _, prefix = url[len("http://") :].partition("/")
    if hostport.startswith("["):  # [::1]:8787
        host, _, port = hostport[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = hostport.partition(":")
    path = "/" + "/".join(part for part in (prefix.strip("/"), "v1/providers") if part)
    try:
        status, body = _get(host, int(port or 80), path, {"x-api-key": key or ""})
        if status != 200:
            return f"relay refused ({status})"
        import json

        data = json.loads(body).get("data")
    except (OSError, ValueError, AttributeError):
        return "relay down"
    return data if isinstance(data, list) else "relay down"


def _get(host: str, port: int, path: str, headers: Mapping[str, str]) -> tuple[int, bytes]:
    """One HTTP/1.0 GET over a plain socket: http.client would pull in the email
    package and ssl, 18 ms of imports, a third of the status line's budget."""
    import socket

    lines = [f"GET {path} HTTP/1.0", f"Host: {host}:{port}", "Accept: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    deadline = time.monotonic() + RELAY_TIMEOUT
    with socket.create_connection((host, port), timeout=RELAY_TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError("relay: too slow")
            sock.settimeout(max(0.01, deadline - time.monotonic()))
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise ValueError("relay: not an HTTP answer")
    return int(status_line[1]), body


def tightest(providers: list[dict[str, Any]]) -> str | None:
    """The smallest share left over every enabled key's buckets, and whose it is;
    a key resting after a 429 or on a spent budget counts as nothing left."""
    best: tuple[float, str] | None = None
    for provider in providers:
        if not provider.get("enabled"):
            continue
        name = provider.get("name", "?")
        for key in provider.get("keys") or ():
            if key.get("cooldown_left", 0) > 0 or key.get("budget_held_for", 0) > 0:
                share, what = 0.0, f"{name} key resting"
                if best is None or share < best[0]:
                    best = (share, what)
                continue
            for bucket in key.get("buckets") or ():
                capacity = bucket.get("capacity") or 0
                if capacity > 0:
                    share = max(0.0, bucket.get("remaining", 0) / capacity)
                    if best is None or share < best[0]:
                        best = (share, f"{name} {bucket.get('kind', '?')}")
    if best is None:
        return None
    return f"limits {best[0]:.0%} left ({best[1]})"
