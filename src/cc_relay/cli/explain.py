"""``cc-relay explain``: the attempts the running relay would make for a model, and why."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cc_relay.cli._options import ConfigOpt, JsonOpt, KeyOpt, UrlOpt


def explain(
    model: Annotated[str, typer.Option(metavar="ID", help="Model id as a client would send it.")],
    config: ConfigOpt = None,
    url: UrlOpt = None,
    key: KeyOpt = None,
    session: Annotated[
        str | None, typer.Option(metavar="ID", help="Session id, to see session affinity.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Show the attempts the running relay would make for a model, and why."""
    from cc_relay.cli._client import post_json
    from cc_relay.cli._target import target

    relay = target(config, url, key)
    sample: dict[str, Any] = {"model": model, "max_tokens": 1024}
    if session:
        sample["metadata"] = {"user_id": session}
    hints = {404: "'cc-relay models' lists the models it serves."}
    answer = post_json(relay, "/v1/relay/explain", sample, json_errors=json, hints=hints)
    if json:
        import json as json_

        print(json_.dumps(answer, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"{answer['model']} -> {answer['resolved_model']} (strategy {answer['strategy']})"
    )
    table = Table("#", "provider", "upstream model", "why")
    for i, attempt in enumerate(answer["attempts"], 1):
        table.add_row(
            str(i),
            attempt["provider"],
            attempt["upstream_model"],
            f"{attempt['why']}; {attempt['reason']}",
        )
    for skip in answer["skipped"]:
        table.add_row("-", skip["provider"], "", f"skipped: {skip['reason']}")
    console.print(table)
