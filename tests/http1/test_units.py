"""The small pieces: the request head, URL splitting, header look-up, the choice of
client, the error map to the relay's failures, and the public surface."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Mapping

import pytest

import cc_relay.http1
from cc_relay.errors import UpstreamConnectError, UpstreamCutError
from cc_relay.http1 import (
    BodyError,
    ConnectError,
    ConnectTimeout,
    HeadError,
    Headers,
    HTTP1Error,
    InvalidBody,
    InvalidHead,
    RequestError,
    UsageError,
    WriteError,
    route,
    upstream_failure,
)
from cc_relay.http1.head import encode_head
from cc_relay.http1.origin import Origin, split_url
from cc_relay.http1.select import bypasses_proxy, environment_proxies


def test_http1_public_surface() -> None:
    assert cc_relay.http1.__all__ == [
        "AiohttpClient",
        "AiohttpResponse",
        "BodyError",
        "Client",
        "ClientConfig",
        "ConnectError",
        "ConnectTimeout",
        "HTTP1Error",
        "HeadError",
        "Headers",
        "InvalidBody",
        "InvalidHead",
        "RequestError",
        "Response",
        "Route",
        "UsageError",
        "WriteError",
        "open_client",
        "route",
        "upstream_failure",
    ]


def test_errors_tree() -> None:
    for leaf in (ConnectError, WriteError, HeadError, BodyError):
        assert issubclass(leaf, RequestError)
    assert issubclass(ConnectTimeout, ConnectError) and issubclass(ConnectTimeout, TimeoutError)
    assert issubclass(InvalidHead, HeadError) and issubclass(InvalidBody, BodyError)
    assert issubclass(UsageError, HTTP1Error) and not issubclass(UsageError, RequestError)


def test_head_encode_order_framing_and_given_host() -> None:
    head = encode_head("POST", "/v1/messages?beta=true", "api.test", {"x-a": "1", "B": "2"}, 7)
    assert head == (
        b"POST /v1/messages?beta=true HTTP/1.1\r\nHost: api.test\r\nContent-Length: 7\r\n"
        b"x-a: 1\r\nB: 2\r\n\r\n"
    )
    signed = encode_head(
        "GET", "/", "h", [("host", "signed.test"), ("Content-Length", "99"), ("te", "x")], 0
    )
    assert signed == b"GET / HTTP/1.1\r\nHost: signed.test\r\nContent-Length: 0\r\nte: x\r\n\r\n"


@pytest.mark.parametrize(
    "headers",
    [{"x-a": "1\r\nInjected: yes"}, {"x-a": "1\nb"}, {"x-a\r\nc": "1"}, {"x-a": "\r"}],
)
def test_head_refuses_cr_lf_in_fields(headers: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        encode_head("POST", "/", "h", headers, 0)
    with pytest.raises(UsageError):
        encode_head("POST", "/a\r\nb", "h", {}, 0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://h/v1/messages?x=1", (Origin("http", "h", 80), "h", "/v1/messages?x=1")),
        ("https://API.test:443", (Origin("https", "api.test", 443), "api.test", "/")),
        ("http://h:8080?q", (Origin("http", "h", 8080), "h:8080", "/?q")),
        ("http://[::1]:9/a#frag", (Origin("http", "::1", 9), "[::1]:9", "/a")),
        ("HTTPS://h:80/", (Origin("https", "h", 80), "h:80", "/")),
    ],
)
def test_origin_split_url(url: str, expected: tuple[Origin, str, str]) -> None:
    assert split_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://h/",
        "h/no-scheme",
        "http://user:pw@h/",
        "http://h:notaport/",
        "http:///x",
        "http://hé/",
    ],
)
def test_origin_refuses(url: str) -> None:
    with pytest.raises(UsageError):
        split_url(url)


def test_headers_lookup_is_case_insensitive_first_value() -> None:
    headers = Headers([("Set-Cookie", "a"), ("content-type", "text/plain"), ("set-cookie", "b")])
    assert headers["SET-COOKIE"] == "a" and headers.getall("set-cookie") == ["a", "b"]
    assert "Content-Type" in headers and "x" not in headers
    assert headers.get("x") is None and headers.get("x", "d") == "d"
    assert list(headers) == list(headers.keys()) == ["Set-Cookie", "content-type", "set-cookie"]
    assert list(headers.values()) == ["a", "text/plain", "b"] and len(headers) == 3
    assert ("set-cookie", "b") in headers.items() and ("set-cookie", "a") not in headers.items()
    assert headers == Headers(list(headers.items())) and isinstance(headers, Mapping)


@pytest.mark.parametrize(
    ("environ", "url", "lean", "proxy"),
    [
        ({}, "https://api.anthropic.com", True, None),
        ({"HTTPS_PROXY": "http://p:3128"}, "https://api.anthropic.com", False, "http://p:3128"),
        ({"HTTPS_PROXY": "http://p:3128"}, "http://localhost:11434", True, None),
        ({"HTTP_PROXY": "http://p"}, "http://ollama:11434", False, "http://p"),
        ({"ALL_PROXY": "http://p"}, "https://x.test", False, "http://p"),
        (
            {"https_proxy": "http://low", "HTTPS_PROXY": "http://up"},
            "https://x",
            False,
            "http://low",
        ),
        ({"HTTPS_PROXY": "http://up", "https_proxy": ""}, "https://x.test", True, None),
        (
            {"HTTPS_PROXY": "http://p", "NO_PROXY": "anthropic.com"},
            "https://api.anthropic.com",
            True,
            None,
        ),
        (
            {"HTTPS_PROXY": "http://p", "no_proxy": ".anthropic.com"},
            "https://anthropic.com",
            True,
            None,
        ),
        ({"HTTPS_PROXY": "http://p", "NO_PROXY": "*"}, "https://a.test", True, None),
        ({"HTTPS_PROXY": "http://p", "NO_PROXY": "a.test:8443"}, "https://a.test:8443", True, None),
        ({"HTTPS_PROXY": "http://p", "NO_PROXY": "b.test"}, "https://ab.test", False, "http://p"),
        ({"HTTP_PROXY": "http://p", "REQUEST_METHOD": "GET"}, "http://a.test", True, None),
        ({}, "unix:///run/x.sock", False, None),
        ({}, "http://user:pw@a.test", False, None),
    ],
)
def test_select_route(environ: dict[str, str], url: str, lean: bool, proxy: str | None) -> None:
    chosen = route(url, environ)
    assert (chosen.lean, chosen.proxy) == (lean, proxy), chosen.reason


def test_select_reads_proxies_as_urllib_does(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"HTTPS_PROXY": "http://a", "http_proxy": "http://b", "no_proxy": "x, .y ,z:1"}
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert environment_proxies(environ) == urllib.request.getproxies_environment()
    for host in ("x", "a.x", "y", "b.y", "z", "xy", "q"):
        by_urllib = urllib.request.proxy_bypass_environment(f"{host}:1")  # type: ignore[attr-defined]
        assert bypasses_proxy(host, 1, environ["no_proxy"]) == bool(by_urllib), host


@pytest.mark.parametrize(
    ("error", "kind", "text"),
    [
        (ConnectTimeout("t"), UpstreamConnectError, "timed out connecting to provider 'p' at u"),
        (ConnectError("c"), UpstreamConnectError, "cannot connect to provider 'p' at u: c"),
        (WriteError("w"), UpstreamCutError, "provider 'p' closed the connection early: WriteError"),
        (
            InvalidHead("h"),
            UpstreamCutError,
            "provider 'p' closed the connection early: InvalidHead",
        ),
        (BodyError("b"), UpstreamCutError, "provider 'p' closed the connection early: BodyError"),
    ],
)
def test_boundary_maps_to_upstream_failures(error: RequestError, kind: type, text: str) -> None:
    failure = upstream_failure(error, where="provider 'p'", base_url="u")
    assert type(failure) is kind and str(failure) == text


def test_boundary_names_the_os_reason() -> None:
    error = ConnectError("x")
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")
    failure = upstream_failure(error, where="provider 'p'", base_url="u")
    assert str(failure) == "cannot connect to provider 'p' at u: Connection refused"
