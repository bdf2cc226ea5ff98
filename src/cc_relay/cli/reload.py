"""``cc-relay reload``: ask the running relay to re-read its config file now."""

from __future__ import annotations

from typing import Annotated

import typer

from cc_relay.cli._options import ConfigOpt, KeyOpt, UrlOpt


def reload(
    config: ConfigOpt = None,
    url: UrlOpt = None,
    key: KeyOpt = None,
    json: Annotated[bool, typer.Option("--json", help="Print the raw JSON.")] = False,
) -> None:
    """Reload the running relay's config file, keeping every circuit, bucket and session."""
    from cc_relay.cli._client import post_json
    from cc_relay.cli._target import target

    relay = target(config, url, key)
    answer = post_json(relay, "/v1/relay/reload", {}, json_errors=json)
    if json:
        import orjson

        typer.echo(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
    elif answer["ok"]:
        changes = answer["changes"]
        typer.echo(f"reloaded: generation {answer['generation']}")
        for line in changes or ["no changes"]:
            typer.echo(f"  {line}")
    else:
        typer.secho(
            f"reload failed; the running config keeps serving:\n{answer['error']}",
            fg=typer.colors.RED,
            err=True,
        )
    if not answer["ok"]:
        raise typer.Exit(1)
