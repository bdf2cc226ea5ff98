"""``cc-relay statusline`` against a running relay and its ledger, as Claude Code runs it:
a fresh process, the session's JSON on stdin, one line out."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from cc_relay.server import RelayServer
from tests.conftest import RelayFactory, provider
from tests.emulators import AnthropicEmulator, Reply, text
from tests.integration._ledger import ledger_rows
from tests.integration.test_ledger_functional import _post

SESSION = "5e2f3c1a-0b7d-4c55-9a0e-1f2e3d4c5b6a"
USER: list[Any] = [{"role": "user", "content": "hi"}]


async def statusline(*args: str, stdin: str, home: Path) -> tuple[str, float]:
    """The line printed, and how long the command took (seconds)."""
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cc_relay", "statusline", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out, err = await proc.communicate(stdin.encode())
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0 and not err, err
    lines = out.decode().splitlines()
    assert len(lines) == 1, lines
    return lines[0], elapsed


async def _session_on_two_providers(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator
) -> RelayServer:
    emu.script = lambda r: Reply(text("claude here"), input_tokens=1_000, output_tokens=10)
    emu2.script = lambda r: Reply(text("glm here"), input_tokens=2_500, output_tokens=40)
    relay = await make_relay(
        provider(emu, name="claude", models=["claude-*"],
                 keys=[{"key": "sk-1", "rpm_limit": 10}]),
        provider(emu2, name="glm", type="zai", models=["glm-*"]),
    )  # fmt: skip
    headers = {"x-claude-code-session-id": SESSION}
    for model in ("claude-opus-4-8", "glm-4.6"):  # /model switches mid-session
        status, _ = await _post(relay, {"model": model, "max_tokens": 9, "messages": USER},
                                **headers)  # fmt: skip
        assert status == 200
    await ledger_rows(relay)
    return relay


async def test_statusline_shows_the_provider_after_a_model_switch(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, tmp_path: Path
) -> None:
    relay = await _session_on_two_providers(make_relay, emu, emu2)
    db = str(relay.holder.ledger.writer.path)  # type: ignore[union-attr]
    stdin = json.dumps({"session_id": SESSION, "model": {"id": "glm-4.6"}, "cwd": "/"})

    line, elapsed = await statusline("--url", relay.url, "--db", db, stdin=stdin, home=tmp_path)

    served, today, limits = line.split(" │ ")
    assert served == "glm · glm-4.6"
    # claude-opus-4-8 at $5/$25 built in; glm-4.6 at $0.60/$2.20.
    cost = (1_000 * 5 + 10 * 25 + 2_500 * 0.6 + 40 * 2.2) / 1_000_000
    assert today == f"today ${cost:.4f} · 3.5k in / 50 out"
    assert limits == "limits 90% left (claude requests)"  # 1 of its 10 requests a minute
    assert elapsed < 2.0  # a whole interpreter start on a loaded CI machine; see README


async def test_statusline_says_relay_down_and_falls_back(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, tmp_path: Path
) -> None:
    relay = await _session_on_two_providers(make_relay, emu, emu2)
    db = str(relay.holder.ledger.writer.path)  # type: ignore[union-attr]
    down = "http://127.0.0.1:9"
    stdin = json.dumps({"session_id": SESSION})

    line, _ = await statusline("--url", down, "--db", db, stdin=stdin, home=tmp_path)
    assert line.startswith("glm · glm-4.6 │ today $") and line.endswith(" │ relay down")

    for garbage in ("", "not json", "[1, 2]", json.dumps({"session_id": "never-seen"})):
        line, _ = await statusline("--url", down, "--db", db, stdin=garbage, home=tmp_path)
        assert line.startswith("cc-relay") and line.endswith("relay down"), (garbage, line)
    line, _ = await statusline("--url", down, "--db", str(tmp_path / "missing.db"),
                               stdin=stdin, home=tmp_path)  # fmt: skip
    assert line == "cc-relay │ relay down"
    (tmp_path / "bad.db").write_text("this is not sqlite")
    line, _ = await statusline("--db", str(tmp_path / "bad.db"), stdin=stdin, home=tmp_path)
    assert line == "cc-relay"


async def test_statusline_says_when_the_relay_refuses_its_key(
    make_relay: RelayFactory, emu: AnthropicEmulator, tmp_path: Path
) -> None:
    relay = await make_relay(provider(emu), server={"auth": ["k-right"]})
    stdin = json.dumps({"session_id": SESSION})

    line, _ = await statusline("--url", relay.url, "--key", "k-wrong", stdin=stdin, home=tmp_path)
    assert line == "cc-relay │ relay refused (401)"
    line, _ = await statusline("--url", relay.url, "--key", "k-right", stdin=stdin, home=tmp_path)
    assert line == "cc-relay"  # no session rows, keys without limits: nothing more to say
