"""The JSON twin on the relay's HTTP port: the same answers as gRPC, Connect errors,
SSE streams, and the browser rule."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import orjson
import pytest
from google.protobuf import json_format

from cc_relay.admin.v1 import admin_pb2 as pb
from tests.admin.conftest import Starter, StubFactory, post_json, settled
from tests.conftest import SdkFactory, provider
from tests.emulators import AnthropicEmulator, Reply, text

URL = "/cc_relay.admin.v1.Admin/"
MODEL = "claude-opus-4-8"


def _without(document: dict[str, Any], *dynamic: str) -> dict[str, Any]:
    status = dict(document.get("status", {}))
    for name in dynamic:
        status.pop(name, None)
    return {**document, "status": status} if "status" in document else document


async def test_json_twin_answers_as_grpc_does(
    start: Starter, emu: AnthropicEmulator, stub: StubFactory, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a", keys=["sk-up-1"]))
    await sdk(relay).messages.create(
        model="claude-opus-4-8", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
    await settled(relay)
    admin = stub(relay)
    calls: list[tuple[str, Any, Any]] = [
        ("GetStatus", {}, admin.GetStatus(pb.GetStatusRequest())),
        ("GetConfig", {}, admin.GetConfig(pb.GetConfigRequest())),
        ("ListModels", {}, admin.ListModels(pb.ListModelsRequest())),
        ("Explain", {"model": MODEL}, admin.Explain(pb.ExplainRequest(model=MODEL))),
        ("ListRequests", {"pageSize": 5}, admin.ListRequests(pb.ListRequestsRequest(page_size=5))),
        ("ListConfigHistory", {}, admin.ListConfigHistory(pb.ListConfigHistoryRequest())),
    ]  # fmt: skip
    for method, body, call in calls:
        over_grpc = json_format.MessageToDict(await call)
        status, over_http = await post_json(relay, method, body)
        assert status == 200, over_http
        # The JSON call's own connection moves the connection counts; the clock moves.
        dynamic = ("uptimeSeconds", "connections")
        assert _without(over_http, *dynamic) == _without(over_grpc, *dynamic), method
        if method == "GetStatus":
            assert over_grpc["status"]["connections"]["frontAnswered"] == "1"
            assert over_http["status"]["connections"]["frontAnswered"] == "1"


@pytest.mark.parametrize(
    ("method", "body", "status", "code"),
    [
        ("SetProviderEnabled", {"name": "nope"}, 404, "not_found"),
        ("Explain", {}, 400, "invalid_argument"),
        ("Explain", {"modle": "x"}, 400, "invalid_argument"),
        ("ApplyConfig", {"yaml": "providers: []", "baseHash": "stale"}, 409, "aborted"),
        ("NoSuchMethod", {}, 404, "not_found"),
    ],
)
async def test_json_errors_are_connect_errors(
    start: Starter, emu: AnthropicEmulator, method: str, body: Any, status: int, code: str
) -> None:
    relay = await start(provider(emu, name="a"))
    got_status, answer = await post_json(relay, method, body)
    assert (got_status, answer["code"]) == (status, code) and answer["message"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/json", "Origin": "https://evil.example"}, 403),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, 403),
        ({"Content-Type": "application/json"}, 200),
    ],
)
async def test_json_calls_refuse_what_a_foreign_web_page_could_send(
    start: Starter, emu: AnthropicEmulator, headers: dict[str, str], status: int
) -> None:
    relay = await start(provider(emu, name="a"))
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{relay.url}{URL}ReloadConfig", data=b"{}", headers=headers
        ) as resp:
            assert resp.status == status, await resp.text()


async def test_json_admin_keys_and_not_client_keys(start: Starter, emu: AnthropicEmulator) -> None:
    relay = await start(
        provider(emu, name="a"), admin={"keys": ["adm-1"]}, server={"auth": ["c-1"]}
    )
    for key, status in (("", 401), ("c-1", 401), ("adm-1", 200)):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        got, answer = await post_json(relay, "GetStatus", headers=headers)
        assert got == status, answer
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{relay.url}/metrics", headers=headers) as resp:
                assert resp.status == status


async def test_streams_are_server_sent_events(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory
) -> None:
    relay = await start(provider(emu, name="a"))
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{relay.url}{URL}StreamRequests", params={"filter.provider": "a"}
        ) as tail:
            assert tail.status == 200 and tail.content_type == "text/event-stream"
            emu.enqueue(Reply(text("seen")))
            await sdk(relay).messages.create(
                model="claude-opus-4-8", max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
            line = await tail.content.readline()
            assert line.startswith(b"data: ")
            event = orjson.loads(line[len(b"data: ") :])
            assert event["request"]["provider"] == "a" and event["request"]["status"] == 200
        async with session.get(
            f"{relay.url}{URL}StreamStats", params={"intervalSeconds": "0.01"}
        ) as stats:
            body = await stats.read()
            assert body.startswith(b"event: error\n") and b"invalid_argument" in body
        async with session.get(f"{relay.url}{URL}StreamStats", params={"bogus": "1"}) as bad:
            assert bad.status == 400 and (await bad.json())["code"] == "invalid_argument"


async def test_a_stream_the_client_closes_is_not_an_error(
    start: Starter, emu: AnthropicEmulator, sdk: SdkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    # A dashboard closes its stream each time it moves to another view.
    caplog.set_level(logging.INFO, logger="cc_relay.access")
    relay = await start(provider(emu, name="a"))
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            async with session.get(f"{relay.url}{URL}StreamStats") as stats:
                assert (await stats.content.readline()).startswith(b"data: ")
    emu.enqueue(Reply(text("hi"), stall_after_events=(2, 30.0)))
    async with sdk(relay).messages.stream(
        model="claude-opus-4-8", max_tokens=5, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        async for _ in stream:
            break  # a Claude Code user's Esc: that one is a 499
    async with asyncio.timeout(5):
        while relay.holder.totals.requests == 0:
            await asyncio.sleep(0.02)
    await settled(relay)
    statuses = {
        (record.getMessage(), getattr(record, "status", None))
        for record in caplog.records
        if record.name == "cc_relay.access"
    }
    assert ("GET /cc_relay.admin.v1.Admin/StreamStats", 200) in statuses
    assert ("POST /v1/messages", 499) in statuses
    assert not any(s == 499 for m, s in statuses if "StreamStats" in m)
    # The totals are the relayed traffic: the admin calls are not in them, over HTTP
    # as over gRPC.
    _, answer = await post_json(relay, "GetStatus")
    totals = answer["status"]["totals"]
    assert (totals["requests"], totals["errors"]) == ("1", "1")
