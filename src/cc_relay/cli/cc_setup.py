"""``cc-relay config cc init|remove``: point Claude Code at the relay, and undo it.

``init`` merges ``env`` entries into ``~/.claude/settings.json`` and installs the
models skill; it records exactly what it changed (and what was there before) in
``~/.config/cc-relay/claude-code.json`` so that ``remove`` restores that and nothing
else. Both are idempotent, and neither touches a settings file it cannot parse.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from cc_relay.cli._common import load_or_exit, relay_key, relay_url

app = typer.Typer(help="Set up Claude Code to use the relay.", no_args_is_help=True)

SKILL_NAME = "cc-relay-models"
BASE_URL = "ANTHROPIC_BASE_URL"
AUTH_TOKEN = "ANTHROPIC_AUTH_TOKEN"
CUSTOM_HEADERS = "ANTHROPIC_CUSTOM_HEADERS"


def _claude_dir() -> Path:
    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")


def _record_path() -> Path:
    return Path.home() / ".config" / "cc-relay" / "claude-code.json"


def _read_json(path: Path, what: str) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        typer.secho(
            f"{path}: cannot parse this {what} ({exc}); it was left untouched. "
            "Fix or move it, then run the command again.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1) from None
    if not isinstance(data, dict):
        typer.secho(
            f"{path}: expected a JSON object; it was left untouched.", fg=typer.colors.RED, err=True
        )
        raise typer.Exit(1)
    return data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically, mode 0600: the file may hold a token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _wanted_env(url: str, token: str | None, subscription: bool) -> dict[str, str]:
    env = {BASE_URL: url}
    if token and subscription:
        # Keep the Claude login: the relay key rides in a header of its own.
        env[CUSTOM_HEADERS] = f"x-api-key: {token}"
    elif token:
        env[AUTH_TOKEN] = token
    return env


def _install_skill(skills_dir: Path) -> Path:
    target = skills_dir / SKILL_NAME
    source = resources.files("cc_relay.skills").joinpath(SKILL_NAME, "SKILL.md")
    target.mkdir(parents=True, exist_ok=True)
    (target / "SKILL.md").write_text(source.read_text("utf-8"), "utf-8")
    return target


@app.command("init")
def init(
    url: Annotated[
        str | None, typer.Option(help="Relay URL (default: from the config's server.listen).")
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="Relay key (default: the first of server.auth, if any).")
    ] = None,
    subscription: Annotated[
        bool,
        typer.Option(
            "--subscription",
            help="Keep a Claude Pro/Max login: send the relay key as "
            "x-api-key through ANTHROPIC_CUSTOM_HEADERS instead of ANTHROPIC_AUTH_TOKEN.",
        ),
    ] = False,
    config: Annotated[str | None, typer.Option("--config", "-c", help="Relay config file.")] = None,
) -> None:
    """Point Claude Code at the relay and install the models skill."""
    cfg, _ = load_or_exit(config)
    token = token or relay_key(cfg)
    settings_path = _claude_dir() / "settings.json"
    settings = _read_json(settings_path, "Claude Code settings file")
    record = _read_json(_record_path(), "cc-relay record")
    current = settings.get("env")
    env: dict[str, Any] = current if isinstance(current, dict) else {}
    wanted = _wanted_env(relay_url(cfg, url), token, subscription)
    previous: dict[str, Any] = dict(record.get("previous", {}))
    for key in wanted:
        previous.setdefault(key, env.get(key))  # the value from before the first init
    old = record.get("set", {})
    stale = [k for k in old if k not in wanted and env.get(k) == old[k]]
    for key in stale:  # set by an earlier init in another mode (e.g. --subscription)
        before = previous.pop(key, None)
        env = {k: v for k, v in env.items() if k != key} | ({key: before} if before else {})
    changes = [k for k, v in wanted.items() if env.get(k) != v] + stale
    if changes and settings_path.exists():
        shutil.copy2(settings_path, settings_path.with_name("settings.json.bak"))
    if changes:
        settings["env"] = {**env, **wanted}
        _write_json(settings_path, settings)
    skill = _install_skill(_claude_dir() / "skills")
    _write_json(
        _record_path(),
        {"settings": str(settings_path), "set": wanted, "previous": previous, "skill": str(skill)},
    )
    for key in changes:
        shown = (
            wanted.get(key, "(restored)")
            if key == BASE_URL
            else ("(set)" if key in wanted else "(restored)")
        )
        typer.echo(f"{settings_path}: env.{key} = {shown}")
    if not changes:
        typer.echo(f"{settings_path}: already points at {wanted[BASE_URL]}")
    typer.echo(f"installed the {SKILL_NAME} skill in {skill}")


@app.command("remove")
def remove() -> None:
    """Undo what 'config cc init' changed, and nothing else."""
    record = _read_json(_record_path(), "cc-relay record")
    if not record:
        typer.echo("nothing to remove: 'cc-relay config cc init' has not been run")
        return
    settings_path = Path(record["settings"])
    settings = _read_json(settings_path, "Claude Code settings file")
    env = settings.get("env") if isinstance(settings.get("env"), dict) else None
    if env is not None:
        for key, value in record.get("set", {}).items():
            if env.get(key) != value:
                continue  # changed since: the user's now, not ours
            before = record.get("previous", {}).get(key)
            if before is None:
                env.pop(key)
            else:
                env[key] = before
            typer.echo(f"{settings_path}: env.{key} restored")
        if not env:
            settings.pop("env")
        _write_json(settings_path, settings)
    skill = Path(record["skill"])
    if skill.is_dir():
        shutil.rmtree(skill)
        typer.echo(f"removed the skill at {skill}")
    _record_path().unlink()
