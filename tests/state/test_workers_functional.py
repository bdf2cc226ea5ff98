"""``cc-relay serve --workers 2``: two processes on one port, one key limit between them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic
import orjson
import pytest

from tests.emulators import AnthropicEmulator
from tests.state._redis import RedisServer, _free_port
from tests.state.test_shared_limits_functional import MODEL

START_TIMEOUT = 20.0


def write_config(path: Path, port: int, emu: AnthropicEmulator, state: dict[str, Any]) -> Path:
    config = {
        "server": {"listen": f"127.0.0.1:{port}"},
        "admin": {"grpc_listen": None},
        "ledger": {"enabled": False},
        "state": state,
        "providers": [
            {"name": "anthropic", "type": "anthropic", "base_url": emu.base_url,
             "keys": [{"key": "sk-shared", "rpm_limit": 10}]}
        ],
    }  # fmt: skip
    path.write_bytes(orjson.dumps(config))  # JSON is YAML
    return path


def serve(config: Path, tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    with (tmp_path / "serve.err").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "cc_relay", "serve", "-c", str(config), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


async def listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    async with asyncio.timeout(START_TIMEOUT):
        while True:
            assert proc.poll() is None, "serve exited early"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                await asyncio.sleep(0.05)


async def one(port: int) -> int:
    """One request on a fresh connection, so the kernel may pick either worker."""
    client = anthropic.AsyncAnthropic(
        base_url=f"http://127.0.0.1:{port}", api_key="client-key", max_retries=0
    )
    try:
        await client.messages.create(
            model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "hi"}]
        )
    except anthropic.APIStatusError as exc:
        return exc.status_code
    finally:
        await client.close()
    return 200


async def test_two_workers_share_one_port_and_one_key_limit(
    emu: AnthropicEmulator, redis_server: RedisServer, tmp_path: Path
) -> None:
    port = _free_port()
    state = {"backend": "redis", "url": redis_server.url, "prefix": "w"}
    proc = serve(write_config(tmp_path / "c.yaml", port, emu, state), tmp_path, "--workers", "2")
    try:
        await listening(port, proc)
        async with asyncio.timeout(START_TIMEOUT):
            while not redis_server.command("ZCARD", "w:replicas").startswith(b":2"):
                await asyncio.sleep(0.05)  # both workers are up and heartbeating
        statuses = [await one(port) for _ in range(20)]
        assert statuses.count(200) == 10, statuses
        assert set(statuses) == {200, 429}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 20)
    assert code == 0, (tmp_path / "serve.err").read_text()


@pytest.mark.parametrize("workers", ["2", "3"])
async def test_workers_refused_with_the_memory_backend(
    emu: AnthropicEmulator, tmp_path: Path, workers: str
) -> None:
    config = write_config(tmp_path / "c.yaml", _free_port(), emu, {"backend": "memory"})
    proc = serve(config, tmp_path, "--workers", workers)
    assert await asyncio.to_thread(proc.wait, 20) == 2
    err = (tmp_path / "serve.err").read_text()
    assert "needs state.backend: redis" in err and "rate limit" in err
