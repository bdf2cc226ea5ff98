"""Config errors: every message names the file, the key path and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_relay.config import ConfigError, load_config

MINIMAL_PROVIDER = "providers:\n  - name: a\n    type: anthropic\n"


def load_error(tmp_path: Path, text: str, name: str = "relay.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert str(path) in message
    return message


def problem_line(message: str, key_path: str) -> str:
    """The one line of the message about ``key_path``."""
    lines = [
        line.strip() for line in message.splitlines() if line.strip().startswith(f"{key_path}:")
    ]
    assert len(lines) == 1, f"expected one line for {key_path!r} in:\n{message}"
    return lines[0]


# --- schema problems -------------------------------------------------------------------------


def test_config_error_unknown_key_names_path(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL_PROVIDER + "    wieght: 2\n")

    assert "unknown key" in problem_line(message, "providers[0].wieght")


def test_config_error_unknown_top_level_section(tmp_path: Path) -> None:
    message = load_error(tmp_path, "sever:\n  listen: 127.0.0.1:1\n" + MINIMAL_PROVIDER)

    assert "unknown key" in problem_line(message, "sever")


def test_config_error_wrong_type(tmp_path: Path) -> None:
    message = load_error(tmp_path, "server:\n  max_body_bytes: lots\n" + MINIMAL_PROVIDER)

    line = problem_line(message, "server.max_body_bytes")
    assert "integer" in line
    assert "'lots'" in line


def test_config_error_bad_enum_lists_choices(tmp_path: Path) -> None:
    message = load_error(tmp_path, "routing:\n  strategy: fastest\n" + MINIMAL_PROVIDER)

    line = problem_line(message, "routing.strategy")
    assert "simple-shuffle" in line and "round-robin" in line
    assert "'fastest'" in line


def test_config_error_bad_provider_type(tmp_path: Path) -> None:
    message = load_error(tmp_path, "providers:\n  - name: a\n    type: openia\n")

    line = problem_line(message, "providers[0].type")
    assert "anthropic" in line and "'openia'" in line


@pytest.mark.parametrize("field", ["rpm_limit", "tpm_limit", "itpm_limit", "otpm_limit"])
def test_config_error_negative_key_limit(tmp_path: Path, field: str) -> None:
    text = MINIMAL_PROVIDER + f"    keys:\n      - key: k-123456\n        {field}: -5\n"

    message = load_error(tmp_path, text)

    assert "greater than 0" in problem_line(message, f"providers[0].keys[0].{field}")


@pytest.mark.parametrize(
    "text, key_path",
    [
        ("server:\n  max_body_bytes: 0\n", "server.max_body_bytes"),
        ("providers:\n  - name: a\n    type: anthropic\n    weight: -1\n", "providers[0].weight"),
        (
            "providers:\n  - name: a\n    type: anthropic\n    timeouts:\n      connect: 0\n",
            "providers[0].timeouts.connect",
        ),
    ],
)
def test_config_error_non_positive_number(tmp_path: Path, text: str, key_path: str) -> None:
    if not text.lstrip().startswith("providers"):
        text += MINIMAL_PROVIDER
    message = load_error(tmp_path, text)

    assert "greater than 0" in problem_line(message, key_path)


@pytest.mark.parametrize(
    "listen", ["nonsense", "127.0.0.1:", ":8787", "127.0.0.1:70000", "127.0.0.1:http"]
)
def test_config_error_bad_listen(tmp_path: Path, listen: str) -> None:
    message = load_error(tmp_path, f'server:\n  listen: "{listen}"\n' + MINIMAL_PROVIDER)

    line = problem_line(message, "server.listen")
    assert "host:port" in line or "port must be" in line


def test_config_error_bad_base_url(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL_PROVIDER + "    base_url: api.example.com\n")

    assert "http://" in problem_line(message, "providers[0].base_url")


def test_config_error_bad_provider_name(tmp_path: Path) -> None:
    message = load_error(tmp_path, 'providers:\n  - name: "has space"\n    type: zai\n')

    problem_line(message, "providers[0].name")


def test_config_error_missing_required_key(tmp_path: Path) -> None:
    message = load_error(tmp_path, "providers:\n  - type: anthropic\n")

    assert "required key is missing" in problem_line(message, "providers[0].name")


def test_config_error_duplicate_provider_names(tmp_path: Path) -> None:
    text = (
        "providers:\n  - name: twin\n    type: anthropic\n"
        "  - name: twin\n    type: zai\n  - name: solo\n    type: zai\n"
    )

    message = load_error(tmp_path, text)

    line = problem_line(message, "providers")
    assert "unique" in line and "twin" in line and "solo" not in line


def test_config_error_all_providers_disabled(tmp_path: Path) -> None:
    text = (
        "providers:\n  - name: a\n    type: anthropic\n    enabled: false\n"
        "  - name: b\n    type: zai\n    enabled: false\n"
    )

    message = load_error(tmp_path, text)

    assert "disabled" in problem_line(message, "providers")


def test_config_error_reports_all_problems_together(tmp_path: Path) -> None:
    text = """
