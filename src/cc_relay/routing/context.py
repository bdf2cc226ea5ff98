"""What a strategy may know about the request it orders candidates for."""

from __future__ import annotations

from dataclasses import dataclass

#: Output tokens assumed when pricing a request: Claude Code asks for max_tokens of
#: 32k-64k but most answers are far shorter.
EXPECTED_OUTPUT_CAP = 4096


@dataclass(frozen=True, slots=True)
class RouteContext:
    model: str
    """The model id after aliases and prefixes."""
    input_tokens: int = 0
    """Estimated input tokens (the local estimate)."""
    max_tokens: int = 0
    session: str | None = None
    """Claude Code's session id, or metadata.user_id: the key for session affinity."""

    @property
    def expected_output_tokens(self) -> int:
        return min(self.max_tokens, EXPECTED_OUTPUT_CAP) if self.max_tokens else 0
