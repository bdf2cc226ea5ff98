"""Loading config files: the shipped example, ${VAR} expansion, and YAML/TOML parity."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.config import load_config
from cc_relay.config._env import expand_env

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "src" / "cc_relay" / "config" / "example.yaml"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the product-spec example -----------------------------------------------------------------


def test_example_loads_without_env_and_drops_empty_keys() -> None:
    config = load_config(EXAMPLE, env={})

    assert config.server.listen == "127.0.0.1:8787"
    assert config.server.auth == ()
    assert config.routing.strategy == "simple-shuffle"
    assert [(p.name, p.type) for p in config.providers] == [
        ("anthropic", "anthropic"),
        ("zai", "zai"),
    ]
    anthropic, zai = config.providers
    # Both keys are "${...}" of unset variables: they expand to "" and are dropped.
    assert anthropic.keys == ()
    assert zai.keys == ()
    assert zai.base_url == "https://api.z.ai/api/anthropic"
    assert anthropic.url == "https://api.anthropic.com"


def test_example_loads_with_env_keys_and_limits() -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-example-0001", "ZAI_API_KEY": "zai-example-0002"}

    config = load_config(EXAMPLE, env=env)

    anthropic, zai = config.providers
    assert [k.key for k in anthropic.keys] == ["sk-ant-example-0001"]
    assert anthropic.keys[0].rpm_limit == 60
    assert anthropic.keys[0].tpm_limit == 100000
    assert [k.key for k in zai.keys] == ["zai-example-0002"]


def test_example_key_set_to_empty_string_is_dropped() -> None:
    config = load_config(EXAMPLE, env={"ANTHROPIC_API_KEY": "", "ZAI_API_KEY": "zai-1234"})

    assert config.providers[0].keys == ()
    assert [k.key for k in config.providers[1].keys] == ["zai-1234"]


def test_example_has_one_copy_the_packaged_one() -> None:
    # `cc-relay config example` and `config init` print the packaged copy; a second copy
    # in the repo would drift from it.
    assert not (REPO / "config" / "example.yaml").exists()


def test_example_keys_are_hidden_from_repr() -> None:
    config = load_config(EXAMPLE, env={"ANTHROPIC_API_KEY": "sk-ant-do-not-print-me"})

    assert "sk-ant-do-not-print-me" not in repr(config)
    assert "sk-ant-do-not-print-me" not in str(config)


# --- ${VAR} expansion ------------------------------------------------------------------------


def test_expand_env_replaces_variable_in_string() -> None:
    assert expand_env("key-${NAME}-end", {"NAME": "abc"})[0] == "key-abc-end"


def test_expand_env_unset_variable_becomes_empty() -> None:
    assert expand_env("${MISSING}", {})[0] == ""


def test_expand_env_default_used_when_unset_or_empty() -> None:
    assert expand_env("${MISSING:-fallback}", {})[0] == "fallback"
    assert expand_env("${EMPTY:-fallback}", {"EMPTY": ""})[0] == "fallback"
    assert expand_env("${SET:-fallback}", {"SET": "value"})[0] == "value"
    assert expand_env("${MISSING:-}", {})[0] == ""


def test_expand_env_walks_lists_and_mappings() -> None:
    doc = {"a": ["${X}", {"b": "${Y:-dy}"}, 3, None], "c": True}

    assert expand_env(doc, {"X": "ex"})[0] == {"a": ["ex", {"b": "dy"}, 3, None], "c": True}


def test_expand_env_leaves_other_dollar_forms_alone() -> None:
    env = {"X": "ex"}
    assert expand_env("$X and $$ and ${1BAD}", env)[0] == "$X and $$ and ${1BAD}"


def test_expand_env_value_is_not_reexpanded() -> None:
    assert expand_env("${A}", {"A": "${B}", "B": "nope"})[0] == "${B}"


def test_load_expands_inside_lists(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
server:
  auth: ["${RELAY_KEY}", "literal-key"]
providers:
  - name: local
    type: ollama
    base_url: "${OLLAMA_URL:-http://127.0.0.1:11434}"
    models: ["${MODEL_A}", "fixed", "${MODEL_B:-qwen3-coder}"]
    keys: ["${K1}", "${K2}"]
""",
    )

    config = load_config(
        path, env={"RELAY_KEY": "relay-1", "MODEL_A": "gpt-oss:20b", "K2": "key-two"}
    )

    assert config.server.auth_keys == ("relay-1", "literal-key")
    provider = config.providers[0]
    assert provider.base_url == "http://127.0.0.1:11434"
    assert provider.models == ("gpt-oss:20b", "fixed", "qwen3-coder")
    assert [k.key for k in provider.keys] == ["key-two"]


