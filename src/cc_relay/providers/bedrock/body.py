"""An Anthropic request body, rewritten for Bedrock's ``InvokeModel`` and ``CountTokens``.

Bedrock takes the Messages API body with three differences: the model is in the URL
(``model`` must go), streaming is chosen by the URL (``stream`` must go), and the API
version and betas travel in the body (``anthropic_version: "bedrock-2023-05-31"``,
``anthropic_beta: [...]``) since Bedrock ignores Anthropic's headers. Everything else
passes through untouched.

Bedrock refuses betas it does not know ("invalid beta flag"), and Claude Code sends
several that only api.anthropic.com understands (``claude-code-20250219``,
``oauth-2025-04-20``...), so betas are allow-listed here, unlike for Anthropic-native
upstreams. `SUPPORTED_BETAS` is compiled from AWS's Claude parameter pages
(extended/interleaved thinking, computer use, token-efficient tools, 128k output) and
the per-provider beta table LiteLLM maintains for Bedrock's InvokeModel
(BerriAI/litellm ``litellm/anthropic_beta_headers_config.json``, key ``bedrock``). Claude
Code's own Bedrock client sends tool search as ``tool-search-tool-2025-10-19`` where the
first-party API says ``advanced-tool-use-2025-11-20``: `RENAMED_BETAS` does the same.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any, Final

import orjson

__all__ = [
    "BEDROCK_ANTHROPIC_VERSION",
    "RENAMED_BETAS",
    "SUPPORTED_BETAS",
    "count_tokens_body",
    "filter_betas",
    "header_betas",
    "invoke_body",
]

BEDROCK_ANTHROPIC_VERSION: Final = "bedrock-2023-05-31"

SUPPORTED_BETAS: Final = frozenset(
    {
        "compact-2026-01-12",
        "computer-use-2024-10-22",
        "computer-use-2025-01-24",
        "computer-use-2025-11-24",
        "context-1m-2025-08-07",
        "context-management-2025-06-27",
        "dangerous-tool-use-2026-09-03",
        "effort-2025-11-24",
        "fine-grained-tool-streaming-2025-05-14",
        "interleaved-thinking-2025-05-14",
        "mid-conversation-output-config-2026-07-01",
        "mid-conversation-tool-changes-2026-07-01",
        "output-128k-2025-02-19",
        "thinking-binding-controls-2026-08-01",
        "thinking-display-updates-2026-08-18",
        "token-efficient-tools-2025-02-19",
        "tool-search-tool-2025-10-19",
    }
)

RENAMED_BETAS: Final[dict[str, str]] = {
    "advanced-tool-use-2025-11-20": "tool-search-tool-2025-10-19",
}

#: Fields Bedrock takes from the URL instead, and refuses in the body.
_URL_FIELDS: Final = ("model", "stream")


def header_betas(values: Iterable[str]) -> list[str]:
    """Every beta named by ``anthropic-beta`` headers (each a comma list)."""
    return [beta.strip() for value in values for beta in value.split(",") if beta.strip()]


def filter_betas(betas: Iterable[str]) -> tuple[list[str], list[str]]:
    """(betas Bedrock accepts, renamed and without repeats; betas it would refuse)."""
    kept: dict[str, None] = {}
    dropped: dict[str, None] = {}
    for beta in betas:
        beta = RENAMED_BETAS.get(beta, beta)
        (kept if beta in SUPPORTED_BETAS else dropped)[beta] = None
    return list(kept), list(dropped)


def invoke_body(body: dict[str, Any], betas: list[str]) -> dict[str, Any]:
    """The InvokeModel body for an Anthropic Messages body and the accepted betas."""
    out = {key: value for key, value in body.items() if key not in _URL_FIELDS}
    out["anthropic_version"] = BEDROCK_ANTHROPIC_VERSION
    if betas:
        out["anthropic_beta"] = betas
    else:
        out.pop("anthropic_beta", None)
    return out


def count_tokens_body(invoke: dict[str, Any]) -> bytes:
    """The CountTokens request wrapping an InvokeModel body.

    The API takes ``{"input": {"invokeModel": {"body": <base64 of the body>}}}`` (the
    ``body`` member is a blob, which rest-json encodes as base64) and the wrapped body must
    be a valid InvokeModel body, so the ``max_tokens`` that count_tokens requests lack is
    supplied: enough to hold a thinking budget, otherwise 1.
    """
    if "max_tokens" not in invoke:
        invoke = {**invoke, "max_tokens": _max_tokens_for(invoke)}
    encoded = base64.b64encode(orjson.dumps(invoke)).decode("ascii")
    return orjson.dumps({"input": {"invokeModel": {"body": encoded}}})


def _max_tokens_for(body: dict[str, Any]) -> int:
    thinking = body.get("thinking")
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    if isinstance(budget, int) and not isinstance(budget, bool) and budget > 0:
        return budget + 1
    return 1
