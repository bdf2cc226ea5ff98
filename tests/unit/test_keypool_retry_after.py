"""retry-after parsing and telling a spend cap from a rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_relay.keypool import is_spend_cap, parse_retry_after, retry_after_seconds

NOW = datetime(2026, 5, 4, 10, 30, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("Mon, 04 May 2026 10:30:45 GMT", 45.0),
        ("Monday, 04-May-26 10:31:00 GMT", 60.0),  # RFC 850, obsolete but allowed
        ("Mon May  4 10:30:10 2026", 10.0),  # asctime
        ("Mon, 04 May 2026 10:29:00 GMT", 0.0),  # in the past: go now
    ],
)
def test_parse_retry_after_accepts_seconds_and_dates(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "soon",
        "-5",
        "-0.5",
        "1e3",
        "inf",
        "NaN",
        "0x10",
        "12 s",
        "Mon, 99 Foo 2026 10:30:45 GMT",
        "2026-05-04T10:31:00Z",
    ],
)
def test_parse_retry_after_rejects_garbage(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


@given(st.integers(min_value=0, max_value=10**9))
def test_parse_retry_after_round_trips_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds)) == seconds


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_parse_retry_after_http_date_is_never_negative(offset: int) -> None:
    value = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    assert parse_retry_after(value, now=NOW) == max(0, offset)


@given(st.text())
def test_parse_retry_after_never_raises_or_goes_negative(value: str) -> None:
    seconds = parse_retry_after(value, now=NOW)
    assert seconds is None or seconds >= 0


def test_parse_retry_after_defaults_to_the_real_time() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=100), usegmt=True)
    seconds = parse_retry_after(later)
    assert seconds is not None and 95 <= seconds <= 100


def test_retry_after_seconds_prefers_milliseconds() -> None:
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after-ms": "junk", "retry-after": "9"}) == 9.0
    assert retry_after_seconds({"retry-after": "Mon, 04 May 2026 10:30:05 GMT"}, now=NOW) == 5.0
    assert retry_after_seconds({}) is None


@pytest.mark.parametrize(
    "message",
    [
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
        "Billing to upgrade or purchase credits.",
        "You have reached your specified API usage limits. You will regain access on "
        "2026-06-01 at 00:00 UTC.",
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "Workspace spend limit reached",
        "This organization has hit its monthly spending cap.",
    ],
)
def test_is_spend_cap_recognises_money_limits(message: str) -> None:
    assert is_spend_cap(message)


@pytest.mark.parametrize(
    "message",
    [
        "This request would exceed the rate limit for your organization of 50,000 input "
        "tokens per minute.",
        "Number of request tokens has exceeded your per-minute rate limit",
        "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model",
        "Too many requests, please wait before trying again.",
        "Overloaded",
        "",
    ],
)
def test_is_spend_cap_leaves_rate_limits_alone(message: str) -> None:
    assert not is_spend_cap(message)
