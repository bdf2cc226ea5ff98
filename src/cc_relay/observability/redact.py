"""Keeping secrets out of logs: redaction and short fingerprints.

A secret is shown, at most, as ``[redacted:1a2b3c4d]``: the first 8 hex digits of its
SHA-256, enough to tell two keys apart in a log and useless to an attacker.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

#: Credential shapes worth catching even when the relay was not told about them.
_PATTERNS = re.compile(
    r"(?<![A-Za-z0-9])(?P<key>sk-[A-Za-z0-9][A-Za-z0-9_-]{15,})"
    # A token has a digit somewhere; that spares prose such as "bearer authentication".
    r"|(?i:(?P<bearer>bearer\s+))(?=[A-Za-z0-9._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{8,}"
    # Field values inside JSON, also when that JSON sits escaped inside a JSON log line.
    r'|(?P<field>\\?"(?:x-api-key|api-key|authorization|api_key|key|token)\\?"\s*:\s*\\?")'
    r'(?!\[redacted:)[^"\\]+'
)


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:8]


def _mask(secret: str) -> str:
    return f"[redacted:{fingerprint(secret)}]"


class Redactor:
    """Replaces known secrets and anything shaped like a credential."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a key that contains another is masked whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _mask(secret))
        return _PATTERNS.sub(self._replace, text)

    @staticmethod
    def _replace(match: re.Match[str]) -> str:
        prefix = match["bearer"] or match["field"] or ""
        return prefix + _mask(match[0][len(prefix) :])
