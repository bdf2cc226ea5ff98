"""Hostile requests for the relay, and what every answer to them must look like.

Shared by the suite's property test (tests/integration/test_fuzz_functional.py, a few
thousand cases) and ``bench/fuzz.py`` (100,000 and more). A case is a method, a path,
headers and body bytes, sent over a plain socket; the answer must be a served 200 or an
Anthropic-shaped 4xx (or 503/529 when the relay says it is busy): never another 5xx,
never a traceback, never a hang.
"""

from __future__ import annotations

import gzip
import http.client
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import strategies as st

MODELS = ("claude-opus-4-8", "claude-sonnet-4-6", "glm-4.6", "no-such-model", "", "anthropic/x/y")
PATHS = (
    "/v1/messages",
    "/v1/messages?beta=true",
    "/v1/messages/count_tokens",
    "/v1/relay/explain",
    "/v1/models",
    "/v1/models/claude-opus-4-8",
    "/v1/providers",
    "/health",
    "/",
    "/nope",
)
#: Statuses the relay may answer with. 5xx only where it means "busy, retry" (the
#: connection cap, a drain), which a fuzz run should not see but is not a bug.
ACCEPTED = frozenset({200, *range(400, 500), 503, 529})
TIMEOUT = 10.0

_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system", "tool", 7]), "content": json_values}
)
_request = st.fixed_dictionaries(
    {},
    optional={
        "model": st.one_of(st.sampled_from(MODELS), json_values),
        "max_tokens": st.one_of(st.integers(min_value=-5, max_value=2**40), json_values),
        "messages": st.one_of(st.lists(_message, max_size=3), json_values),
        "stream": st.one_of(st.booleans(), json_values),
        "metadata": st.one_of(
            st.fixed_dictionaries({"user_id": st.text(max_size=20)}), json_values
        ),
        "tools": json_values,
        "thinking": json_values,
        "system": json_values,
    },
)


@st.composite
def _nested(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(min_value=1, max_value=3000))
    model = draw(st.sampled_from(MODELS)).encode()
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    field = draw(st.sampled_from([b"messages", b"metadata", b"tools", b"model"]))
    nested = opener * depth + b"1" + closer * depth
    return b'{"model":"%s","max_tokens":5,"messages":[],"%s":%s}' % (model, field, nested)


bodies = st.one_of(
    _request.map(orjson.dumps),
    _request.map(orjson.dumps),
    json_values.map(orjson.dumps),
    _nested(),
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.just(b""),
)
_token = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@st.composite
def cases(draw: st.DrawFn, *, port: int) -> Case:
    method = draw(st.sampled_from(["POST"] * 6 + ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]))
    path = draw(st.sampled_from(PATHS))
    body = draw(bodies)
    headers: dict[str, str] = {
        "Host": draw(
            st.sampled_from(
                [f"127.0.0.1:{port}", "localhost", "[::1]", "evil.example", f"x:{port}"]
            )
        ),
        "Content-Type": draw(
            st.sampled_from(
                ["application/json"] * 4
                + [
                    "application/json; charset=utf-8",
                    "text/plain",
                    "application/x-www-form-urlencoded",
                ]
            )
        ),
    }
    encoding = draw(
        st.sampled_from([None] * 6 + ["gzip", "gzip-lie", "deflate", "br", "zstd", "x"])
    )
    if encoding == "gzip":
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    elif encoding == "deflate":
        body, headers["Content-Encoding"] = zlib.compress(body), "deflate"
    elif encoding is not None:
        headers["Content-Encoding"] = "gzip" if encoding == "gzip-lie" else encoding
    extra = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "Origin",
                    "Sec-Fetch-Site",
                    "anthropic-beta",
                    "anthropic-version",
                    "x-api-key",
                    "Authorization",
                    "x-claude-code-session-id",
                    "Accept-Encoding",
                ]
            ),
            _token,
            max_size=3,
        )
    )
    headers.update(extra)
    return Case(method, path, headers, body)


def send(port: int, case: Case) -> tuple[int, dict[str, str], bytes]:
    """One case on a fresh connection; raises on a hang (socket timeout)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.putrequest(case.method, case.path, skip_host=True, skip_accept_encoding=True)
        for name, value in case.headers.items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(case.body)))
        conn.endheaders(case.body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def problem(case: Case, status: int, headers: dict[str, str], body: bytes) -> str | None:
    """What is wrong with an answer, or None."""
    if status not in ACCEPTED:
        return f"status {status}: {body[:300]!r}"
    if b"Traceback" in body or b"Server got itself in trouble" in body:
        return f"a traceback or aiohttp's own page: {body[:300]!r}"
    if case.method == "HEAD" or status == 200:
        if status == 200 and headers.get("content-type", "").startswith("text/event-stream"):
            tail = body.rstrip().rsplit(b"\n\n", 1)[-1]
            if not (tail.startswith(b"event: message_stop") or tail.startswith(b"event: error")):
                return f"a stream that ends in neither message_stop nor error: {tail[:200]!r}"
        return None
    try:
        error: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return f"a {status} that is not JSON: {body[:300]!r}"
    if not (
        isinstance(error, dict)
        and error.get("type") == "error"
        and isinstance(error.get("error"), dict)
        and isinstance(error["error"].get("type"), str)
        and isinstance(error["error"].get("message"), str)
    ):
        return f"a {status} that is not Anthropic-shaped: {body[:300]!r}"
    return None
