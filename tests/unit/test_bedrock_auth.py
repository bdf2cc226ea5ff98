"""Signing and credentials: checked by the Bedrock emulator's own SigV4 verification."""

from __future__ import annotations

import asyncio
import datetime
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from botocore.credentials import Credentials, RefreshableCredentials

from cc_relay.config import ProviderConfig
from cc_relay.errors import UpstreamCredentialError
from cc_relay.providers.bedrock.auth import BedrockAuth, Found, host_header
from tests.emulators import BedrockEmulator
from tests.emulators._bedrock import TEST_CREDENTIALS

BODY = orjson.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "hi"}],
    }
)


@pytest.fixture
async def bedrock() -> AsyncIterator[BedrockEmulator]:
    async with BedrockEmulator() as server:
        yield server


def _config(emu: BedrockEmulator, **extra: Any) -> ProviderConfig:
    return ProviderConfig(
        **{
            "name": "bedrock",
            "type": "bedrock",
            "region": "us-east-1",
            "base_url": emu.base_url,
            **extra,
        }
    )


def _static(**overrides: Any) -> dict[str, Any]:
    return {
        "aws_access_key_id": TEST_CREDENTIALS.access_key,
        "aws_secret_access_key": TEST_CREDENTIALS.secret_key,
        "aws_session_token": TEST_CREDENTIALS.token,
        **overrides,
    }


async def _post(
    emu: BedrockEmulator,
    auth: BedrockAuth,
    *,
    body: bytes = BODY,
    sent_body: bytes | None = None,
    change: dict[str, str] | None = None,
    path: str = "/model/us.anthropic.claude-opus-4-8/invoke",
) -> int:
    url = emu.base_url + path
    headers = await auth.headers(
        url=url,
        body=body,
        key=None,
        base={"host": host_header(url), "content-type": "application/json"},
    )
    headers.update(change or {})
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, data=body if sent_body is None else sent_body, headers=headers
        ) as resp:
            await resp.read()
            return resp.status


async def test_signed_request_is_accepted(bedrock: BedrockEmulator) -> None:
    auth = BedrockAuth(_config(bedrock, **_static()))
    await auth.start()
    assert await _post(bedrock, auth) == 200
    assert (
        await _post(
            bedrock,
            auth,
            path="/model/arn:aws:bedrock:us-east-1:1:application-inference-profile%2Fabc/invoke",
        )
        == 200
    )
    assert bedrock.auth_failures == []
    headers = bedrock.requests[0].headers
    assert set(headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")) == {
        "content-type",
        "host",
        "x-amz-date",
        "x-amz-security-token",
    }


@pytest.mark.parametrize(
    ("tamper", "failure"),
    [
        ({"sent_body": BODY.replace(b"hi", b"ho")}, "InvalidSignatureException"),
        ({"change": {"content-type": "text/plain"}}, "InvalidSignatureException"),
        ({"change": {"x-amz-date": "20200101T000000Z"}}, "IncompleteSignatureException"),
        ({"change": {"x-amz-security-token": "other"}}, "UnrecognizedClientException"),
    ],
)
async def test_tampered_request_is_refused(
    bedrock: BedrockEmulator, tamper: dict[str, Any], failure: str
) -> None:
    auth = BedrockAuth(_config(bedrock, **_static()))
    await auth.start()
    assert await _post(bedrock, auth, **tamper) == 403
    assert bedrock.auth_failures == [failure]


@pytest.mark.parametrize(
    ("config", "failure"),
    [
        ({**_static(aws_secret_access_key="wrong")}, "InvalidSignatureException"),
        ({**_static(aws_access_key_id="AKIDOTHER")}, "UnrecognizedClientException"),
        ({**_static(), "region": "eu-west-1"}, "InvalidSignatureException"),
    ],
)
async def test_wrong_credentials_are_refused(
    bedrock: BedrockEmulator, config: dict[str, Any], failure: str
) -> None:
    auth = BedrockAuth(_config(bedrock, **config))
    await auth.start()
    assert await _post(bedrock, auth) == 403
    assert bedrock.auth_failures == [failure]


async def test_environment_bearer_token_is_used_without_aws_credentials() -> None:
    async with BedrockEmulator(api_keys=("ABSKenv",)) as emu:
        auth = BedrockAuth(_config(emu), environ={"AWS_BEARER_TOKEN_BEDROCK": "ABSKenv"})
        await auth.start()
        assert auth.mode == "bearer token from AWS_BEARER_TOKEN_BEDROCK"
        assert await _post(emu, auth) == 200
        assert emu.requests[0].headers["authorization"] == "Bearer ABSKenv"


async def test_explicit_keys_win_over_the_environment_token(bedrock: BedrockEmulator) -> None:
    auth = BedrockAuth(
        _config(bedrock, **_static()), environ={"AWS_BEARER_TOKEN_BEDROCK": "ABSKenv"}
    )
    await auth.start()
    assert auth.mode.startswith("sigv4 (config key ")
    assert TEST_CREDENTIALS.access_key not in auth.mode


# -- finding and refreshing credentials ---------------------------------------------------------


def _refreshable(
    expires_in: float, key: str = "AKIDEXAMPLE", refresh: Any = None
) -> RefreshableCredentials:
    expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=expires_in)
    return RefreshableCredentials.create_from_metadata(
        metadata={
            "access_key": key,
            "secret_key": TEST_CREDENTIALS.secret_key,
            "token": TEST_CREDENTIALS.token,
            "expiry_time": expiry.isoformat(),
        },
        refresh_using=refresh or (lambda: pytest.fail("refreshed needlessly")),
        method="test",
    )


