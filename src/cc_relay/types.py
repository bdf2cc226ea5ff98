"""Types shared along the request flow (api -> routing -> providers).

This module imports nothing of ours, so every layer can depend on it.

The exceptions raised along the flow live in ``cc_relay.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

    from cc_relay.config import KeyConfig
    from cc_relay.keypool import Lease
    from cc_relay.providers import Provider


@dataclass(slots=True)
class Credential:
    """A credential a client presented that is not the relay's own (for pass-through)."""

    header: str
    """``x-api-key`` or ``authorization``."""
    value: str

    @property
    def is_oauth(self) -> bool:
        """A Claude subscription token (``sk-ant-oat...``) sent as Bearer."""
        return self.header == "authorization" and self.value[7:].startswith("sk-ant-oat")


class RelayRequest:
    """One client request: the raw bytes, what the relay needs of them, and the full
    parsed body on demand.

    The body is parsed into Python objects at most once, and only when something must
    read or change it (a translating provider, the thinking guard, a renamed model, a
    local token estimate). A request forwarded to an Anthropic-dialect upstream as is
    never builds that tree: for a 76 KB Claude Code body the tree, and the garbage
    collector walking it, cost more than the rest of the relay.
    """

    __slots__ = (
        "_body",
        "credential",
        "headers",
        "id",
        "max_tokens",
        "model",
        "path",
        "query",
        "raw",
        "stream",
        "user_id",
    )

    def __init__(
        self,
        *,
        id: str,
        path: str,
        query: str,
        headers: CIMultiDictProxy[str],
        raw: bytes,
        model: str,
        stream: bool,
        body: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        user_id: str | None = None,
        credential: Credential | None = None,
    ) -> None:
        self.id = id
        self.path = path
        """``/v1/messages`` or ``/v1/messages/count_tokens``."""
        self.query = query
        self.headers = headers
        self.raw = raw
        self.model = model
        self.stream = stream
        self.max_tokens = max_tokens
        self.user_id = user_id
        """``metadata.user_id``, when it is a string (Claude Code's session key)."""
        self.credential = credential
        self._body = body

    @property
    def body(self) -> dict[str, Any]:
        """The parsed body (parsed on first use; the raw bytes were validated as a JSON
        object already).

        Raises:
            InvalidRequest: nested deeper than ``cc_relay.jsonbody.MAX_JSON_DEPTH`` (the
                partial decode only skipped over what it did not build).
        """
        if self._body is None:
            # Imported here: jsonbody raises from cc_relay.errors, which names these types.
            from cc_relay.jsonbody import load_object

            self._body = load_object(self.raw)
        return self._body


@dataclass(slots=True)
class UpstreamAnswer:
    """An upstream's complete (non-streamed) answer, forwarded as is."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(slots=True, frozen=True)
class Attempt:
    """One planned try: which provider, with which key, under which model name."""

    provider: Provider
    key: KeyConfig | None
    upstream_model: str
    lease: Lease | None = None
    """The key's reservation in its pool; None for providers without keys."""


@dataclass(slots=True)
class Usage:
    """Token counts seen in a response, for the access log."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
