"""The request head, built once as bytes: request line, Host, Content-Length, then
the caller's headers in their order. Nothing else is added: no ``Accept``, no
``User-Agent``, no default ``Content-Type`` (aiohttp adds the first and the last)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cc_relay.http1.errors import UsageError

__all__ = ["encode_head"]

#: Framing the client writes itself (the caller's own values are dropped), and Host.
_SPECIAL = frozenset({"host", "content-length", "transfer-encoding"})
_SPECIAL_LENGTHS = frozenset(len(name) for name in _SPECIAL)


def encode_head(
    method: str,
    target: str,
    host: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body_length: int,
) -> bytes:
    """The head's bytes. A ``Host`` among ``headers`` replaces the URL's (a signed
    request names the host it signed). CR or LF inside a name or value is refused:
    it would let a value start a header of its own."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    lines = [f"{method} {target} HTTP/1.1\r\n", "", f"Content-Length: {body_length}\r\n"]
    for name, value in pairs:
        # Only a name as long as one of the three is lower-cased: most are not, and
        # this runs for every header of every request.
        if len(name) in _SPECIAL_LENGTHS and (lower := name.lower()) in _SPECIAL:
            if lower == "host":
                host = value
        else:
            lines.append(f"{name}: {value}\r\n")
    lines[1] = f"Host: {host}\r\n"
    lines.append("\r\n")
    text = "".join(lines)
    # Every line above ends in exactly one CRLF, so any other CR or LF is injected.
    breaks = text.count("\n")
    if breaks != len(lines) or text.count("\r") != breaks:
        raise UsageError("http1: CR or LF inside a header name or value, or the target")
    return text.encode("utf-8")
