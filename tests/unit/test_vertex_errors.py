"""Google (and other foreign) error bodies become Anthropic's envelope; Anthropic's stay."""

from __future__ import annotations

import gzip
from typing import Any, cast

import orjson
import pytest

from cc_relay.errors import error_type
from cc_relay.providers._cloud_errors import to_anthropic
from cc_relay.types import UpstreamAnswer


def _google(status: int, message: str, google_status: str) -> bytes:
    return orjson.dumps({"error": {"code": status, "message": message, "status": google_status}})


def _translated(status: int, body: bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = to_anthropic(UpstreamAnswer(status, headers or {}, body), upstream="Vertex AI")
    assert answer.status == status
    return cast(dict[str, Any], orjson.loads(answer.body))


@pytest.mark.parametrize(
    ("status", "google_status", "expected"),
    [
        (400, "INVALID_ARGUMENT", "invalid_request_error"),
        (401, "UNAUTHENTICATED", "authentication_error"),
        (403, "PERMISSION_DENIED", "permission_error"),
        (404, "NOT_FOUND", "not_found_error"),
        (429, "RESOURCE_EXHAUSTED", "rate_limit_error"),
        (500, "INTERNAL", "api_error"),
        (503, "UNAVAILABLE", "overloaded_error"),
        (504, "DEADLINE_EXCEEDED", "timeout_error"),
    ],
)
def test_google_error_translated_by_status(status: int, google_status: str, expected: str) -> None:
    body = _translated(status, _google(status, "Quota exceeded for x.", google_status))
    assert body == {
        "type": "error",
        "error": {"type": expected, "message": "Quota exceeded for x."},
    }


def test_google_error_as_a_list_of_one() -> None:
    raw = b"[" + _google(429, "Resource exhausted.", "RESOURCE_EXHAUSTED") + b"]"
    assert _translated(429, raw)["error"] == {
        "type": "rate_limit_error",
        "message": "Resource exhausted.",
    }


def test_anthropic_error_passes_byte_for_byte() -> None:
    raw = (
        b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},'
        b'"request_id":"req_1"}'
    )
    answer = UpstreamAnswer(529, {"Content-Type": "application/json"}, raw)
    assert to_anthropic(answer, upstream="Vertex AI") is answer


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (402, "billing_error"),
        (409, "conflict_error"),
        (413, "request_too_large"),
        (418, "invalid_request_error"),
        (502, "api_error"),
        (529, "overloaded_error"),
        (599, "api_error"),
    ],
)
def test_error_type_for_other_statuses(status: int, expected: str) -> None:
    assert error_type(status) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (orjson.dumps({"error": {"code": 404, "status": "NOT_FOUND"}}), "NOT_FOUND"),
        (
            orjson.dumps({"error": "invalid_grant", "error_description": "Bad JWT."}),
            "invalid_grant: Bad JWT.",
        ),
        (orjson.dumps({"message": "Too many requests"}), "Too many requests"),
        (
            b"upstream connect error or disconnect/reset before headers\nmore",
            "upstream connect error or disconnect/reset before headers",
        ),
        (
            b"<!DOCTYPE html><html><title>Error 404 (Not Found)!!1</title></html>",
            "Vertex AI answered HTTP 404 with no explanation",
        ),
        (b"", "Vertex AI answered HTTP 404 with no explanation"),
        (b"[]", "Vertex AI answered HTTP 404 with no explanation"),
    ],
)
def test_other_bodies_get_a_message(body: bytes, message: str) -> None:
    assert _translated(404, body)["error"] == {"type": "not_found_error", "message": message}


def test_translated_answer_is_json_and_keeps_other_headers() -> None:
    answer = to_anthropic(
        UpstreamAnswer(
            429, {"Content-Type": "text/html; charset=UTF-8", "Retry-After": "7"}, b"<html></html>"
        ),
        upstream="Vertex AI",
    )
    assert answer.headers == {"content-type": "application/json", "Retry-After": "7"}


def test_compressed_body_is_left_alone() -> None:
    raw = gzip.compress(_google(429, "x", "RESOURCE_EXHAUSTED"))
    answer = UpstreamAnswer(429, {"Content-Encoding": "gzip"}, raw)
    assert to_anthropic(answer, upstream="Vertex AI") is answer
