"""``cc-relay usage`` and ``cc-relay statusline`` with no relay running (the ledger alone),
and ``config cc init --statusline`` / ``remove``."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cc_relay.ledger import store
from tests.cli._process import Cli, free_port
from tests.cli.test_cli_first_run_functional import HEAVY

SESSION = "sess-cli-1"


def _ledger(path: Path) -> Path:
    """A ledger with three requests over two providers, one of them unpriced."""
    now = time.time()
    conn = store.connect(path)

    def row(provider: str, model: str, cost: float | None, tokens: int, at: float) -> list[object]:
        return [at, "req", None, None, SESSION, model, provider, model, "fp1", 1, 200, None,
                None, 1, 0.5, 0.1, tokens, 10, 100, 50, cost, None]  # fmt: skip

    store.write(conn, [row("claude", "claude-opus-4-8", 0.25, 1_000, now - 60),
                       row("glm", "glm-4.6", 0.05, 2_000, now - 30),
                       row("local", "qwen3", None, 500, now - 10)], [])  # fmt: skip
    conn.close()
    return path


def test_usage_reads_the_ledger_while_the_relay_is_stopped(cli: Cli) -> None:
    db = _ledger(cli.cwd / "usage.db")

    table = cli.run("usage", "--db", str(db), "--by", "provider")
    assert table.returncode == 0, table.stderr
    for provider in ("claude", "glm", "local", "total"):
        assert provider in table.stdout
    assert "$0.3000 + 1 unpriced" in table.stdout

    answer = cli.run("usage", "--db", str(db), "--by", "model", "--since", "1h", "--json")
    assert answer.returncode == 0, answer.stderr
    rows = {r["group"]: r for r in json.loads(answer.stdout)["rows"]}
    assert rows["glm-4.6"]["cost_usd"] == 0.05 and rows["glm-4.6"]["input_tokens"] == 2_000
    assert rows["qwen3"]["unpriced"] == 1
    assert rows["claude-opus-4-8"]["cache_hit_rate"] == 100 / (1_000 + 100 + 50)


def test_usage_defaults_to_the_ledger_path_and_says_when_there_is_none(cli: Cli) -> None:
    result = cli.run("usage")
    assert result.returncode == 0, result.stderr
    assert "no requests" in result.stdout and "does not exist yet" in result.stdout
    default = cli.home / ".local/share/cc-relay/usage.db"
    default.parent.mkdir(parents=True)
    _ledger(default)
    result = cli.run("usage", "--by", "session", "--json")
    assert json.loads(result.stdout)["rows"][0]["group"] == SESSION


@pytest.mark.parametrize(
    "args", [["--by", "colour"], ["--since", "last tuesday"]], ids=["by", "since"]
)
def test_usage_rejects_bad_options_in_words(cli: Cli, args: list[str]) -> None:
    result = cli.run("usage", "--db", str(cli.cwd / "x.db"), *args)
    assert result.returncode == 2
    assert "use" in result.stderr


def _statusline(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli.prefix, "statusline", *args], input=json.dumps({"session_id": SESSION}),
        cwd=cli.cwd, env=cli.env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_statusline_imports_nothing_heavy_and_is_fast(cli: Cli) -> None:
    db = str(_ledger(cli.cwd / "usage.db"))
    url = f"http://127.0.0.1:{free_port()}"
    probe = (
        "import sys; sys.argv = ['cc-relay', 'statusline', '--db', sys.argv[1], '--url', "
        "sys.argv[2]]\nfrom cc_relay.cli import main\ntry:\n    main()\nexcept SystemExit:\n"
        "    pass\nprint('IMPORTED', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, db, url], input="{}", cwd=cli.cwd, env=cli.env,
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    loaded = set(result.stdout.splitlines()[-1].split()[1:])
    assert not loaded & {*HEAVY, "typer", "rich", "orjson", "msgspec", "yaml", "email", "ssl",
                          "typing"}, loaded  # fmt: skip

    timings = []
    for _ in range(5):
        started = time.perf_counter()
        line = _statusline(cli, "--db", db, "--url", url)
        timings.append(time.perf_counter() - started)
        assert line.stdout == "local · qwen3 │ today $0.3000+? · 4.0k in / 30 out │ relay down\n"
    # Well under 100 ms on an idle machine (see the README); the bound leaves room for CI.
    assert statistics.median(timings) < 0.5, timings


def test_init_statusline_installs_it_and_remove_restores_exactly(cli: Cli) -> None:
    settings = cli.home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    original = {"statusLine": {"type": "command", "command": "my-line"}, "theme": "dark"}
    settings.write_text(json.dumps(original))
    before = settings.read_bytes()

    result = cli.run("config", "cc", "init", "--statusline", "--url", "http://127.0.0.1:9911")
    assert result.returncode == 0, result.stderr
    line = json.loads(settings.read_text())["statusLine"]
    assert line["type"] == "command" and line["padding"] == 0
    assert line["command"].endswith(" statusline --url http://127.0.0.1:9911")
    again = cli.run("config", "cc", "init", "--statusline", "--url", "http://127.0.0.1:9911")
    assert again.returncode == 0 and "statusLine" not in again.stdout

    command = line["command"].split(" ")
    shown = subprocess.run([*command], input="{}", capture_output=True, text=True,
                           env=cli.env, timeout=30, check=False)  # fmt: skip
    assert shown.returncode == 0 and shown.stdout.startswith("cc-relay"), shown.stderr

    assert cli.run("config", "cc", "remove").returncode == 0
    assert settings.read_bytes() == before


def test_remove_keeps_a_statusline_the_user_changed_since(cli: Cli) -> None:
    settings = cli.home / ".claude" / "settings.json"
    assert cli.run("config", "cc", "init", "--statusline").returncode == 0
    data = json.loads(settings.read_text())
    data["statusLine"] = {"type": "command", "command": "mine-now"}
    settings.write_text(json.dumps(data))

    assert cli.run("config", "cc", "remove").returncode == 0
    assert json.loads(settings.read_text())["statusLine"]["command"] == "mine-now"
