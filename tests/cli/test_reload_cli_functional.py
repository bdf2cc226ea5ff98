"""Reloading a real ``cc-relay serve``: SIGHUP, and a watched file edited in place."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from tests.cli._process import Cli, http_request

CONFIG = """
server:
  watch_config: {watch}
providers:
  - name: {name}
    type: anthropic
    base_url: http://127.0.0.1:9
"""


def providers(port: int) -> list[str]:
    status, body = http_request(port, "GET", "/v1/providers")
    assert status == 200, body
    return [p["name"] for p in json.loads(body)["data"]]


def wait_for(port: int, names: list[str], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while providers(port) != names:
        assert time.monotonic() < deadline, f"still {providers(port)}"
        time.sleep(0.05)


def test_sighup_reloads_the_config_file(cli: Cli) -> None:
    path = cli.cwd / "relay.yaml"
    path.write_text(CONFIG.format(watch="false", name="first"), "utf-8")
    relay = cli.start("--config", str(path))
    relay.wait_listening()
    assert providers(relay.port) == ["first"]
    path.write_text(CONFIG.format(watch="false", name="second"), "utf-8")
    time.sleep(0.5)
    assert providers(relay.port) == ["first"], "watch_config: false leaves it to SIGHUP"
    relay.proc.send_signal(signal.SIGHUP)
    wait_for(relay.port, ["second"])
    assert relay.stop(signal.SIGTERM) == 0
    assert "config reloaded (generation 2)" in relay.stderr
    assert "provider added: second" in relay.stderr and "provider removed: first" in relay.stderr


def test_a_bad_edit_is_logged_with_file_and_key_and_the_relay_keeps_serving(cli: Cli) -> None:
    path: Path = cli.cwd / "relay.yaml"
    path.write_text(CONFIG.format(watch="true", name="first"), "utf-8")
    relay = cli.start("--config", str(path))
    relay.wait_listening()
    time.sleep(0.5)  # the watcher starts a moment after the socket
    path.write_text(CONFIG.format(watch="true", name="first") + "routing:\n  stratgy: x\n")
    deadline = time.monotonic() + 10
    while "config reload failed" not in relay.stderr:
        assert time.monotonic() < deadline, relay.stderr
        time.sleep(0.05)
    assert f"{path}" in relay.stderr and "routing.stratgy" in relay.stderr
    assert providers(relay.port) == ["first"]
    assert relay.stop(signal.SIGTERM) == 0


def test_reload_command_reports_the_changes_and_status_shows_the_generation(cli: Cli) -> None:
    path = cli.cwd / "relay.yaml"
    path.write_text(CONFIG.format(watch="false", name="first"), "utf-8")
    relay = cli.start("--config", str(path))
    relay.wait_listening()
    url = f"http://127.0.0.1:{relay.port}"
    path.write_text(CONFIG.format(watch="false", name="second"), "utf-8")
    result = cli.run("reload", "--url", url)
    assert result.returncode == 0, result.stderr
    assert "reloaded: generation 2" in result.stdout
    assert "provider added: second" in result.stdout
    shown = cli.run("status", "--url", url)
    assert shown.returncode == 0, shown.stderr
    assert "generation 2, last reload ok" in shown.stdout
    path.write_text("providers: [", "utf-8")
    failed = cli.run("reload", "--url", url)
    assert failed.returncode == 1 and "not valid YAML" in failed.stderr
    assert "last reload failed" in cli.run("status", "--url", url).stdout
    assert relay.stop(signal.SIGTERM) == 0
