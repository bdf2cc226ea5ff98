"""The real ``cc-relay`` command, run as a subprocess against loopback only."""

from __future__ import annotations

import json
import re
import signal
import socket
import stat
import time
from pathlib import Path

import pytest

from cc_relay import __version__
from tests.cli._process import STOP_TIMEOUT, Cli, free_port, http_request

REPO = Path(__file__).resolve().parents[2]
STARTER = (REPO / "src" / "cc_relay" / "config" / "example.yaml").read_text("utf-8")

BAD_CONFIG = """
server:
  listen: "nowhere"
providers:
  - name: a
    type: anthropic
    keys:
      - key: "k-0123456789"
        rpm_limit: -1
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def dead_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


# --- version and help ------------------------------------------------------------------------


def test_version_prints_package_version(any_cli: Cli) -> None:
    result = any_cli.run("version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"cc-relay {__version__}\n"


def test_help_lists_subcommands(any_cli: Cli) -> None:
    result = any_cli.run("--help")

    assert result.returncode == 0, result.stderr
    for command in ("serve", "version", "status", "models", "config"):
        assert command in result.stdout


# --- config init / validate ------------------------------------------------------------------


def test_config_init_writes_starter_with_mode_0600(any_cli: Cli) -> None:
    path = any_cli.cwd / "nested" / "relay.yaml"

    result = any_cli.run("config", "init", "--path", str(path))

    assert result.returncode == 0, result.stderr
    assert path.read_text("utf-8") == STARTER
    assert mode(path) == 0o600
    assert str(path) in result.stdout


def test_config_init_output_passes_validate(any_cli: Cli) -> None:
    path = any_cli.cwd / "relay.yaml"
    assert any_cli.run("config", "init", "--path", str(path)).returncode == 0

    result = any_cli.run("config", "validate", str(path))

    assert result.returncode == 0, result.stderr
    assert f"{path}: ok" in result.stdout
    assert "2 provider(s): anthropic, zai" in result.stdout


def test_config_init_refuses_to_overwrite(cli: Cli) -> None:
    path = cli.cwd / "relay.yaml"
    assert cli.run("config", "init", "--path", str(path)).returncode == 0
    write(path, "# my edits\n")

    result = cli.run("config", "init", "--path", str(path))

    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert "--force" in result.stderr
    assert path.read_text("utf-8") == "# my edits\n"


def test_config_init_force_overwrites_and_tightens_mode(cli: Cli) -> None:
    path = write(cli.cwd / "relay.yaml", "# my edits\n")
    path.chmod(0o644)

    result = cli.run("config", "init", "--path", str(path), "--force")

    assert result.returncode == 0, result.stderr
    assert path.read_text("utf-8") == STARTER
    assert mode(path) == 0o600


def test_config_init_default_path_is_in_home(cli: Cli) -> None:
    expected = cli.home / ".config" / "cc-relay" / "config.yaml"

    result = cli.run("config", "init")

    assert result.returncode == 0, result.stderr
    assert expected.read_text("utf-8") == STARTER
    assert mode(expected) == 0o600
    # And the search finds it there: validate with no argument checks that file.
    found = cli.run("config", "validate")
    assert found.returncode == 0, found.stderr
    assert f"{expected}: ok" in found.stdout


def test_config_validate_bad_file_names_file_and_keys(cli: Cli) -> None:
    path = write(cli.cwd / "bad.yaml", BAD_CONFIG)

    result = cli.run("config", "validate", str(path))

    assert result.returncode == 1
    assert str(path) in result.stderr
    assert "server.listen" in result.stderr
    assert "providers[0].keys[0].rpm_limit" in result.stderr
    assert "k-0123456789" not in result.stderr + result.stdout


def test_config_validate_invalid_yaml_fails(cli: Cli) -> None:
    path = write(cli.cwd / "bad.yaml", "providers: [\n")

    result = cli.run("config", "validate", str(path))

    assert result.returncode == 1
    assert str(path) in result.stderr
    assert "not valid YAML" in result.stderr


def test_config_validate_missing_file_fails(cli: Cli) -> None:
    result = cli.run("config", "validate", str(cli.cwd / "absent.yaml"))

    assert result.returncode == 1
    assert "absent.yaml" in result.stderr
    assert "no such config file" in result.stderr


def test_config_validate_nothing_to_find_fails(cli: Cli) -> None:
    result = cli.run("config", "validate")

    assert result.returncode == 2
    assert "no config file found" in result.stderr


def test_config_validate_uses_env_var_path(cli: Cli) -> None:
    path = write(cli.cwd / "from-env.yaml", "providers:\n  - name: only\n    type: zai\n")

    result = cli.run("config", "validate", env={"CC_RELAY_CONFIG": str(path)})

    assert result.returncode == 0, result.stderr
    assert f"{path}: ok (1 provider(s): only)" in result.stdout


def test_config_validate_rejects_what_serve_rejects(cli: Cli) -> None:
    # A file with no providers: `serve` refuses it, so `validate` must not call it ok.
    path = write(cli.cwd / "empty.yaml", 'server:\n  listen: "127.0.0.1:8787"\n')
    served = cli.run("serve", "--config", str(path), timeout=30)
    assert served.returncode == 2
    assert "at least one provider" in served.stderr

    result = cli.run("config", "validate", str(path))

    assert result.returncode == 1, result.stdout
    assert "at least one provider" in result.stderr


# --- serve -----------------------------------------------------------------------------------


def test_serve_without_config_serves_defaults(cli: Cli) -> None:
    relay = cli.start()
    relay.wait_listening()

    status, body = http_request(relay.port, "GET", "/health")
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "ok"
    assert health["version"] == __version__
    assert health["providers"] == 1
    head_status, head_body = http_request(relay.port, "HEAD", "/")
    assert head_status == 200
    assert head_body == b""
    assert http_request(relay.port, "GET", "/")[0] == 200

    assert relay.stop(signal.SIGINT) == 0
    banner = relay.stderr
    assert f"cc-relay {__version__} listening on http://127.0.0.1:{relay.port}" in banner
    assert "built-in defaults (no config file found)" in banner
    assert "provider anthropic [anthropic] https://api.anthropic.com" in banner
    assert "client credentials passed through" in banner
    assert f"ANTHROPIC_BASE_URL=http://127.0.0.1:{relay.port}" in banner


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_serve_stops_cleanly_on_signal(any_cli: Cli, sig: signal.Signals) -> None:
    relay = any_cli.start()
    relay.wait_listening()
    assert http_request(relay.port, "GET", "/health")[0] == 200

    began = time.monotonic()
    code = relay.stop(sig)

    assert code == 0, relay.stderr
    assert time.monotonic() - began < STOP_TIMEOUT
    assert "Traceback" not in relay.stderr
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", relay.port), timeout=1).close()


def test_serve_with_env_key_counts_it_and_never_prints_it(cli: Cli) -> None:
    secret = "sk-ant-api03-functional-test-0123456789"
    relay = cli.start(env={"ANTHROPIC_API_KEY": secret})
    relay.wait_listening()
    assert http_request(relay.port, "GET", "/health")[0] == 200

    assert relay.stop() == 0
    assert "provider anthropic [anthropic] https://api.anthropic.com - 1 key(s)" in relay.stderr
    assert secret not in relay.stderr + relay.stdout


def test_serve_uses_config_file_from_cwd(cli: Cli) -> None:
    write(
        cli.cwd / "cc-relay.yaml",
        f"providers:\n  - name: local\n    type: ollama\n    base_url: {dead_url()}\n",
    )
    relay = cli.start()
    relay.wait_listening()

    assert relay.stop() == 0
    assert "config: cc-relay.yaml" in relay.stderr
    assert "provider local [ollama]" in relay.stderr
    assert "no key" in relay.stderr


def test_serve_bad_config_exits_2_with_message(cli: Cli) -> None:
    path = write(cli.cwd / "bad.yaml", BAD_CONFIG)

    result = cli.run("serve", "--config", str(path), timeout=30)

    assert result.returncode == 2
    assert str(path) in result.stderr
    assert "server.listen" in result.stderr
    assert "providers[0].keys[0].rpm_limit" in result.stderr


def test_serve_missing_config_exits_2(cli: Cli) -> None:
    result = cli.run("serve", "--config", str(cli.cwd / "absent.yaml"), timeout=30)

    assert result.returncode == 2
    assert "no such config file" in result.stderr


def test_serve_bad_listen_fails_clearly(cli: Cli) -> None:
    result = cli.run("serve", "--listen", "nonsense", timeout=30)

    assert result.returncode == 2
    assert "--listen" in result.stderr
    assert "host:port" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_port_in_use_fails_clearly(cli: Cli) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = cli.run("serve", "--listen", f"127.0.0.1:{port}", timeout=30)

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


# --- status and models against a running relay -----------------------------------------------


def test_status_shows_provider_table(cli: Cli) -> None:
    relay = cli.start()
    relay.wait_listening()

    result = cli.run("status", "--url", f"http://127.0.0.1:{relay.port}")

    assert result.returncode == 0, result.stderr
    assert f"cc-relay {__version__} at http://127.0.0.1:{relay.port}: ok" in result.stdout
    for column in ("provider", "base url", "health", "req/err", "models"):
        assert column in result.stdout
    row = next(line for line in result.stdout.splitlines() if "https://api.anthropic.com" in line)
    assert "anthropic" in row
    assert "claude-*" in row
    # The ledger defaults to the XDG data directory of the HOME the relay runs with.
    assert f"ledger: {cli.home}/.local/share/cc-relay/usage.db, 0 rows" in result.stdout
    # No request to the hot routes yet: every connection so far went to aiohttp.
    assert re.search(
        r"[1-9]\d* connections open; 0 requests answered by the front server, [1-9]\d* "
        r"connections handed to aiohttp",
        result.stdout,
    ), result.stdout
    assert relay.stop() == 0


def config_with_listed_models(cli: Cli, port: int) -> Path:
    """Two providers with explicit models whose upstreams are dead 127.0.0.1 ports."""
    return write(
        cli.cwd / "models.yaml",
        f"""
