"""``cc-relay replicas`` and ``--scope`` against a real ``cc-relay serve`` (a fleet of one)."""

from __future__ import annotations

import asyncio
import re
import subprocess

import anthropic
import yaml

from tests.cli._process import Cli
from tests.emulators import AnthropicEmulator

MODEL = "claude-opus-4-8"


async def test_replicas_and_scopes_on_the_memory_backend(cli: Cli, emu: AnthropicEmulator) -> None:
    path = cli.cwd / "relay.yaml"
    document = {
        "server": {"watch_config": False},
        "admin": {"grpc_listen": None},
        "state": {"replica": "solo"},
        "providers": [{"name": "a", "type": "anthropic", "base_url": emu.base_url}],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    relay = cli.start("--config", str(path))
    await asyncio.to_thread(relay.wait_listening)
    url = f"http://127.0.0.1:{relay.port}"

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(cli.run, *args, "--config", str(path), "--url", url)

    async with anthropic.AsyncAnthropic(base_url=url, api_key="x", max_retries=0) as client:
        await client.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    listed = await run("replicas")
    assert listed.returncode == 0, listed.stderr
    assert "solo *" in listed.stdout and "memory" in listed.stdout
    # Totals are the relayed requests; this command's own admin call is not one.
    assert re.search(r"^fleet: 1 requests, 0 errors", listed.stdout, re.M), listed.stdout
    fleet = await run("requests", "--scope", "fleet")
    assert fleet.returncode == 0, fleet.stderr
    assert "  solo  200  a  claude-opus-4-8  " in fleet.stdout
    local = await run("requests")
    assert "solo" not in local.stdout and " 200  a  " in local.stdout
    status = await run("status", "--scope", "fleet")
    assert status.returncode == 0, status.stderr
    assert "scope fleet: solo" in status.stdout and re.search(r"\d+ requests", status.stdout)
    unknown = await run("requests", "--scope", "nobody")
    assert unknown.returncode == 1 and "'nobody' is not a replica" in unknown.stderr
