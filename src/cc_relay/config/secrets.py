"""Secrets in a config document: shown as fingerprints, put back when unchanged.

``GetConfig`` hands out the running config with every secret (relay keys, admin keys,
provider keys, AWS credentials) replaced by ``[redacted:<fingerprint>]``, the same mark
the log redactor uses. An edited document sent back to ``ApplyConfig`` may keep those
marks: each is replaced by what the config file had at that place, a ``${VAR}``
reference included, so applying an edit never writes a secret that the file held only
as a variable; a secret the file does not hold comes from the running config.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from cc_relay.config._env import expand_env
from cc_relay.config.schema import RelayConfig
from cc_relay.errors import ConfigError
from cc_relay.observability.redact import config_secrets, fingerprint

#: Fields of a provider entry that hold a credential.
PROVIDER_SECRETS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_MARK = re.compile(r"""(["']?)\[redacted:([0-9a-f]{8})\]\1""")


def mark(secret: str) -> str:
    return f"[redacted:{fingerprint(secret)}]"


def masked_yaml(config: RelayConfig) -> str:
    """The config as YAML (defaults left out), every secret a fingerprint mark."""
    document = config.model_dump(mode="json", exclude_defaults=True)
    for holder, field in _secret_slots(document):
        value = holder[field]
        if isinstance(value, str) and value:
            holder[field] = mark(value)
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def restore(
    text: str, *, running: RelayConfig, file_text: str | None, env: Mapping[str, str]
) -> str:
    """``text`` with every fingerprint mark replaced by the secret it stands for, quoted
    for YAML; raises ConfigError naming a mark that matches no known secret."""
    known = {fingerprint(s): s for s in config_secrets(running)}
    known.update(_file_secrets(file_text, env))
    unknown: list[str] = []

    def put_back(match: re.Match[str]) -> str:
        secret = known.get(match[2])
        if secret is None:
            unknown.append(match[2])
            return match[0]
        return json.dumps(secret)

    restored = _MARK.sub(put_back, text)
    if unknown:
        raise ConfigError(
            f"config: {', '.join(sorted(set(unknown)))}: a [redacted:...] mark that matches "
            "no secret of the running config; write the secret itself",
            problems=[("", f"unknown secret fingerprint {fp}") for fp in sorted(set(unknown))],
        )
    return restored


def _file_secrets(file_text: str | None, env: Mapping[str, str]) -> dict[str, str]:
    """Fingerprint of each secret's value -> the text the file has there (``${VAR}``)."""
    if not file_text:
        return {}
    try:
        document = yaml.safe_load(file_text)
    except yaml.YAMLError:
        return {}
    if not isinstance(document, dict):
        return {}
    found: dict[str, str] = {}
    for holder, field in _secret_slots(document):
        raw = holder[field]
        if isinstance(raw, str) and raw:
            value, _ = expand_env(raw, env)
            if isinstance(value, str) and value:
                found[fingerprint(value)] = raw
    return found


def _secret_slots(document: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(container, index or key) of every place a secret sits in a config document."""
    for section, field in (("server", "auth"), ("admin", "keys")):
        part = document.get(section)
        yield from _key_list(part.get(field) if isinstance(part, dict) else None)
    providers = document.get("providers")
    for entry in providers if isinstance(providers, list) else ():
        if not isinstance(entry, dict):
            continue
        yield from ((entry, f) for f in PROVIDER_SECRETS if f in entry)
        yield from _key_list(entry.get("keys"))


def _key_list(keys: object) -> Iterator[tuple[Any, Any]]:
    """A list of keys, each a plain string or an object with a ``key`` (and limits,
    a name, a budget)."""
    for i, key in enumerate(keys if isinstance(keys, list) else ()):
        if isinstance(key, dict) and "key" in key:
            yield key, "key"
        elif isinstance(key, str):
            yield keys, i
