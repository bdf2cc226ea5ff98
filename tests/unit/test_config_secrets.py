"""Secrets shown as fingerprints, and put back as the file had them."""

from __future__ import annotations

import pytest

from cc_relay.config import RelayConfig, history
from cc_relay.config.loading import validate
from cc_relay.config.secrets import mark, masked_yaml, restore
from cc_relay.errors import ConfigError

FILE = """\
server:
  auth: ["client-secret"]
admin:
  keys: ["${ADMIN_KEY}"]
providers:
  - name: a
    type: anthropic
    keys: ["${UP_KEY}", {key: literal-up, rpm_limit: 5}]
"""
ENV = {"ADMIN_KEY": "adm-from-env", "UP_KEY": "up-from-env"}


def _running() -> RelayConfig:
    return validate(
        {
            "server": {"auth": ["client-secret"]},
            "admin": {"keys": ["adm-from-env"]},
            "providers": [
                {"name": "a", "type": "anthropic",
                 "keys": ["up-from-env", {"key": "literal-up", "rpm_limit": 5}]}
            ],
        },
        source="t",
    )  # fmt: skip


def test_masked_yaml_shows_no_secret() -> None:
    shown = masked_yaml(_running())
    for secret in ("client-secret", "adm-from-env", "up-from-env", "literal-up"):
        assert secret not in shown
        assert mark(secret) in shown


def test_restore_puts_back_the_files_variable_or_the_running_value() -> None:
    shown = masked_yaml(_running())
    back = restore(shown, running=_running(), file_text=FILE, env=ENV)
    assert '"${ADMIN_KEY}"' in back and '"${UP_KEY}"' in back
    assert '"literal-up"' in back and '"client-secret"' in back
    assert "adm-from-env" not in back


def test_restore_refuses_an_unknown_mark() -> None:
    with pytest.raises(ConfigError, match="deadbeef"):
        restore(
            "server: {auth: ['[redacted:deadbeef]']}", running=_running(), file_text=None, env={}
        )


def test_history_keeps_the_previous_file(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "relay.yaml"
    path.write_text("one", encoding="utf-8")
    path.chmod(0o600)
    kept = history.replace(path, "two")
    assert path.read_text() == "two" and (path.stat().st_mode & 0o777) == 0o600
    assert [v.id for v in history.versions(path)] == [kept]
    assert history.version_text(path, kept) == "one"
