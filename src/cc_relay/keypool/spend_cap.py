"""Telling a spend or credit cap apart from an ordinary rate limit.

Both can come back as 429, but a per-minute limit clears within a minute while a spend
cap, an empty credit balance or a used-up quota lasts until someone pays or the period
rolls over. Retrying such a key every 30 seconds only burns requests, so the pool cools it
down far longer. Upstreams do not mark the difference with a header, only with words in
the message; the phrases below are the ones providers use (Anthropic: "credit balance",
"usage limits"; OpenAI: ``insufficient_quota``, "exceeded your current quota"). A bare
"quota" is left out on purpose: Vertex AI says "Quota exceeded" for per-minute limits.
"""

from __future__ import annotations

import re

__all__ = ["is_spend_cap"]

_SPEND_CAP = re.compile(
    r"spend(?:ing)?[ _-]?(?:limit|cap)|credit[ _-]?balance|insufficient[ _-]?(?:credit|quota|funds)"
    r"|exceeded your current quota|usage[ _-]?limit|billing|out of credits|payment required",
    re.IGNORECASE,
)


def is_spend_cap(message: str) -> bool:
    """Whether an upstream error message speaks of money or quota rather than pace."""
    return _SPEND_CAP.search(message) is not None