class Refresher:
    """A refresh function that records the thread it ran in."""

    def __init__(self, key: str, *, fail_first: bool = False) -> None:
        self.key = key
        self.fail_first = fail_first
        self.threads: list[str] = []

    def __call__(self) -> dict[str, str]:
        self.threads.append(threading.current_thread().name)
        if self.fail_first and len(self.threads) == 1:
            raise RuntimeError("the identity provider is busy")
        expiry = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=3600)
        return {
            "access_key": self.key,
            "secret_key": TEST_CREDENTIALS.secret_key,
            "token": TEST_CREDENTIALS.token,
            "expiry_time": expiry.isoformat(),
        }


async def _auth_with(emu: BedrockEmulator, creds: Any) -> BedrockAuth:
    def found() -> Found:
        return creds, None, "sigv4 (test)"

    auth = BedrockAuth(_config(emu), resolve=found)
    await auth.start()
    return auth


async def test_credentials_near_expiry_are_refreshed_before_signing(
    bedrock: BedrockEmulator,
) -> None:
    refresher = Refresher("AKIDEXAMPLE")
    creds = _refreshable(3600, key="AKIDSTALE", refresh=refresher)
    auth = await _auth_with(bedrock, creds)
    assert refresher.threads == []
    # An hour passes: one minute left, inside the mandatory window.
    creds._expiry_time = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60)
    assert await _post(bedrock, auth) == 200  # the stale key would get a 403
    assert len(refresher.threads) == 1
    assert threading.main_thread().name not in refresher.threads


async def test_credentials_in_the_advisory_window_refresh_in_the_background(
    bedrock: BedrockEmulator,
) -> None:
    # Inside the 15 min advisory window, outside the 10 min mandatory one. botocore tries
    # an advisory refresh at start; it fails there, so the current key stays in use.
    refresher = Refresher("AKIDNEXT", fail_first=True)
    auth = await _auth_with(bedrock, _refreshable(12 * 60, refresh=refresher))
    assert len(refresher.threads) == 1
    assert await _post(bedrock, auth) == 200  # signed with the current key, not waiting
    assert bedrock.auth_failures == []
    for _ in range(200):
        if len(refresher.threads) == 2:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert len(refresher.threads) == 2
    assert threading.main_thread().name not in refresher.threads
    assert await _post(bedrock, auth) == 403  # the emulator does not know AKIDNEXT
    assert bedrock.auth_failures == ["UnrecognizedClientException"]
    await auth.close()


async def test_fresh_credentials_are_not_refreshed(bedrock: BedrockEmulator) -> None:
    auth = await _auth_with(bedrock, _refreshable(3600))
    for _ in range(3):
        assert await _post(bedrock, auth) == 200


async def test_no_credentials_raise_a_retryable_failure(bedrock: BedrockEmulator) -> None:
    calls = []

    def nothing() -> Found:
        calls.append(1)
        return None, None, "none"

    auth = BedrockAuth(_config(bedrock), resolve=nothing)
    await auth.start()
    with pytest.raises(UpstreamCredentialError, match="has no AWS credentials"):
        await auth.headers(url=bedrock.base_url, body=b"", key=None, base={})
    with pytest.raises(UpstreamCredentialError):
        await auth.headers(url=bedrock.base_url, body=b"", key=None, base={})
    assert len(calls) == 1  # searched again at most every RESOLVE_RETRY seconds


async def test_search_errors_do_not_escape(
    bedrock: BedrockEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> Found:
        raise RuntimeError("SSO token expired")

    auth = BedrockAuth(_config(bedrock), resolve=broken)
    await auth.start()
    assert "SSO token expired" in caplog.text
    assert auth.mode == "none"


async def test_credential_process_profile_gives_refreshable_credentials(
    bedrock: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = tmp_path / "creds.py"
    expiry = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)).isoformat()
    script.write_text(
        "import json\nprint(json.dumps("
        + repr(
            {
                "Version": 1,
                "AccessKeyId": TEST_CREDENTIALS.access_key,
                "SecretAccessKey": TEST_CREDENTIALS.secret_key,
                "SessionToken": TEST_CREDENTIALS.token,
                "Expiration": expiry,
            }
        )
        + "))\n"
    )
    (tmp_path / "config").write_text(
        f"[profile relay]\ncredential_process = {sys.executable} {script}\n"
    )
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_BEARER_TOKEN_BEDROCK",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    auth = BedrockAuth(_config(bedrock, aws_profile="relay"))
    await auth.start()
    assert auth.mode == "sigv4 (profile 'relay')"
    assert isinstance(auth._source, RefreshableCredentials)
    assert await _post(bedrock, auth) == 200


def test_static_credentials_are_plain() -> None:
    assert not isinstance(Credentials("a", "b"), RefreshableCredentials)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        (
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/x/invoke",
            "bedrock-runtime.us-east-1.amazonaws.com",
        ),
        (
            "https://bedrock-runtime.us-east-1.amazonaws.com:443/model/x/invoke",
            "bedrock-runtime.us-east-1.amazonaws.com",
        ),
        ("http://127.0.0.1:8080/model/x/invoke", "127.0.0.1:8080"),
        ("http://[::1]:8080/model/x/invoke", "[::1]:8080"),
        ("https://vpce.example:8443/model", "vpce.example:8443"),
    ],
)
def test_host_header(url: str, host: str) -> None:
    assert host_header(url) == host