server:
  listen: "nowhere"
logging:
  level: loud
routing:
  strategy: fastest
providers:
  - name: a
    type: anthropic
    keys:
      - key: k-123456
        rpm_limit: -1
    colour: blue
  - name: b
    type: openia
"""

    message = load_error(tmp_path, text)

    assert message.splitlines()[0].endswith("6 problem(s) in config:")
    for key_path in (
        "server.listen",
        "logging.level",
        "routing.strategy",
        "providers[0].keys[0].rpm_limit",
        "providers[0].colour",
        "providers[1].type",
    ):
        problem_line(message, key_path)


# --- documents that are not config at all -----------------------------------------------------


def test_config_error_invalid_yaml_names_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, "server:\n  listen: [unclosed\nproviders: {}\n")

    assert "not valid YAML" in message
    assert "line" in message


def test_config_error_invalid_toml_names_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, "[server]\nlisten = \n", name="relay.toml")

    assert "not valid TOML" in message
    assert "line 2" in message


def test_config_error_uppercase_toml_extension_says_toml(tmp_path: Path) -> None:
    # The file is parsed as TOML (suffix compared case-insensitively), so the error
    # must say TOML too.
    message = load_error(tmp_path, "[server]\nlisten = \n", name="relay.TOML")

    assert "not valid TOML" in message


@pytest.mark.parametrize(
    "text, kind", [("- a\n- b\n", "list"), ("just words\n", "str"), ("42\n", "int")]
)
def test_config_error_top_level_not_mapping(tmp_path: Path, text: str, kind: str) -> None:
    message = load_error(tmp_path, text)

    assert "top level must be a mapping" in message
    assert kind in message


def test_config_error_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"

    with pytest.raises(ConfigError) as info:
        load_config(path, env={})

    assert str(path) in str(info.value)
    assert "cannot read" in str(info.value)


def test_config_error_is_not_chained_to_parser_internals(tmp_path: Path) -> None:
    path = tmp_path / "relay.yaml"
    path.write_text("server: [\n", encoding="utf-8")

    with pytest.raises(ConfigError) as info:
        load_config(path, env={})

    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


# --- secrets never appear in error messages ---------------------------------------------------

SECRET = "sk-ant-api03-SECRETSECRETSECRET0123456789"
NUMERIC_SECRET = "98765432109876543210"


@pytest.mark.parametrize(
    "snippet",
    [
        f"    keys:\n      - key: {NUMERIC_SECRET}\n",
        f'    keys:\n      - key: ["{SECRET}"]\n',
        f'    keys:\n      - key: {{nested: "{SECRET}"}}\n',
        f"    keys:\n      - {NUMERIC_SECRET}\n",
        f'    keys:\n      - ["{SECRET}"]\n',
        f"    keys: {NUMERIC_SECRET}\n",
        f'    keys: "{SECRET}"\n',
    ],
)
def test_config_error_hides_provider_key(tmp_path: Path, snippet: str) -> None:
    message = load_error(tmp_path, MINIMAL_PROVIDER + snippet)

    assert "providers[0].keys" in message
    assert SECRET not in message
    assert NUMERIC_SECRET not in message


@pytest.mark.parametrize(
    "snippet",
    [
        f"server:\n  auth: {NUMERIC_SECRET}\n",
        f"server:\n  auth: [{NUMERIC_SECRET}]\n",
        f'server:\n  auth: [["{SECRET}"]]\n',
    ],
)
def test_config_error_hides_relay_auth_key(tmp_path: Path, snippet: str) -> None:
    message = load_error(tmp_path, snippet + MINIMAL_PROVIDER)

    assert "server.auth" in message
    assert SECRET not in message
    assert NUMERIC_SECRET not in message


def test_config_error_hides_expanded_secret_in_limit(tmp_path: Path) -> None:
    path = tmp_path / "relay.yaml"
    path.write_text(
        MINIMAL_PROVIDER + '    keys:\n      - key: "${K}"\n        rpm_limit: "${K}"\n',
        encoding="utf-8",
    )

    with pytest.raises(ConfigError) as info:
        load_config(path, env={"K": SECRET})

    assert "providers[0].keys[0].rpm_limit" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("secret", ["zai-0123456789abcdef", SECRET])
def test_config_error_yaml_syntax_error_hides_key(tmp_path: Path, secret: str) -> None:
    # PyYAML's message quotes the offending source line (cut to ~70 characters around
    # the error mark); on a key line that line is the key.
    text = MINIMAL_PROVIDER + f'    keys:\n      - key: "{secret}" oops\n'

    message = load_error(tmp_path, text)

    assert "not valid YAML" in message
    assert "line 5" in message
    tail = secret[-16:]
    fragments = {tail[i : i + 8] for i in range(len(tail) - 7)}
    assert not [f for f in fragments if f in message], message


# --- hints a pip-installed user can follow ----------------------------------------------------


@pytest.mark.parametrize(
    "text, key_path, suggestion",
    [
        ("routing:\n  stratgy: failover\n" + MINIMAL_PROVIDER, "routing.stratgy", "strategy"),
        (MINIMAL_PROVIDER + "    wieght: 2\n", "providers[0].wieght", "weight"),
        (
            MINIMAL_PROVIDER + "    pricing: {input: 1, output: 2, cache_raed: 1}\n",
            "providers[0].pricing.cache_raed",
            "cache_read",
        ),
        (
            MINIMAL_PROVIDER + "    keys:\n      - key: k-1234\n        rpm_limt: 5\n",
            "providers[0].keys[0].rpm_limt",
            "rpm_limit",
        ),
        (
            MINIMAL_PROVIDER + "    model_pricing:\n      'claude-*': {input: 1, ouput: 2}\n",
            "providers[0].model_pricing.claude-*.ouput",
            "output",
        ),
    ],
)
def test_config_error_unknown_key_suggests_closest(
    tmp_path: Path, text: str, key_path: str, suggestion: str
) -> None:
    line = problem_line(load_error(tmp_path, text), key_path)

    assert f"did you mean {suggestion!r}?" in line
    assert "cc-relay config example" in line


def test_config_error_unknown_key_without_close_match(tmp_path: Path) -> None:
    message = load_error(tmp_path, MINIMAL_PROVIDER + "    zzzz: 1\n")

    line = problem_line(message, "providers[0].zzzz")

    assert "did you mean" not in line
    assert "unknown key ('cc-relay config example' prints every key)" in line


def test_config_error_hints_never_point_at_a_repo_file(tmp_path: Path) -> None:
    for text in (MINIMAL_PROVIDER + "    wieght: 2\n", "server: {}\n"):
        assert "config/example.yaml" not in load_error(tmp_path, text)