def test_load_env_value_cannot_change_structure(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        """
providers:
  - name: a
    type: anthropic
    keys:
      - key: "${K}"
    models: ["${M}"]
""",
    )
    sneaky_key = 'abc"\n        rpm_limit: 1\n  - name: evil\n    type: zai'
    sneaky_model = "x, y]\nextra: {a: 1}"

    config = load_config(path, env={"K": sneaky_key, "M": sneaky_model})

    assert len(config.providers) == 1
    (key,) = config.providers[0].keys
    assert key.key == sneaky_key
    assert key.rpm_limit is None
    assert config.providers[0].models == (sneaky_model,)


@given(value=st.text())
def test_expand_env_any_value_stays_one_plain_string(value: str) -> None:
    assert expand_env({"k": ["${V}"]}, {"V": value})[0] == {"k": [value]}


def test_load_expands_in_toml(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.toml",
        """
[[providers]]
name = "anthropic"
type = "anthropic"
keys = ["${KEY}", "${NOPE}"]
""",
    )

    config = load_config(path, env={"KEY": "sk-ant-toml-0001"})

    assert [k.key for k in config.providers[0].keys] == ["sk-ant-toml-0001"]


# --- YAML and TOML give the same config ------------------------------------------------------

FULL_YAML = """
server:
  listen: "127.0.0.1:9999"
  auth: ["relay-key-1"]
  max_body_bytes: 1048576
logging:
  level: debug
  format: json
  debug_bodies: true
routing:
  strategy: round-robin
providers:
  - name: anthropic
    type: anthropic
    keys:
      - key: "${ANTHROPIC_API_KEY}"
        rpm_limit: 60
        tpm_limit: 100000
        weight: 2
        priority: 1
      - "plain-key-2"
    models: ["claude-*"]
    model_map:
      claude-alias: claude-sonnet-4-5
    weight: 3
    priority: 2
    timeouts:
      connect: 5
      first_byte: 120
  - name: local
    type: ollama
    base_url: "http://127.0.0.1:11434/"
    models: ["qwen3-coder", "gpt-oss:20b"]
    enabled: false
"""

FULL_TOML = """
[server]
listen = "127.0.0.1:9999"
auth = ["relay-key-1"]
max_body_bytes = 1048576

[logging]
level = "debug"
format = "json"
debug_bodies = true

[routing]
strategy = "round-robin"

[[providers]]
name = "anthropic"
type = "anthropic"
keys = [
  { key = "${ANTHROPIC_API_KEY}", rpm_limit = 60, tpm_limit = 100000, weight = 2, priority = 1 },
  "plain-key-2",
]
models = ["claude-*"]
model_map = { claude-alias = "claude-sonnet-4-5" }
weight = 3
priority = 2
timeouts = { connect = 5, first_byte = 120 }

[[providers]]
name = "local"
type = "ollama"
base_url = "http://127.0.0.1:11434/"
models = ["qwen3-coder", "gpt-oss:20b"]
enabled = false
"""


def test_toml_loads_same_config_as_yaml(tmp_path: Path) -> None:
    env = {"ANTHROPIC_API_KEY": "sk-ant-same-0001"}

    from_yaml = load_config(write(tmp_path, "c.yaml", FULL_YAML), env=env)
    from_toml = load_config(write(tmp_path, "c.toml", FULL_TOML), env=env)

    assert from_toml == from_yaml
    # And the file really set everything, rather than both falling back to defaults.
    assert from_yaml.logging.format == "json"
    assert from_yaml.routing.strategy == "round-robin"
    assert from_yaml.providers[0].keys[0].key == "sk-ant-same-0001"
    assert from_yaml.providers[0].keys[1].key == "plain-key-2"
    assert from_yaml.providers[0].timeouts.first_byte == 120
    assert from_yaml.providers[1].base_url == "http://127.0.0.1:11434"
    assert from_yaml.providers[1].enabled is False


@pytest.mark.parametrize("name", ["c.yml", "c.YAML"])
def test_load_other_yaml_extensions(tmp_path: Path, name: str) -> None:
    config = load_config(write(tmp_path, name, FULL_YAML), env={})

    assert config.server.listen == "127.0.0.1:9999"


def test_loaded_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "c.yaml", FULL_YAML), env={})

    with pytest.raises(ValueError):
        config.server.listen = "0.0.0.0:1"  # type: ignore[misc]
