"""Azure AI Foundry through the relay: keys and Entra ID tokens, deployments, errors,
judged by the official SDK against the Azure emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anthropic
import pytest
from anthropic.types import MessageParam

from cc_relay.providers import _entra
from tests.conftest import RelayFactory, SdkFactory, body_of, provider, text_of
from tests.emulators import AnthropicEmulator, AzureEmulator, Fail, Reply, text, tool_use
from tests.emulators._azure import ENTRA_RESOURCE

USER: list[MessageParam] = [{"role": "user", "content": "hi"}]
KEY = "az-key-1"
DEPLOYMENT = "opus-prod"
MAP = {"claude-opus-4-8": DEPLOYMENT}


@pytest.fixture
async def azure() -> AsyncIterator[AzureEmulator]:
    async with AzureEmulator(require_key=KEY, deployments=[DEPLOYMENT]) as emu:
        yield emu


def azure_entry(emu: AzureEmulator, **extra: Any) -> dict[str, Any]:
    extra.setdefault("model_map", MAP)
    return provider(emu, name="azure", type="azure", **extra)


async def test_key_header_and_deployment_name(
    make_relay: RelayFactory, azure: AzureEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(azure_entry(azure, keys=[KEY]))
    azure.enqueue(Reply(text("hello from foundry"), input_tokens=9, output_tokens=3))
    message = await sdk(relay, api_key="client-key").messages.create(
        model="claude-opus-4-8", max_tokens=50, messages=USER
    )
    assert text_of(message.content[0]) == "hello from foundry"
    assert message.model == "claude-opus-4-8"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (9, 3)
    seen = azure.messages_requests[-1]
    assert seen.path == "/anthropic/v1/messages"
    assert seen.json["model"] == DEPLOYMENT
    assert seen.headers["x-api-key"] == KEY
    assert "anthropic-version" in seen.headers
    for absent in ("api-key", "authorization"):
        assert absent not in seen.headers


GOLDEN_REPLIES = {
    "text": Reply(text("streamed words arrive in pieces"), input_tokens=30),
    "tool_use": Reply(
        text("Let me check."),
        tool_use("Bash", {"command": "ls -la /tmp", "description": "list"}, id="toolu_01AbC-d_e"),
        stop_reason="tool_use",
    ),
}


@pytest.mark.parametrize("kind", sorted(GOLDEN_REPLIES))
async def test_stream_final_message_matches_anthropic(
    make_relay: RelayFactory,
    azure: AzureEmulator,
    emu: AnthropicEmulator,
    sdk: SdkFactory,
    kind: str,
) -> None:
    via_azure = await make_relay(azure_entry(azure, keys=[KEY]))
    via_anthropic = await make_relay(provider(emu))
    finals, events = {}, {}
    for name, relay, upstream in (("azure", via_azure, azure), ("anthropic", via_anthropic, emu)):
        upstream.enqueue(GOLDEN_REPLIES[kind])
        async with sdk(relay).messages.stream(
            model="claude-opus-4-8", max_tokens=50, messages=USER
        ) as stream:
            events[name] = [event.type async for event in stream]
            finals[name] = (await stream.get_final_message()).model_dump(exclude={"id"})
    assert finals["azure"] == finals["anthropic"]
    assert events["azure"] == events["anthropic"]
    seen = azure.messages_requests[-1]
    assert (seen.json["model"], seen.json["stream"]) == (DEPLOYMENT, True)


@pytest.mark.parametrize(
    ("keys", "model", "exception", "error_type", "wording"),
    [
        (
            ["wrong-key"],
            "claude-opus-4-8",
            anthropic.AuthenticationError,
            "authentication_error",
            "Access denied due to invalid subscription key",
        ),
        (
            [KEY],
            "claude-opus-4-1",
            anthropic.NotFoundError,
            "not_found_error",
            "deployment for this resource does not exist",
        ),
    ],
)
async def test_azure_errors_reach_the_sdk_in_anthropic_shape(
    make_relay: RelayFactory,
    azure: AzureEmulator,
    sdk: SdkFactory,
    keys: list[str],
    model: str,
    exception: type[anthropic.APIStatusError],
    error_type: str,
    wording: str,
) -> None:
    relay = await make_relay(azure_entry(azure, keys=keys, models=["claude-*"]))
    with pytest.raises(exception) as caught:
        await sdk(relay).messages.create(model=model, max_tokens=5, messages=USER)
    assert body_of(caught.value)["type"] == "error"
    assert body_of(caught.value)["error"]["type"] == error_type
    assert wording in body_of(caught.value)["error"]["message"]


async def test_model_errors_pass_unchanged(
    make_relay: RelayFactory, azure: AzureEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(azure_entry(azure, keys=[KEY]))
    azure.enqueue(Fail(429, "rate_limit_error", "Number of request tokens exceeded"))
    with pytest.raises(anthropic.RateLimitError) as caught:
        await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    assert body_of(caught.value)["error"] == {
        "type": "rate_limit_error",
        "message": "Number of request tokens exceeded",
    }
    assert body_of(caught.value)["request_id"].startswith("req_")


async def test_count_tokens_estimated_without_upstream(
    make_relay: RelayFactory, azure: AzureEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(azure_entry(azure, keys=[KEY]))
    counted = await sdk(relay).messages.count_tokens(model="claude-opus-4-8", messages=USER)
    assert counted.input_tokens > 0
    assert azure.requests == []


@pytest.fixture
def managed_identity(monkeypatch: pytest.MonkeyPatch, azure: AzureEmulator) -> None:
    """The environment of an App Service with a managed identity, pointed at `azure`."""
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_TENANT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IMDS_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")
    monkeypatch.setenv("IDENTITY_ENDPOINT", azure.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", azure.identity_secret)


@pytest.mark.usefixtures("managed_identity")
async def test_entra_token_from_azure_identity(
    make_relay: RelayFactory, azure: AzureEmulator, sdk: SdkFactory
) -> None:
    relay = await make_relay(azure_entry(azure, entra=True))
    for _ in range(2):
        message = await sdk(relay).messages.create(
            model="claude-opus-4-8", max_tokens=5, messages=USER
        )
        assert text_of(message.content[0]) == "pong"
    assert len(azure.issued) == 1
    assert azure.identity_calls[0].query["resource"] == ENTRA_RESOURCE
    for seen in azure.messages_requests:
        assert seen.headers["authorization"] == f"Bearer {azure.issued[0].value}"
        assert "x-api-key" not in seen.headers


class FakeCredential:
    """Stands in for DefaultAzureCredential: short-lived tokens, optionally slow or failing."""

    def __init__(self, *, lifetime: float = 3600.0, fail: Exception | None = None) -> None:
        self.lifetime = lifetime
        self.fail = fail
        self.resumed = asyncio.Event()
        self.resumed.set()
        self.scopes: list[tuple[str, ...]] = []
        self.issued: list[str] = []
        self.closed = False

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.scopes.append(scopes)
        await self.resumed.wait()
        if self.fail is not None:
            raise self.fail
        value = f"entra-{len(self.issued) + 1}"
        self.issued.append(value)
        return type(
            "AccessToken", (), {"token": value, "expires_on": int(time.time() + self.lifetime)}
        )()

    async def close(self) -> None:
        self.closed = True


async def test_entra_token_renewed_before_expiry(
    make_relay: RelayFactory, azure: AzureEmulator, sdk: SdkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeCredential(lifetime=4)
    monkeypatch.setattr(_entra, "default_credential", lambda: fake)
    azure.accept_token("entra-1")
    azure.accept_token("entra-2")
    relay = await make_relay(azure_entry(azure, entra=True))
    client = sdk(relay)
    await client.messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    assert fake.issued == ["entra-1"]
    await asyncio.sleep(2.1)  # past half of the token's life
    fake.resumed.clear()  # the renewal hangs until released; the request must not wait
    await asyncio.wait_for(
        client.messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER), 5
    )
    assert azure.messages_requests[-1].headers["authorization"] == "Bearer entra-1"
    assert len(fake.scopes) == 2 and fake.issued == ["entra-1"]
    fake.resumed.set()
    deadline = time.monotonic() + 5
    while len(fake.issued) < 2:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    await client.messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    assert azure.messages_requests[-1].headers["authorization"] == "Bearer entra-2"
    assert set(fake.scopes) == {("https://ai.azure.com/.default",)}


async def test_entra_failure_answers_502(
    make_relay: RelayFactory, azure: AzureEmulator, sdk: SdkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeCredential(
        fail=RuntimeError("ManagedIdentityCredential authentication unavailable.\nsecond line")
    )
    monkeypatch.setattr(_entra, "default_credential", lambda: fake)
    relay = await make_relay(azure_entry(azure, entra=True))
    with pytest.raises(anthropic.InternalServerError) as caught:
        await sdk(relay).messages.create(model="claude-opus-4-8", max_tokens=5, messages=USER)
    assert caught.value.status_code == 502
    message = body_of(caught.value)["error"]["message"]
    assert "Entra ID token request failed" in message
    assert "authentication unavailable" in message and "second line" not in message
    assert azure.messages_requests == []


async def test_emulator_refuses_unknown_bearer_and_root_path(azure: AzureEmulator) -> None:
    body = {"model": DEPLOYMENT, "max_tokens": 5, "messages": USER}
    headers = {"anthropic-version": "2023-06-01"}
    async with aiohttp.ClientSession() as session:
        for url, extra, status in (
            (f"{azure.base_url}/v1/messages", {"authorization": "Bearer forged"}, 401),
            (f"{azure.base_url}/v1/messages", {"api-key": KEY}, 200),
            (f"{azure.base_url}/v1/messages", {"x-api-key": KEY}, 200),
            (f"http://127.0.0.1:{azure.port}/v1/messages", {"x-api-key": KEY}, 404),
            (f"{azure.base_url}/v1/messages/count_tokens", {"x-api-key": KEY}, 404),
        ):
            async with session.post(url, json=body, headers={**headers, **extra}) as resp:
                assert resp.status == status, (url, extra)
