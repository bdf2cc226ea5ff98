"""``cc-relay providers``, ``circuit`` and ``requests`` against a real ``cc-relay serve``."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import anthropic
import yaml

from tests.cli._process import Cli
from tests.emulators import AnthropicEmulator, Reply, text

MODEL = "claude-opus-4-8"


def _config(path: Path, emu: AnthropicEmulator, emu2: AnthropicEmulator) -> None:
    document = {
        "server": {"watch_config": False},
        "admin": {"keys": ["adm-key-0123456789"], "grpc_listen": "127.0.0.1:0"},
        "routing": {"strategy": "failover"},
        "providers": [
            {"name": "a", "type": "anthropic", "base_url": emu.base_url},
            {"name": "b", "type": "anthropic", "base_url": emu2.base_url},
        ],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


async def test_admin_commands_drive_the_running_relay(
    cli: Cli, emu: AnthropicEmulator, emu2: AnthropicEmulator
) -> None:
    path = cli.cwd / "relay.yaml"
    _config(path, emu, emu2)
    relay = cli.start("--config", str(path))
    await asyncio.to_thread(relay.wait_listening)
    url = f"http://127.0.0.1:{relay.port}"

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(cli.run, *args, "--config", str(path), "--url", url)

    disabled = await run("providers", "disable", "a")
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.strip() == "a: disabled (until the file changes its enabled)"
    emu2.enqueue(Reply(text("from b")), Reply(text("live")))
    async with anthropic.AsyncAnthropic(base_url=url, api_key="x", max_retries=0) as client:
        await client.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
        listed = await run("requests", "--provider", "b")
        assert listed.returncode == 0, listed.stderr
        assert " 200  b  claude-opus-4-8  " in listed.stdout
        assert (await run("requests", "--status", "5xx")).stdout == ""

        with subprocess.Popen(
            [*cli.prefix, "requests", "--follow", "--limit", "1", "--config", str(path),
             "--url", url],
            cwd=cli.cwd, env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True,
        ) as tail:  # fmt: skip
            assert tail.stdout is not None
            first = await asyncio.to_thread(tail.stdout.readline)  # the one already there
            await asyncio.sleep(0.5)
            await client.messages.create(
                model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "again"}]
            )
            live = await asyncio.wait_for(asyncio.to_thread(tail.stdout.readline), 10)
            tail.kill()
            assert " 200  b  " in first and " 200  b  " in live

    refused = await run("circuit", "reset", "a")
    assert refused.returncode == 1 and "disabled and has no circuit" in refused.stderr
    assert (await run("providers", "enable", "a")).stdout.strip() == "a: enabled"
    reset = await run("circuit", "reset", "a")
    assert reset.returncode == 0 and reset.stdout.strip() == "a: circuit closed (healthy)"
    wrong = await run("providers", "disable", "a", "--admin-key", "not-it")
    assert wrong.returncode == 1 and "refused the call" in wrong.stderr
    assert "not-it" not in wrong.stderr
    unknown = await run("providers", "disable", "zz")
    assert unknown.returncode == 1 and "no provider 'zz'" in unknown.stderr
