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
    assert json.loads(_settings(cli).read_text()) == {}


def test_unparseable_settings_left_untouched(cli: Cli) -> None:
    _settings(cli).parent.mkdir(parents=True)
    _settings(cli).write_text("{ not json")
    result = cli.run("config", "cc", "init", "--token", "t")
    assert result.returncode == 1
    assert "settings.json" in result.stderr and "untouched" in result.stderr
    assert _settings(cli).read_text() == "{ not json"
    assert not (cli.home / SKILL).exists()
