"""No secret from the config ever leaves the relay: not in a log line (bodies logged),
not in an info endpoint, not in an error body. Judged on a real ``cc-relay serve --debug``."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from tests.cli._process import Cli
from tests.emulators import AnthropicEmulator, Fail

#: Distinctive values: some shaped like real keys (caught by pattern), some not (caught
#: only because the config names them).
PROVIDER_KEY = "sk-ant-api03-AUDITprovider0key0aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
PLAIN_PROVIDER_KEY = "audit-plain-zai-key-31415926"
AZURE_KEY = "audit-azure-key-27182818"
RELAY_KEY = "audit-relay-key-16180339"
AWS_ID = "AKIAAUDIT00000000001"
AWS_SECRET = "auditAwsSecretAccessKey0000000000000000001"
AWS_TOKEN = "auditAwsSessionToken000000000000001"
SECRETS = (PROVIDER_KEY, PLAIN_PROVIDER_KEY, AZURE_KEY, RELAY_KEY, AWS_ID, AWS_SECRET, AWS_TOKEN)
MODEL = "claude-opus-4-8"


def _config(path: Path, emu: AnthropicEmulator) -> None:
    closed = "http://127.0.0.1:9"  # nothing listens: attempts there fail fast
    path.write_text(
        f"""
server:
  auth: ["{RELAY_KEY}"]
logging:
  level: debug
  debug_bodies: true
routing:
  strategy: failover
providers:
  - name: anthropic
    type: anthropic
    priority: 9
    base_url: {emu.base_url}
    keys: ["{PROVIDER_KEY}"]
  - name: zai
    type: zai
    base_url: {emu.base_url}
    keys: ["{PLAIN_PROVIDER_KEY}"]
    models: ["glm-*"]
  - name: azure
    type: azure
    base_url: {closed}
    keys: ["{AZURE_KEY}"]
    models: ["claude-*"]
  - name: bedrock
    type: bedrock
    region: us-east-1
    base_url: {closed}
    aws_access_key_id: "{AWS_ID}"
    aws_secret_access_key: "{AWS_SECRET}"
    aws_session_token: "{AWS_TOKEN}"
    models: ["claude-*"]
"""
    )


async def _collect(url: str) -> list[str]:
    """Every answer (status, headers and body) to the info endpoints and to errors."""
    ok = {"x-api-key": RELAY_KEY}
    body = {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    calls: list[tuple[str, str, dict[str, str], object]] = [
        ("GET", "/", ok, None),
        ("GET", "/health", ok, None),
        ("GET", "/v1/models", ok, None),
        ("GET", "/v1/providers", ok, None),
        ("POST", "/v1/relay/explain", ok, {"model": MODEL}),
        ("POST", "/v1/messages", ok, body),
        ("POST", "/v1/messages", ok, {**body, "stream": True}),
        ("POST", "/v1/messages", ok, body),  # the emulator fails this one: failover
        ("POST", "/v1/messages", ok, {**body, "model": "glm-4.6"}),
        ("POST", "/v1/messages/count_tokens", ok, body),
        ("POST", "/v1/messages", {"x-api-key": "wrong"}, body),
        ("POST", "/v1/messages", ok, {**body, "model": "nope"}),
        ("POST", "/v1/messages", ok, {"model": 1}),
        ("POST", "/v1/messages", {**ok, "Host": "evil.example"}, body),
        ("GET", "/v1/nothing", ok, None),
    ]
    seen: list[str] = []
    async with aiohttp.ClientSession() as session:
        for method, path, headers, payload in calls:
            async with session.request(method, url + path, headers=headers, json=payload) as r:
                seen.append(f"{r.status} {dict(r.headers)} {await r.text()}")
    return seen


async def test_secrets_never_appear_in_logs_endpoints_or_errors(cli: Cli) -> None:
    async with AnthropicEmulator() as emu:
        emu.enqueue(Fail(529), Fail(529), Fail(529))
        config = cli.cwd / "cc-relay.yaml"
        _config(config, emu)
        relay = cli.start("--config", str(config), "--debug")
        await asyncio.to_thread(relay.wait_listening)
        answers = await _collect(f"http://127.0.0.1:{relay.port}")
        # The emulator saw the provider key, so the test is not vacuous.
        assert any(r.headers.get("x-api-key") == PROVIDER_KEY for r in emu.requests)
        assert await asyncio.to_thread(relay.stop, signal.SIGTERM) == 0
    logs = relay.stdout + relay.stderr
    assert "request body" in logs and "max_tokens" in logs, "request bodies were logged"
    assert len(answers) == 15
    leaks = [
        (secret, where)
        for secret in SECRETS
        for where, text in [("logs", logs), *(("answer", a) for a in answers)]
        if secret in text
    ]
    assert leaks == []
