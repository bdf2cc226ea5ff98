"""Keeping secrets out of logs: the Redactor, fingerprints, and the log pipeline."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.observability import LogSetup, Redactor, fingerprint

MASK = re.compile(r"\[redacted:([0-9a-f]{8})\]")
ANTHROPIC_KEY = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AA"

secrets = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=127),
    min_size=8,
    max_size=64,
)


def mask(secret: str) -> str:
    return f"[redacted:{fingerprint(secret)}]"


def unmasked(text: str) -> str:
    """``text`` with every mask cut out, so a secret that spells "redacted" is not a leak."""
    return MASK.sub("\x00", text)


# --- fingerprints ----------------------------------------------------------------------------


def test_fingerprint_is_eight_hex_digits() -> None:
    assert re.fullmatch(r"[0-9a-f]{8}", fingerprint(ANTHROPIC_KEY))


def test_fingerprint_is_sha256_prefix() -> None:
    assert fingerprint("hello") == hashlib.sha256(b"hello").hexdigest()[:8] == "2cf24dba"


@given(secret=st.text(min_size=1))
def test_fingerprint_is_stable_and_short(secret: str) -> None:
    first = fingerprint(secret)
    assert re.fullmatch(r"[0-9a-f]{8}", first)
    assert fingerprint(secret) == first


def test_fingerprint_tells_keys_apart() -> None:
    assert fingerprint("key-number-one") != fingerprint("key-number-two")


# --- the Redactor ----------------------------------------------------------------------------


def test_redactor_masks_configured_secret() -> None:
    redact = Redactor(["my-relay-secret"])

    out = redact("client sent my-relay-secret twice: my-relay-secret")

    assert out == f"client sent {mask('my-relay-secret')} twice: {mask('my-relay-secret')}"


def test_redactor_masks_longest_secret_whole() -> None:
    redact = Redactor(["abcd1234", "abcd1234efgh5678"])

    out = redact("k=abcd1234efgh5678")

    assert out == f"k={mask('abcd1234efgh5678')}"


def test_redactor_ignores_secrets_too_short_to_mask() -> None:
    # Masking "abc" everywhere would shred ordinary text.
    assert Redactor(["abc", ""])("abc abcdef") == "abc abcdef"


@pytest.mark.parametrize(
    "text",
    [
        f"upstream said: invalid x-api-key {ANTHROPIC_KEY}",
        f"key={ANTHROPIC_KEY}.",
        f"'{ANTHROPIC_KEY}'",
    ],
)
def test_redactor_masks_unconfigured_anthropic_key(text: str) -> None:
    out = Redactor()(text)

    assert ANTHROPIC_KEY not in out
    assert "AbCdEfGhIjKlMnOp" not in out
    assert mask(ANTHROPIC_KEY) in out


@pytest.mark.parametrize("header", ["Authorization: Bearer ", "authorization: bearer ", "BEARER\t"])
def test_redactor_masks_bearer_token(header: str) -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"

    out = Redactor()(f"{header}{token} end")

    assert out == f"{header}{mask(token)} end"


@pytest.mark.parametrize(
    "field", ["x-api-key", "api-key", "authorization", "api_key", "key", "token"]
)
def test_redactor_masks_json_credential_field(field: str) -> None:
    body = orjson.dumps(
        {"model": "claude-sonnet-4-5", field: "opaque-value-42", "max_tokens": 5}
    ).decode()

    out = Redactor()(body)

    assert "opaque-value-42" not in out
    assert f'"{field}":"{mask("opaque-value-42")}"' in out
    assert '"model":"claude-sonnet-4-5"' in out


def test_redactor_masks_json_field_with_spaces() -> None:
    out = Redactor()('{"x-api-key" : "opaque-value-42"}')

    assert out == f'{{"x-api-key" : "{mask("opaque-value-42")}"}}'


@pytest.mark.parametrize(
    "text",
    [
        "POST /v1/messages 200 812.3ms model=claude-sonnet-4-5-20250929 provider=anthropic",
        "provider 'zai' did not list its models: ClientConnectorError",
        '{"type":"message","role":"assistant","content":[{"type":"text","text":"pong"}]}',
        "x-api-key header missing; send x-api-key or Authorization: Bearer",
        "request_id=req_011CSHoEeqs5C35K2UUqR7Fy input_tokens=12 output_tokens=3",
        "anthropic-beta: fine-grained-tool-streaming-2025-05-14",
        "scheduled task-scheduler-service-v2 on disk-usage-monitor-daemon",
    ],
)
def test_redactor_leaves_ordinary_text_alone(text: str) -> None:
    assert Redactor(["sk-ant-configured-000"])(text) == text


@given(secret=secrets, before=st.text(), after=st.text())
def test_redactor_never_leaves_configured_secret(secret: str, before: str, after: str) -> None:
    out = Redactor([secret])(f"{before}{secret}{after} / {secret}")

    assert secret not in unmasked(out)
    assert mask(secret) in out


@given(first=secrets, second=secrets, filler=st.text())
def test_redactor_never_leaves_any_of_several_secrets(first: str, second: str, filler: str) -> None:
    out = Redactor([first, second])(f"{second}{filler}{first}|{first}{filler}{second}")

    assert first not in unmasked(out)
    assert second not in unmasked(out)


@given(secret=secrets, where=st.sampled_from(["Bearer {}", '"x-api-key": "{}"', "{}"]))
def test_redactor_output_is_stable(secret: str, where: str) -> None:
    redact = Redactor([secret])
    once = redact(where.format(secret))

    assert redact(once) == once


# --- through the logging pipeline ------------------------------------------------------------


@pytest.fixture
def restore_relay_logger() -> Iterator[None]:
    """LogSetup rewires the ``cc_relay`` logger; put it back for the next test."""
    logger = logging.getLogger("cc_relay")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for handler in saved[0]:
        logger.addHandler(handler)
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


@pytest.mark.usefixtures("restore_relay_logger")
@pytest.mark.parametrize("fmt", ["console", "json"])
def test_log_setup_masks_secret_in_message_and_extra(fmt: str) -> None:
    secret = "zai-key-0123456789abcdef"
    stream = io.StringIO()
    logs = LogSetup(stream=stream, fmt=fmt, secrets=[secret, "relay-auth-key-1"])
    try:
        logging.getLogger("cc_relay.test").warning(
            "upstream rejected %s", secret, extra={"api_key_used": secret, "provider": "zai"}
        )
    finally:
        logs.close()

    out = stream.getvalue()
    assert out.count("\n") == 1
    assert secret not in out
    assert out.count(mask(secret)) == 2
    assert "upstream rejected" in out
    assert "zai" in out
    if fmt == "json":
        line = orjson.loads(out)
        assert line["msg"] == f"upstream rejected {mask(secret)}"
        assert line["api_key_used"] == mask(secret)
        assert line["level"] == "warning"


@pytest.mark.usefixtures("restore_relay_logger")
def test_log_setup_masks_unconfigured_key_shapes() -> None:
    stream = io.StringIO()
    logs = LogSetup(stream=stream)
    try:
        logging.getLogger("cc_relay.test").info(
            "headers: Authorization: Bearer %s, key %s", "tok-0123456789", ANTHROPIC_KEY
        )
    finally:
        logs.close()

    out = stream.getvalue()
    assert "tok-0123456789" not in out
    assert ANTHROPIC_KEY not in out
    assert mask("tok-0123456789") in out


@pytest.mark.usefixtures("restore_relay_logger")
@pytest.mark.parametrize("fmt", ["console", "json"])
def test_log_setup_masks_credential_field_in_logged_body(fmt: str) -> None:
    # What debug_bodies logs: a JSON body inside the message. In the JSON log format the
    # body's quotes arrive escaped (\"x-api-key\": \"...\").
    body = '{"model": "claude-sonnet-4-5", "x-api-key": "opaque-value-42"}'
    stream = io.StringIO()
    logs = LogSetup(stream=stream, fmt=fmt, level="debug")
    try:
        logging.getLogger("cc_relay.test").debug("request body: %s", body)
    finally:
        logs.close()

    out = stream.getvalue()
    assert "claude-sonnet-4-5" in out
    assert "opaque-value-42" not in out
    assert mask("opaque-value-42") in out


@pytest.mark.usefixtures("restore_relay_logger")
def test_log_setup_respects_level() -> None:
    stream = io.StringIO()
    logs = LogSetup(stream=stream, level="warning")
    try:
        log = logging.getLogger("cc_relay.test")
        log.info("quiet")
        log.warning("loud")
    finally:
        logs.close()

    assert "quiet" not in stream.getvalue()
    assert "loud" in stream.getvalue()


@pytest.mark.usefixtures("restore_relay_logger")
def test_log_setup_close_is_idempotent() -> None:
    logs = LogSetup(stream=io.StringIO())

    logs.close()
    logs.close()
