"""``cc-relay config cc init|remove``: point Claude Code at the relay, and undo it.

``init`` merges ``env`` entries into ``~/.claude/settings.json`` (with ``--statusline``
also a ``statusLine`` running ``cc-relay statusline``) and installs the models skill;
it records exactly what it changed (and what was there before) in
``~/.config/cc-relay/claude-code.json`` so that ``remove`` restores that and nothing
else (see ``_claude_files``). Both are idempotent, and neither touches a settings file
it cannot parse.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from cc_relay.config import LoadedConfig

app = typer.Typer(
    help="Set up Claude Code to use the relay.", no_args_is_help=True, rich_markup_mode=None
)

SKILL_NAME = "cc-relay-models"
BASE_URL = "ANTHROPIC_BASE_URL"
AUTH_TOKEN = "ANTHROPIC_AUTH_TOKEN"
CUSTOM_HEADERS = "ANTHROPIC_CUSTOM_HEADERS"
STATUS_LINE = "statusLine"


def _statusline_command(url: str, db: str | None) -> str:
    """The command Claude Code runs: this installation's cc-relay, asked about ``url``."""
    import shlex
    import shutil
    import sys

    beside = Path(sys.executable).parent / "cc-relay"
    found = str(beside) if beside.exists() else shutil.which("cc-relay")
    base = shlex.quote(found) if found else f"{shlex.quote(sys.executable)} -m cc_relay"
    command = f"{base} statusline --url {shlex.quote(url)}"
    return command + (f" --db {shlex.quote(db)}" if db else "")


def _claude_dir() -> Path:
    return Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")


def _wanted_env(url: str, token: str | None, subscription: bool) -> dict[str, str]:
    env = {BASE_URL: url}
    if token and subscription:
        # Keep the Claude login: the relay key rides in a header of its own.
        env[CUSTOM_HEADERS] = f"x-api-key: {token}"
    elif token:
        env[AUTH_TOKEN] = token
    return env


def _install_skill(skills_dir: Path) -> Path:
    from importlib import resources

    target = skills_dir / SKILL_NAME
    source = resources.files("cc_relay.skills").joinpath(SKILL_NAME, "SKILL.md")
    target.mkdir(parents=True, exist_ok=True)
    (target / "SKILL.md").write_text(source.read_text("utf-8"), "utf-8")
    return target


@app.command("init")
def init(
    url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Relay URL (default: from the config's server.listen)."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(metavar="KEY", help="Relay key (default: the first of server.auth, if any)."),
    ] = None,
    subscription: Annotated[
        bool,
        typer.Option(
            "--subscription",
            help="Keep a Claude Pro/Max login: send the relay key as "
            "x-api-key through ANTHROPIC_CUSTOM_HEADERS instead of ANTHROPIC_AUTH_TOKEN.",
        ),
    ] = False,
    config: Annotated[
        str | None, typer.Option("--config", "-c", metavar="FILE", help="Relay config file.")
    ] = None,
    statusline: Annotated[
        bool,
        typer.Option(
            "--statusline",
            help="Also show 'cc-relay statusline' in Claude Code's status line (provider, "
            "model, today's cost, rate-limit headroom).",
        ),
    ] = False,
) -> None:
    """Point Claude Code at the relay and install the models skill."""
    import shutil

    from cc_relay.cli import _claude_files as files
    from cc_relay.cli._target import load_or_exit, relay_key, relay_url

    loaded = load_or_exit(config)
    token = token or relay_key(loaded)[0]
    claude = _claude_dir()
    settings_path = claude / "settings.json"
    backup = settings_path.with_name("settings.json.bak")
    before = files.read_bytes(settings_path)
    settings = files.parse_object(settings_path, before, "Claude Code settings file")
    record_bytes = files.read_bytes(files.record_path())
    record = files.parse_object(files.record_path(), record_bytes, "cc-relay record")
    if not record:  # the first init: what was there before is what remove restores
        record = {
            "original": None if before is None else before.decode("utf-8"),
            "original_mode": files.mode_of(settings_path),
            "backup_existed": backup.exists(),
        }
    created = list(record.get("created", []))
    created += files.missing_dirs(claude, claude / "skills", files.record_path().parent)
    current = settings.get("env")
    env: dict[str, Any] = current if isinstance(current, dict) else {}
    wanted = _wanted_env(relay_url(loaded.config, url), token, subscription)
    previous: dict[str, Any] = dict(record.get("previous", {}))
    for key in wanted:
        previous.setdefault(key, env.get(key))  # the value from before the first init
    old = record.get("set", {})
    stale = [k for k in old if k not in wanted and env.get(k) == old[k]]
    for key in stale:  # set by an earlier init in another mode (e.g. --subscription)
        before_value = previous.pop(key, None)
        env = {k: v for k, v in env.items() if k != key} | (
            {key: before_value} if before_value else {}
        )
    changes = [k for k, v in wanted.items() if env.get(k) != v] + stale
    line_changed = statusline and _want_statusline(settings, record, loaded, url)
    if (changes or line_changed) and before is not None:
        shutil.copy2(settings_path, backup)
    if changes:
        settings["env"] = {**env, **wanted}
    if line_changed:
        settings[STATUS_LINE] = record["statusline_set"]
    if changes or line_changed:
        files.write_bytes(settings_path, files.dump(settings))
    skill = _install_skill(claude / "skills")
    record.update(
        settings=str(settings_path),
        set=wanted,
        previous=previous,
        skill=str(skill),
        created=list(dict.fromkeys(created)),
        written=files.digest(files.read_bytes(settings_path)),
    )
    files.write_bytes(files.record_path(), files.dump(record))
    for key in changes:
        shown = (
            wanted.get(key, "(restored)")
            if key == BASE_URL
            else ("(set)" if key in wanted else "(restored)")
        )
        typer.echo(f"{settings_path}: env.{key} = {shown}")
    if line_changed:
        typer.echo(f"{settings_path}: statusLine = {record['statusline_set']['command']}")
    if not changes:
        typer.echo(f"{settings_path}: already points at {wanted[BASE_URL]}")
    typer.echo(f"installed the {SKILL_NAME} skill in {skill}")


