"""Keeping secrets out of logs: redaction and short fingerprints.

A secret is shown, at most, as ``[redacted:1a2b3c4d]``: the first 8 hex digits of its
SHA-256, enough to tell two keys apart in a log and useless to an attacker.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cc_relay.config import RelayConfig

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
        self._secrets: list[str] = []
        self.remember(secrets)

    def remember(self, secrets: Iterable[str]) -> None:
        """Also mask these (the secrets of a reloaded config); old ones stay masked."""
        known = {*self._secrets, *(s for s in secrets if len(s) >= 4)}
        # Longest first, so a key that contains another is masked whole.
        self._secrets = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, _mask(secret))
        return _PATTERNS.sub(self._replace, text)

    @staticmethod
    def _replace(match: re.Match[str]) -> str:
        prefix = match["bearer"] or match["field"] or ""
        return prefix + _mask(match[0][len(prefix) :])


def config_secrets(config: RelayConfig) -> list[str]:
    """Every secret a config holds: relay and admin keys, provider keys, cloud credentials."""
    cloud = [
        s
        for p in config.providers
        for s in (p.aws_secret_access_key, p.aws_session_token, p.aws_access_key_id)
        if s
    ]
    return [
        *config.server.auth_keys,
        *config.admin.keys,
        *(k.key for p in config.providers for k in p.keys),
        *cloud,
    ]
