"""``cc-relay requests``: the running relay's recent requests, or a live tail of them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cc_relay.cli._options import AdminKeyOpt, ConfigOpt, JsonOpt, ScopeOpt, UrlOpt


def requests(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing requests as they settle.")
    ] = False,
    provider: Annotated[str | None, typer.Option(help="Only this provider's.")] = None,
    status: Annotated[
        str | None, typer.Option(metavar="CLASS", help="Only this status class, e.g. 5xx.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many recent requests to show.")] = 20,
    scope: ScopeOpt = None,
    config: ConfigOpt = None,
    url: UrlOpt = None,
    admin_key: AdminKeyOpt = None,
    json: JsonOpt = False,
) -> None:
    """Recent requests, newest last: status, provider, model, latency, tokens, error
    (and, outside the local scope, the replica that answered)."""
    from cc_relay.cli._admin import admin_target, call, stream, warn_degraded

    target = admin_target(config, url, admin_key)
    wanted = {"provider": provider or "", "statusClass": status or ""}
    asked = {"filter": wanted, "pageSize": limit, "scope": scope or ""}
    answer = call(target, "ListRequests", asked)
    warn_degraded(answer.get("scope", {}))
    replica = (scope or "local") != "local"
    for request in reversed(answer.get("requests", [])):
        _show(request, json, replica=replica)
    if not follow:
        return
    params = {f"filter.{k}": v for k, v in wanted.items() if v}
    if scope:
        params["scope"] = scope
    try:
        for message in stream(target, "StreamRequests", params):
            _show(message["request"], json, replica=replica)
    except KeyboardInterrupt:
        pass


def _show(request: dict[str, Any], as_json: bool, *, replica: bool) -> None:
    if as_json:
        import orjson

        typer.echo(orjson.dumps(request).decode())
        return
    usage = request.get("usage", {})
    tokens = f"{usage.get('inputTokens', '0')}/{usage.get('outputTokens', '0')} tok"
    retried = len(request.get("attempts", [])) - 1
    parts = [
        request.get("at", "")[:19].replace("T", " "),
        (request.get("replica") or "-") if replica else "",
        str(request.get("status", 0)),
        request.get("provider") or "-",
        request.get("clientModel") or "-",
        f"{request.get('latencySeconds', 0) * 1000:.0f}ms",
        tokens,
        "stream" if request.get("stream") else "",
        f"{retried} failover/retry" if retried > 0 else "",
        request.get("error", ""),
    ]
    line = "  ".join(p for p in parts if p)
    color = typer.colors.RED if request.get("status", 0) >= 500 else None
    typer.secho(line, fg=color)
