"""Unset ``${VAR}``s: warned about with what they did, or refused where they are unsafe."""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_relay.config import ConfigError, read_config


def read(tmp_path: Path, text: str, env: dict[str, str]) -> tuple[str, ...]:
    path = tmp_path / "relay.yaml"
    path.write_text(text, encoding="utf-8")
    return read_config(path, env).warnings


def error(tmp_path: Path, text: str, env: dict[str, str]) -> str:
    path = tmp_path / "relay.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_config(path, env)
    return str(info.value)


ANTHROPIC = 'providers:\n  - name: main\n    type: anthropic\n    keys: ["${ANTHROPIC_KEY_TYPO}"]\n'
ZAI = 'providers:\n  - name: glm\n    type: zai\n    keys:\n      - key: "${ZAI_API_KEY}"\n'


def test_unset_key_of_anthropic_says_credentials_pass_through(tmp_path: Path) -> None:
    (warning,) = read(tmp_path, ANTHROPIC, {})

    assert "providers[0].keys[0]: ANTHROPIC_KEY_TYPO is not set" in warning
    assert "provider 'main' has no key and passes client credentials through" in warning
    assert str(tmp_path / "relay.yaml") in warning


def test_unset_key_of_zai_says_provider_has_no_key(tmp_path: Path) -> None:
    (warning,) = read(tmp_path, ZAI, {})

    assert "providers[0].keys[0].key: ZAI_API_KEY is not set" in warning
    assert "provider 'glm' has no key" in warning


def test_unset_key_among_others_says_it_is_left_out(tmp_path: Path) -> None:
    text = 'providers:\n  - name: glm\n    type: zai\n    keys: ["${K1}", "k-two", "k-three"]\n'

    (warning,) = read(tmp_path, text, {})

    assert "K1 is not set, so this key is left out (2 other key(s) remain)" in warning


def test_set_variable_and_explicit_empty_default_are_not_reported(tmp_path: Path) -> None:
    text = 'providers:\n  - name: glm\n    type: zai\n    keys: ["${SET}", "${ON_PURPOSE:-}"]\n'

    assert read(tmp_path, text, {"SET": "zai-key-0001"}) == ()


def test_unset_variable_elsewhere_is_named(tmp_path: Path) -> None:
    text = 'providers:\n  - name: o\n    type: ollama\n    base_url: "http://127.0.0.1:${PORT}"\n'

    (warning,) = read(tmp_path, text, {})

    assert "providers[0].base_url: PORT is not set, so it expands to nothing" in warning
    assert "${PORT:-}" in warning


def test_empty_variable_counts_as_unset(tmp_path: Path) -> None:
    (warning,) = read(tmp_path, ZAI, {"ZAI_API_KEY": ""})

    assert "ZAI_API_KEY is not set" in warning


def test_loading_is_pure_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = read(tmp_path, ZAI, {})
    second = read(tmp_path, ZAI, {})

    assert first == second and len(first) == 1
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("entry", ['"${MISSING}"', '"${MISSING:-}"'])
def test_auth_entry_expanding_to_empty_is_an_error(tmp_path: Path, entry: str) -> None:
    message = error(tmp_path, f"server:\n  auth: [{entry}]\n" + ZAI, {"ZAI_API_KEY": "z"})

    line = next(line for line in message.splitlines() if "server.auth[0]" in line)
    assert "relay key is empty" in line and "authentication off" in line
    assert "MISSING" in line


def test_auth_entry_literally_empty_is_an_error(tmp_path: Path) -> None:
    message = error(tmp_path, 'server:\n  auth: ["ok-key", ""]\n' + ZAI, {"ZAI_API_KEY": "z"})

    assert "server.auth[1].key: relay key is empty" in message


def test_error_about_expanded_value_names_its_variable(tmp_path: Path) -> None:
    text = 'providers:\n  - name: o\n    type: ollama\n    base_url: "${OLLAMA_URL}"\n'

    message = error(tmp_path, text, {"OLLAMA_URL": "localhost:11434"})

    assert "providers[0].base_url: must start with http://" in message
    assert "(from ${OLLAMA_URL})" in message


def test_error_about_missing_value_names_the_unset_variable(tmp_path: Path) -> None:
    text = 'providers:\n  - name: v\n    type: vertex\n    project_id: "${GCP_PROJECT}"\n'

    message = error(tmp_path, text, {})

    assert "needs project_id (from ${GCP_PROJECT}, which is not set)" in message
