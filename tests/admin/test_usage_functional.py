"""GetUsage: the ledger's totals through a real grpc.aio client."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from anthropic.types import MessageParam
from google.protobuf.timestamp_pb2 import Timestamp

from cc_relay.admin.v1 import admin_pb2 as pb
from tests.admin.conftest import Starter, StubFactory
from tests.conftest import SdkFactory, provider
from tests.emulators import AnthropicEmulator
from tests.integration._ledger import ledger_rows

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]


async def test_usage_groups_the_ledger_by_provider_and_model(
    start: Starter, emu: AnthropicEmulator, emu2: AnthropicEmulator, stub: StubFactory,
    sdk: SdkFactory, tmp_path: Path,
) -> None:  # fmt: skip
    prices = {"input": 3.0, "output": 15.0}
    relay = await start(
        provider(emu, name="a", models=["claude-opus-4-8"], pricing=prices),
        provider(emu2, name="b", models=["claude-haiku-4-5"]),
        ledger={"path": str(tmp_path / "usage.db")},
    )
    client = sdk(relay)
    for model in ("claude-opus-4-8", "claude-opus-4-8", "claude-haiku-4-5"):
        await client.messages.create(model=model, max_tokens=5, messages=USER)
    assert len(await ledger_rows(relay)) == 3
    admin = stub(relay)
    by_provider = await admin.GetUsage(pb.GetUsageRequest(group_by="provider"))
    assert [(g.group, g.requests, g.input_tokens) for g in by_provider.groups] == [
        ("a", 2, 24), ("b", 1, 12),
    ]  # fmt: skip
    assert by_provider.timezone == "UTC" and by_provider.groups[0].cost_usd > 0
    only_a = await admin.GetUsage(pb.GetUsageRequest(group_by="model", filters={"provider": "a"}))
    assert [(g.group, g.requests) for g in only_a.groups] == [("claude-opus-4-8", 2)]
    future = Timestamp()
    future.FromSeconds(4_000_000_000)
    later = await admin.GetUsage(pb.GetUsageRequest(since=future))
    assert list(later.groups) == []
    (today,) = (await admin.GetUsage(pb.GetUsageRequest())).groups
    assert today.requests == 3


async def test_usage_refuses_an_unknown_group(
    start: Starter, emu: AnthropicEmulator, stub: StubFactory
) -> None:
    relay = await start(provider(emu, name="a"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub(relay).GetUsage(pb.GetUsageRequest(group_by="colour"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "colour" in (caught.value.details() or "")
