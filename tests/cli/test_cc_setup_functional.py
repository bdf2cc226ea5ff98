"""``cc-relay config cc init|remove`` against a throwaway HOME."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from tests.cli._process import Cli

SKILL = Path(".claude/skills/cc-relay-models/SKILL.md")


def _settings(cli: Cli) -> Path:
    return cli.home / ".claude" / "settings.json"


def _write_settings(cli: Cli, data: dict[str, Any]) -> None:
    _settings(cli).parent.mkdir(parents=True, exist_ok=True)
    _settings(cli).write_text(json.dumps(data))


def test_init_merges_env_and_installs_skill(cli: Cli) -> None:
    _write_settings(
        cli,
        {
            "theme": "dark",
            "permissions": {"allow": ["Bash(ls)"]},
            "env": {"FOO": "1", "ANTHROPIC_BASE_URL": "https://before"},
        },
    )
    result = cli.run(
        "config", "cc", "init", "--url", "http://127.0.0.1:9999", "--token", "relay-key-123"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(_settings(cli).read_text())
    assert data["theme"] == "dark" and data["permissions"] == {"allow": ["Bash(ls)"]}
    assert data["env"] == {
        "FOO": "1",
        "ANTHROPIC_BASE_URL": "http://127.0.0.1:9999",
        "ANTHROPIC_AUTH_TOKEN": "relay-key-123",
    }
    assert stat.S_IMODE(os.stat(_settings(cli)).st_mode) == 0o600
    backup = json.loads((_settings(cli).parent / "settings.json.bak").read_text())
    assert backup["env"]["ANTHROPIC_BASE_URL"] == "https://before"
    assert "relay-key-123" not in result.stdout
    skill = (cli.home / SKILL).read_text()
    assert skill.startswith("---\nname: cc-relay-models\ndescription: ")
    assert "/v1/models" in skill or "cc-relay models" in skill


def test_init_without_relay_key_leaves_login_alone(cli: Cli) -> None:
    result = cli.run("config", "cc", "init")
    assert result.returncode == 0, result.stderr
    env = json.loads(_settings(cli).read_text())["env"]
    assert env == {"ANTHROPIC_BASE_URL": "http://127.0.0.1:8787"}


def test_init_subscription_mode_uses_custom_header(cli: Cli) -> None:
    result = cli.run("config", "cc", "init", "--token", "k1", "--subscription")
    assert result.returncode == 0, result.stderr
    env = json.loads(_settings(cli).read_text())["env"]
    assert env["ANTHROPIC_CUSTOM_HEADERS"] == "x-api-key: k1"
    assert "ANTHROPIC_AUTH_TOKEN" not in env


def test_init_is_idempotent_and_remove_restores_exactly(cli: Cli) -> None:
    original = {"model": "opus", "env": {"FOO": "1", "ANTHROPIC_BASE_URL": "https://before"}}
    _write_settings(cli, original)
    for _ in range(2):
        assert cli.run("config", "cc", "init", "--token", "t").returncode == 0
    once = _settings(cli).read_text()
    assert cli.run("config", "cc", "init", "--token", "t").returncode == 0
    assert _settings(cli).read_text() == once
    # A key the user added meanwhile survives remove.
    data = json.loads(once)
    data["env"]["MINE"] = "x"
    _settings(cli).write_text(json.dumps(data))
    result = cli.run("config", "cc", "remove")
    assert result.returncode == 0, result.stderr
    after = json.loads(_settings(cli).read_text())
    assert after == {
        "model": "opus",
        "env": {"FOO": "1", "ANTHROPIC_BASE_URL": "https://before", "MINE": "x"},
    }
    assert not (cli.home / SKILL).exists()
    again = cli.run("config", "cc", "remove")
    assert again.returncode == 0 and "nothing to remove" in again.stdout


def test_switching_modes_drops_the_old_key(cli: Cli) -> None:
    assert cli.run("config", "cc", "init", "--token", "t").returncode == 0
    assert cli.run("config", "cc", "init", "--token", "t", "--subscription").returncode == 0
    env = json.loads(_settings(cli).read_text())["env"]
    assert "ANTHROPIC_AUTH_TOKEN" not in env and env["ANTHROPIC_CUSTOM_HEADERS"]
    assert cli.run("config", "cc", "remove").returncode == 0
    # No settings file before init: none after remove, not "{}".
    assert not _settings(cli).exists()


def test_unparseable_settings_left_untouched(cli: Cli) -> None:
    _settings(cli).parent.mkdir(parents=True)
    _settings(cli).write_text("{ not json")
    result = cli.run("config", "cc", "init", "--token", "t")
    assert result.returncode == 1
    assert "settings.json" in result.stderr and "untouched" in result.stderr
    assert _settings(cli).read_text() == "{ not json"
    assert not (cli.home / SKILL).exists()


# --- remove restores bytes, mode and absence ---------------------------------------------------

HAND_WRITTEN = b'{\n    "theme": "dark",   "env": {"FOO": "1"},\n    "model": "opus"\n}\n'


def _files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_remove_restores_bytes_and_mode(cli: Cli) -> None:
    _settings(cli).parent.mkdir(parents=True)
    _settings(cli).write_bytes(HAND_WRITTEN)
    _settings(cli).chmod(0o644)
    before = _files_under(cli.home)

    assert cli.run("config", "cc", "init", "--token", "t").returncode == 0
    assert stat.S_IMODE(os.stat(_settings(cli)).st_mode) == 0o600  # it holds the token
    result = cli.run("config", "cc", "remove")

    assert result.returncode == 0, result.stderr
    assert _settings(cli).read_bytes() == HAND_WRITTEN
    assert stat.S_IMODE(os.stat(_settings(cli)).st_mode) == 0o644
    assert "restored as it was before init" in result.stdout
    assert _files_under(cli.home) == before  # no backup, skills/ or record left behind


def test_remove_after_init_on_empty_home_leaves_nothing(cli: Cli) -> None:
    assert cli.run("config", "cc", "init").returncode == 0
    assert _settings(cli).exists() and (cli.home / SKILL).exists()

    result = cli.run("config", "cc", "remove")

    assert result.returncode == 0, result.stderr
    assert _files_under(cli.home) == []


def test_remove_keeps_a_skills_folder_that_was_there(cli: Cli) -> None:
    mine = cli.home / ".claude" / "skills" / "mine" / "SKILL.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("my skill")

    assert cli.run("config", "cc", "init").returncode == 0
    assert cli.run("config", "cc", "remove").returncode == 0

    assert mine.read_text() == "my skill"
    assert not (cli.home / SKILL).parent.exists()


def test_remove_after_user_edit_keeps_edit_and_mode(cli: Cli) -> None:
    _settings(cli).parent.mkdir(parents=True)
    _settings(cli).write_bytes(HAND_WRITTEN)
    _settings(cli).chmod(0o644)
    assert cli.run("config", "cc", "init", "--token", "t").returncode == 0
    data = json.loads(_settings(cli).read_text())
    data["theme"] = "light"
    _settings(cli).write_text(json.dumps(data))

    result = cli.run("config", "cc", "remove")

    assert result.returncode == 0, result.stderr
    assert json.loads(_settings(cli).read_text()) == {
        "theme": "light",
        "env": {"FOO": "1"},
        "model": "opus",
    }
    assert stat.S_IMODE(os.stat(_settings(cli)).st_mode) == 0o644
    assert "edited since init" in result.stdout
