"""The real Claude Code CLI, driven through the relay to the emulators.

The CLI comes from npm (tests/e2e/package.json, installed by scripts/test). It runs with
a throwaway HOME, no terminal, and every switch that keeps it from talking to anything but
ANTHROPIC_BASE_URL; scripts/test also runs the whole suite in a network namespace that
has only loopback, where the machine allows it.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

CLAUDE = Path(__file__).parent / "node_modules" / ".bin" / "claude"
TIMEOUT = 90.0

QUIET_ENV = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_MAX_RETRIES": "0",
    "IS_SANDBOX": "1",
}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def result(self) -> dict[str, Any]:
        assert self.returncode == 0, (
            f"claude failed ({self.returncode}):\n{self.stdout}\n{self.stderr}"
        )
        return cast(dict[str, Any], json.loads(self.stdout))


@dataclass
class ClaudeCode:
    """One user's Claude Code: a HOME and a project directory that persist across runs."""

    home: Path
    cwd: Path

    async def run(
        self, prompt: str, *args: str, base_url: str | None, api_key: str | None = "sk-e2e-client"
    ) -> Run:
        env = {"PATH": os.environ["PATH"], "HOME": str(self.home), "LANG": "C.UTF-8", **QUIET_ENV}
        if base_url is not None:
            env["ANTHROPIC_BASE_URL"] = base_url
        if api_key is not None:
            env["ANTHROPIC_API_KEY"] = api_key
        proc = await asyncio.create_subprocess_exec(
            str(CLAUDE),
            "-p",
            prompt,
            "--output-format",
            "json",
            "--dangerously-skip-permissions",
            *args,
            cwd=self.cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise
        return Run(proc.returncode or 0, out.decode(), err.decode())


@pytest.fixture
def claude(tmp_path: Path) -> ClaudeCode:
    if not CLAUDE.exists():
        pytest.fail(f"{CLAUDE} is missing: run scripts/test, which installs it with npm")
    home, cwd = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    cwd.mkdir()
    return ClaudeCode(home, cwd)
