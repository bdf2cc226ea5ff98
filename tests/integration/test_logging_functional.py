"""One structured access line per request; --debug bodies with secrets redacted."""

from __future__ import annotations

import io

import orjson

from cc_relay.observability import LogSetup, fingerprint
from tests.conftest import RelayFactory, SdkFactory, provider
from tests.emulators import AnthropicEmulator, Reply, text

UPSTREAM_KEY = "sk-ant-api03-upstreamSECRETkey0123456789"
RELAY_KEY = "relay-secret-key-0123456789"


async def test_access_line_and_redacted_bodies(
    make_relay: RelayFactory, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    out = io.StringIO()
    logs = LogSetup(level="debug", fmt="json", secrets=[UPSTREAM_KEY, RELAY_KEY], stream=out)
    try:
        relay = await make_relay(
            provider(emu, keys=[UPSTREAM_KEY]),
            server={"auth": [RELAY_KEY]},
            logging={"debug_bodies": True},
        )
        emu.enqueue(
            Reply(text("hi"), input_tokens=33, output_tokens=4),
            Reply(text("streamed"), input_tokens=44, output_tokens=6),
        )
        client = sdk(relay, api_key=RELAY_KEY)
        await client.messages.create(
            model="claude-opus-4-8", max_tokens=5, messages=[{"role": "user", "content": RELAY_KEY}]
        )
        async with client.messages.stream(
            model="claude-opus-4-8", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        ) as s:
            await s.get_final_message()
    finally:
        logs.close()
    text_out = out.getvalue()
    assert UPSTREAM_KEY not in text_out and RELAY_KEY not in text_out
    assert fingerprint(RELAY_KEY) in text_out
    lines = [orjson.loads(line) for line in text_out.splitlines()]
    access = [line for line in lines if line["logger"] == "cc_relay.access"]
    assert len(access) == 2
    plain, streamed = access
    for line in access:
        assert line["request_id"].startswith("req_relay_")
        assert line["provider"] == "anthropic" and line["model"] == "claude-opus-4-8"
        assert line["status"] == 200 and line["latency_ms"] > 0
        assert 0 < line["ttfb_ms"] <= line["latency_ms"]
    assert (plain["input_tokens"], plain["output_tokens"]) == (33, 4)
    assert (streamed["input_tokens"], streamed["output_tokens"]) == (44, 6)
    assert streamed["stream"] is True
    bodies = [line for line in lines if line["logger"] == "cc_relay.bodies"]
    assert any("message_start" in line["body"] for line in bodies)
    assert any(fingerprint(RELAY_KEY) in line["body"] for line in bodies)
