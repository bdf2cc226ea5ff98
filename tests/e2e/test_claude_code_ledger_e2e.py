"""Claude Code 2.1.197 and the ledger: its session id is what the ledger records, so the
status line it runs finds the session, and `/model` switches show in it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import RelayFactory, provider
from tests.e2e.conftest import ClaudeCode
from tests.emulators import AnthropicEmulator, Reply, text
from tests.integration._ledger import ledger_rows
from tests.integration.test_statusline_functional import statusline

pytestmark = pytest.mark.e2e


async def test_ledger_records_claude_codes_session_and_statusline_follows_it(
    make_relay: RelayFactory, emu: AnthropicEmulator, emu2: AnthropicEmulator, claude: ClaudeCode
) -> None:
    emu.script = lambda r: Reply(text("claude answers"), input_tokens=700, output_tokens=9)
    emu2.script = lambda r: Reply(text("glm answers"), input_tokens=300, output_tokens=4)
    relay = await make_relay(
        provider(emu, name="claude", models=["claude-*"]),
        provider(emu2, name="zai", type="zai", models=["glm-*"]),
    )
    assert (await claude.run("first", base_url=relay.url)).result["result"] == "claude answers"
    second = (
        await claude.run("second", "--continue", "--model", "glm-4.6", base_url=relay.url)
    ).result
    assert second["result"] == "glm answers"

    rows = [r for r in await ledger_rows(relay) if r["status"] == 200]
    sessions = {r["session"] for r in rows}
    assert second["session_id"] in sessions, sessions
    assert {r["provider"] for r in rows} == {"claude", "zai"}
    db = str(relay.holder.ledger.writer.path)  # type: ignore[union-attr]
    stdin = json.dumps({"session_id": second["session_id"], "model": {"id": "glm-4.6"}})
    line, _ = await statusline("--url", relay.url, "--db", db, stdin=stdin, home=claude.home)
    assert line.startswith("zai · glm-4.6 │ today $"), line
