"""What an emulator does with one request: the scripts tests put in its queues.

    Behaviour
    ├── Reply   a model answer, JSON or SSE depending on the request's "stream"
    ├── Fail    an HTTP error in the provider's error envelope
    ├── Drop    close the connection without any response
    └── Raw     arbitrary bytes, for malformed or unusual upstream output

Every option is checked when the object is built, so a typo fails the test at the line that
wrote it rather than as a confusing wire symptom later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

from tests.emulators._blocks import Block, TextBlock, ThinkingBlock, ToolUseBlock

__all__ = ["DEFAULT_ERROR_TYPES", "Behaviour", "Drop", "Fail", "Headers", "Raw", "Reply"]

Headers: TypeAlias = Mapping[str, "str | None"]
"""Extra response headers; a `None` value removes a default header."""

DEFAULT_ERROR_TYPES: Mapping[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request"),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "Not found"),
    408: ("timeout_error", "Request timed out"),
    409: ("conflict_error", "Conflict"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}
"""Anthropic's error type and a typical message per status, used when a `Fail` omits them."""


def _check_delay(name: str, value: float) -> None:
    if value < 0:
        raise ValueError(f"emulators: {name} must be >= 0, got {value!r}")


def _check_after(name: str, value: int | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"emulators: {name} must be >= 0 events, got {value!r}")


@dataclass(frozen=True, slots=True, init=False)
class Reply:
    """A successful model answer.

    Event counts (`cut_after_events`, `stall_after_events`, `error_after_events`) count every
    SSE event written, `ping` included; 0 means right after the headers. When several fire at
    the same count the order is stall, then error, then cut. For a non-streamed answer any
    `cut_after_events` sends the headers and half of the body, then aborts.
    """

    blocks: tuple[Block, ...]
    stop_reason: str | None
    stop_sequence: str | None
    model: str | None
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    cache_creation_input_tokens: int
    headers: Headers | None
    stall_before_headers: float
    drip: float
    cut_after_events: int | None
    stall_after_events: tuple[int, float] | None
    error_after_events: tuple[int, str, str] | None
    gzip: bool

    def __init__(
        self,
        *blocks: Block,
        stop_reason: str | None = "end_turn",
        stop_sequence: str | None = None,
        model: str | None = None,
        input_tokens: int = 12,
        output_tokens: int | None = None,
        cache_read_input_tokens: int = 0,
        cache_creation_input_tokens: int = 0,
        headers: Headers | None = None,
        stall_before_headers: float = 0.0,
        drip: float = 0.0,
        cut_after_events: int | None = None,
        stall_after_events: tuple[int, float] | None = None,
        error_after_events: tuple[int, str, str] | None = None,
        gzip: bool = False,
    ) -> None:
        _check_delay("stall_before_headers", stall_before_headers)
        _check_delay("drip", drip)
        _check_after("cut_after_events", cut_after_events)
        if stall_after_events is not None:
            _check_after("stall_after_events", stall_after_events[0])
            _check_delay("stall_after_events", stall_after_events[1])
        if error_after_events is not None:
            _check_after("error_after_events", error_after_events[0])
        if output_tokens is None:
            output_tokens = _estimate_output_tokens(blocks)
        values = dict(locals())
        for name in self.__dataclass_fields__:
            object.__setattr__(self, name, values[name])


def _estimate_output_tokens(blocks: tuple[Block, ...]) -> int:
    """A deterministic stand-in for a tokenizer: about four characters a token."""
    total = 0
    for block in blocks:
        if isinstance(block, TextBlock):
            total += len(block.text)
        elif isinstance(block, ThinkingBlock):
            total += len(block.thinking)
        elif isinstance(block, ToolUseBlock):
            total += len(block.name) + len(str(block.input))
    return max(1, total // 4)


@dataclass(frozen=True, slots=True)
class Fail:
    """An HTTP error answered before any body; `body` replaces the envelope verbatim."""

    status: int
    error_type: str | None = None
    message: str | None = None
    headers: Headers | None = None
    retry_after: float | str | None = None
    body: bytes | None = None
    stall_before_headers: float = 0.0

    def __post_init__(self) -> None:
        if not 400 <= self.status <= 599:
            raise ValueError(f"emulators: Fail status must be 4xx/5xx, got {self.status}")
        _check_delay("stall_before_headers", self.stall_before_headers)
        default_type, default_message = DEFAULT_ERROR_TYPES.get(
            self.status, ("api_error", "Internal server error")
        )
        if self.error_type is None:
            object.__setattr__(self, "error_type", default_type)
        if self.message is None:
            object.__setattr__(self, "message", default_message)

    @staticmethod
    def disconnect(delay: float = 0.0) -> Drop:
        """Close the connection without answering, after `delay` seconds."""
        return Drop(delay)


@dataclass(frozen=True, slots=True)
class Drop:
    """Abort the TCP connection without sending a status line."""

    delay: float = 0.0

    def __post_init__(self) -> None:
        _check_delay("delay", self.delay)


@dataclass(frozen=True, slots=True, init=False)
class Raw:
    """Send `chunks` verbatim, one write each, as the body of a `status` response.

    The dialect's usual headers (request-id, rate limits) are added; `content_type` and
    `headers` adjust them. `cut=True` aborts the connection after the last chunk instead of
    ending the body cleanly.
    """

    chunks: tuple[bytes, ...]
    status: int
    content_type: str
    headers: Headers | None
    drip: float
    cut: bool

    def __init__(
        self,
        *chunks: bytes,
        status: int = 200,
        content_type: str = "text/event-stream; charset=utf-8",
        headers: Headers | None = None,
        drip: float = 0.0,
        cut: bool = False,
    ) -> None:
        _check_delay("drip", drip)
        values = dict(locals())
        for name in self.__dataclass_fields__:
            object.__setattr__(self, name, values[name])


Behaviour: TypeAlias = Reply | Fail | Drop | Raw