server:
  listen: "127.0.0.1:{port}"
providers:
  - name: local
    type: ollama
    base_url: "{dead_url()}"
    models: ["qwen3-coder", "gpt-oss:20b", "gpt-*"]
  - name: lab
    type: anthropic
    base_url: "{dead_url()}"
    keys: ["sk-ant-lab-key-0123456789abcdef"]
    models: ["claude-lab-1"]
    model_map:
      claude-alias: claude-lab-1
""",
    )


def test_models_json_lists_configured_models_when_discovery_fails(cli: Cli) -> None:
    port = free_port()
    path = config_with_listed_models(cli, port)
    relay = cli.start("--config", str(path), port=port)
    relay.wait_listening()

    result = cli.run("models", "--json", "--url", f"http://127.0.0.1:{port}")

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    assert {item["id"] for item in data} == {
        "qwen3-coder",
        "gpt-oss:20b",
        "claude-lab-1",
        "claude-alias",
    }
    serving = {item["id"]: [p["name"] for p in item["providers"]] for item in data}
    assert serving["gpt-oss:20b"] == ["local"] and serving["claude-alias"] == ["lab"]
    assert all(p["health"] == "healthy" for item in data for p in item["providers"])
    assert relay.stop() == 0
    assert "sk-ant-lab-key-0123456789abcdef" not in relay.stderr


def test_models_table_and_status_read_url_from_config(cli: Cli) -> None:
    port = free_port()
    path = config_with_listed_models(cli, port)
    relay = cli.start("--config", str(path), port=port)
    relay.wait_listening()

    models = cli.run("models", "--config", str(path))
    status = cli.run("status", "--config", str(path))

    assert models.returncode == 0, models.stderr
    assert "qwen3-coder" in models.stdout and "claude-alias" in models.stdout
    assert status.returncode == 0, status.stderr
    local = next(line for line in status.stdout.splitlines() if " local " in f" {line} ")
    assert "ollama" in local and "qwen3-coder" in local
    lab = next(line for line in status.stdout.splitlines() if " lab " in f" {line} ")
    assert "anthropic" in lab and "claude-lab-1" in lab
    assert relay.stop() == 0


def test_models_sends_relay_key_from_env(cli: Cli) -> None:
    path = write(
        cli.cwd / "auth.yaml",
        'server:\n  auth: ["relay-key-0123456789"]\n'
        f"providers:\n  - name: local\n    type: ollama\n    base_url: {dead_url()}\n"
        '    models: ["m1"]\n',
    )
    relay = cli.start("--config", str(path))
    relay.wait_listening()
    url = f"http://127.0.0.1:{relay.port}"

    refused = cli.run("models", "--url", url)
    allowed = cli.run("models", "--url", url, env={"CC_RELAY_API_KEY": "relay-key-0123456789"})

    assert refused.returncode == 1
    assert "requires a relay key" in refused.stderr
    assert "--key" in refused.stderr and "CC_RELAY_API_KEY" in refused.stderr
    assert "{" not in refused.stderr  # words, not the raw error body
    assert allowed.returncode == 0, allowed.stderr
    assert "m1" in allowed.stdout
    assert relay.stop() == 0


@pytest.mark.parametrize("command", [["status"], ["models"], ["models", "--json"]])
def test_inspect_without_relay_exits_1(cli: Cli, command: list[str]) -> None:
    url = dead_url()

    result = cli.run(*command, "--url", url)

    assert result.returncode == 1
    assert "No relay answering" in result.stderr
    assert url in result.stderr
    assert "Traceback" not in result.stderr
