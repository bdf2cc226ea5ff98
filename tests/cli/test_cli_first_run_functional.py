"""What a new user meets in the first minutes: start-up cost, help, errors that say
what to do, a busy port, unset variables, and a clean stop."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cc_relay import __version__
from tests.cli._process import Cli, free_port

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("aiohttp", "pydantic", "botocore", "grpc", "textual")

_IMPORTED = """
import sys
sys.argv = ["cc-relay", *sys.argv[1:]]
from cc_relay.cli import main
try:
    main()
except SystemExit:
    pass
print("IMPORTED", " ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def imported(cli: Cli, *args: str) -> set[str]:
    """Top-level packages loaded by running ``cc-relay ARGS`` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTED, *args],
        cwd=cli.cwd,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("IMPORTED"))
    return set(line.split()[1:])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- start-up ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["version"], ["--version"], ["-V"]])
def test_version_imports_nothing_heavy(cli: Cli, args: list[str]) -> None:
    loaded = imported(cli, *args)

    assert not loaded & {*HEAVY, "typer", "rich"}, loaded


def test_models_imports_no_relay_machinery(cli: Cli) -> None:
    loaded = imported(cli, "models", "--url", f"http://127.0.0.1:{free_port()}")

    assert not loaded & {"aiohttp", "botocore", "google", "watchfiles"}, loaded


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag_prints_version(cli: Cli, flag: str) -> None:
    result = cli.run(flag)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"cc-relay {__version__}\n"


@pytest.mark.parametrize(
    "args", [[], ["serve"], ["models"], ["explain"], ["config", "cc", "init"], ["config"]]
)
def test_help_shows_no_bool_metavar(cli: Cli, args: list[str]) -> None:
    result = cli.run(*args, "--help")

    assert result.returncode == 0, result.stderr
    assert "<bool>" not in result.stdout
    assert "--help" in result.stdout


# --- config: example, unset variables, a relay key that would switch auth off ----------------


def test_config_example_prints_packaged_reference(cli: Cli) -> None:
    packaged = (REPO / "src" / "cc_relay" / "config" / "example.yaml").read_text("utf-8")

    result = cli.run("config", "example")

    assert result.returncode == 0, result.stderr
    assert result.stdout == packaged


def test_config_validate_names_each_unset_variable(cli: Cli) -> None:
    path = write(
        cli.cwd / "relay.yaml",
        'providers:\n  - {name: anthropic, type: anthropic, keys: ["${ANTHROPIC_KEY_TYPO}"]}\n'
        '  - {name: zai, type: zai, keys: ["${ZAI_API_KEY}"]}\n',
    )

    result = cli.run("config", "validate", str(path))

    assert result.returncode == 0, result.stderr
    assert f"{path}: ok" in result.stdout
    assert "ANTHROPIC_KEY_TYPO is not set" in result.stderr
    assert "passes client credentials through" in result.stderr
    assert "ZAI_API_KEY is not set, so provider 'zai' has no key" in result.stderr


def test_config_validate_suggests_closest_key(cli: Cli) -> None:
    path = write(
        cli.cwd / "relay.yaml",
        "routing:\n  stratgy: failover\nproviders:\n  - {name: a, type: zai}\n",
    )

    result = cli.run("config", "validate", str(path))

    assert result.returncode == 1
    assert "routing.stratgy: unknown key; did you mean 'strategy'?" in result.stderr
    assert "cc-relay config example" in result.stderr


def test_serve_refuses_auth_from_unset_variable(cli: Cli) -> None:
    path = write(
        cli.cwd / "relay.yaml",
        'server:\n  auth: ["${MISSING}"]\nproviders:\n  - {name: a, type: zai}\n',
    )

    result = cli.run("serve", "--config", str(path), "--listen", f"127.0.0.1:{free_port()}")

    assert result.returncode == 2
    assert "server.auth[0]" in result.stderr and "MISSING" in result.stderr
    assert "listening" not in result.stderr


def test_serve_banner_warns_about_unset_key(cli: Cli) -> None:
    path = write(
        cli.cwd / "relay.yaml", 'providers:\n  - {name: glm, type: zai, keys: ["${ZAI_API_KEY}"]}\n'
    )
    relay = cli.start("--config", str(path))
    relay.wait_listening()

    assert relay.stop() == 0
    assert "warning:" in relay.stderr and "ZAI_API_KEY is not set" in relay.stderr


# --- errors from a running relay, in words ----------------------------------------------------

AUTH_CONFIG = 'server:\n  auth: ["relay-key-0123456789"]\nproviders:\n  - {name: glm, type: zai}\n'


@pytest.fixture
def guarded(cli: Cli) -> str:
    """The URL of a relay that requires the relay key relay-key-0123456789."""
    relay = cli.start("--config", str(write(cli.cwd / "auth.yaml", AUTH_CONFIG)))
    relay.wait_listening()
    return f"http://127.0.0.1:{relay.port}"


def test_status_needs_no_relay_key_on_the_relays_machine(cli: Cli, guarded: str) -> None:
    # status reads the admin service, which (with no admin.keys) answers loopback callers.
    result = cli.run("status", "--url", guarded)

    assert result.returncode == 0, result.stderr
    assert "glm (zai)" in result.stdout


ADMIN_CONFIG = 'admin:\n  keys: ["adm-key-0123456789"]\nproviders:\n  - {name: glm, type: zai}\n'


def test_status_with_admin_key_and_a_wrong_one(cli: Cli) -> None:
    relay = cli.start("--config", str(write(cli.cwd / "admin.yaml", ADMIN_CONFIG)))
    relay.wait_listening()
    url = f"http://127.0.0.1:{relay.port}"

    keyless = cli.run("status", "--url", url)
    allowed = cli.run("status", "--url", url, "--admin-key", "adm-key-0123456789")
    wrong = cli.run("status", "--url", url, env={"CC_RELAY_ADMIN_KEY": "wrong-key-0123456789"})

    assert keyless.returncode == 1
    assert "--admin-key" in keyless.stderr and "CC_RELAY_ADMIN_KEY" in keyless.stderr
    assert "{" not in keyless.stderr  # words, not the raw error body
    assert allowed.returncode == 0, allowed.stderr
    assert "glm (zai)" in allowed.stdout
    assert wrong.returncode == 1
    assert (
        "(fingerprint " in wrong.stderr and "The key came from $CC_RELAY_ADMIN_KEY" in wrong.stderr
    )
    assert "wrong-key-0123456789" not in wrong.stderr + wrong.stdout


def test_models_json_error_is_json_on_stdout(cli: Cli, guarded: str) -> None:
    result = cli.run("models", "--json", "--url", guarded)

    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["type"] == "authentication_error"
    assert "requires a relay key" in result.stderr


def test_explain_unknown_model_says_what_to_do(cli: Cli) -> None:
    relay = cli.start()
    relay.wait_listening()

    result = cli.run("explain", "--model", "gpt-nope", "--url", f"http://127.0.0.1:{relay.port}")

    assert result.returncode == 1
    assert "answered 404 not_found_error: model: 'gpt-nope' is not served" in result.stderr
    assert "'cc-relay models' lists the models it serves" in result.stderr
    assert '{"type"' not in result.stderr


def test_status_keeps_whole_base_url_at_80_columns(cli: Cli) -> None:
    base = f"http://127.0.0.1:{free_port()}/a/long/path/to/show/in/full"
    path = write(
        cli.cwd / "relay.yaml",
        f'providers:\n  - name: local\n    type: ollama\n    base_url: "{base}"\n'
        '    models: ["qwen3-coder", "gpt-oss:20b", "llama3.3:70b", "mistral-small"]\n',
    )
    relay = cli.start("--config", str(path))
    relay.wait_listening()

    result = cli.run("status", "--url", f"http://127.0.0.1:{relay.port}", env={"COLUMNS": "80"})

    assert result.returncode == 0, result.stderr
    assert base in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


# --- serve: a busy port, and the line on stop ------------------------------------------------


def test_port_held_by_a_relay_says_so(cli: Cli) -> None:
    first = cli.start()
    first.wait_listening()

    result = cli.run("serve", "--listen", f"127.0.0.1:{first.port}")

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{first.port}" in result.stderr
    assert f"Another cc-relay ({__version__}) is already running" in result.stderr
    assert "cc-relay status" in result.stderr
    assert "--listen" in result.stderr


def test_port_held_by_another_program_says_how_to_move(cli: Cli) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = cli.run("serve", "--listen", f"127.0.0.1:{port}")

    assert result.returncode == 1
    assert "Another program holds that port" in result.stderr
    assert f"--listen 127.0.0.1:{port + 1}" in result.stderr


def test_serve_says_it_stopped(cli: Cli) -> None:
    relay = cli.start()
    relay.wait_listening()

    assert relay.stop() == 0
    assert relay.stderr.rstrip().endswith("cc-relay stopped: drained 0 request(s)")


def test_models_without_config_lists_the_claude_catalog(cli: Cli) -> None:
    relay = cli.start()
    relay.wait_listening()

    result = cli.run("models", "--json", "--url", f"http://127.0.0.1:{relay.port}")

    assert result.returncode == 0, result.stderr
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert {"claude-opus-4-8", "claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5"} <= set(
        rows
    )
    assert rows["claude-sonnet-4-5"]["display_name"] == "Claude Sonnet 4.5"
    assert [p["name"] for p in rows["claude-opus-4-8"]["providers"]] == ["anthropic"]