@app.command("remove")
def remove() -> None:
    """Undo what 'config cc init' changed, and nothing else."""
    import shutil

    from cc_relay.cli import _claude_files as files

    record_path = files.record_path()
    record = files.parse_object(record_path, files.read_bytes(record_path), "cc-relay record")
    if not record:
        typer.echo("nothing to remove: 'cc-relay config cc init' has not been run")
        return
    settings_path = Path(record["settings"])
    current = files.read_bytes(settings_path)
    settings = files.parse_object(settings_path, current, "Claude Code settings file")
    if current is not None:
        env = settings.get("env") if isinstance(settings.get("env"), dict) else None
        for key, value in record.get("set", {}).items():
            if env is None or env.get(key) != value:
                continue  # changed since: the user's now, not ours
            before = record.get("previous", {}).get(key)
            if before is None:
                env.pop(key)
            else:
                env[key] = before
        if env == {}:
            settings.pop("env")
        _restore_statusline(settings, record)
        done = files.restore_settings(settings_path, record, settings)
        typer.echo(f"{settings_path}: {done}")
    backup = settings_path.with_name("settings.json.bak")
    if record.get("backup_existed") is False and backup.exists():
        backup.unlink()  # made by init, and the file it saved is back
    skill = Path(record["skill"])
    if skill.is_dir():
        shutil.rmtree(skill)
        typer.echo(f"removed the skill at {skill}")
    record_path.unlink()
    files.remove_created_dirs(record.get("created", []))


def _want_statusline(
    settings: dict[str, Any], record: dict[str, Any], loaded: LoadedConfig, url: str | None
) -> bool:
    """Record the statusLine init wants (and, the first time, the one it replaces);
    True when the settings file does not have it yet."""
    from cc_relay.cli._target import relay_url

    ledger = loaded.config.ledger
    db = str(Path(ledger.path).expanduser()) if ledger.path else None
    command = _statusline_command(relay_url(loaded.config, url), db)
    if "statusline_set" not in record:  # what remove puts back
        record["statusline_had"] = STATUS_LINE in settings
        record["statusline_previous"] = settings.get(STATUS_LINE)
    record["statusline_set"] = {"type": "command", "command": command, "padding": 0}
    return bool(settings.get(STATUS_LINE) != record["statusline_set"])


def _restore_statusline(settings: dict[str, Any], record: dict[str, Any]) -> None:
    """Put back the statusLine init replaced, unless the user changed ours since."""
    if "statusline_set" not in record or settings.get(STATUS_LINE) != record["statusline_set"]:
        return
    if record.get("statusline_had"):
        settings[STATUS_LINE] = record.get("statusline_previous")
    else:
        settings.pop(STATUS_LINE)
