"""``${VAR}`` and ``${VAR:-default}`` in config values, and what an unset one does.

Expansion happens inside string values after parsing, so an environment value can never
change the document's structure. Every reference is recorded with the key path it sits
at: a ``${VAR}`` that is unset (or empty) is easy to miss when it quietly becomes "",
so the loader turns each into a warning that says what it did (a key left out, a provider
passing client credentials through), and an error about an expanded value names its
variable. ``${VAR:-}`` says "empty on purpose" and is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cc_relay.config.schema import RelayConfig

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

#: A position in the parsed document: mapping keys and list indexes.
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class EnvRef:
    """One ``${VAR}`` in the document."""

    path: KeyPath
    name: str
    missing: bool
    """Unset or empty, with no ``:-`` default: the reference became ""."""


def expand_env(value: Any, env: Mapping[str, str]) -> tuple[Any, tuple[EnvRef, ...]]:
    """The document with every ``${VAR}`` replaced, and where each one was."""
    refs: list[EnvRef] = []
    return _expand(value, env, (), refs), tuple(refs)


def _expand(value: Any, env: Mapping[str, str], path: KeyPath, refs: list[EnvRef]) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match[1], match[2]
            refs.append(EnvRef(path, name, missing=not env.get(name) and default is None))
            return env.get(name) or (default or "")

        return _ENV_REF.sub(replace, value)
    if isinstance(value, list):
        return [_expand(item, env, (*path, i), refs) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: _expand(item, env, (*path, key), refs) for key, item in value.items()}
    return value


def key_path(loc: KeyPath) -> str:
    """``providers[0].keys[1]``: a location as the config file's reader sees it."""
    parts: list[str] = []
    for item in loc:
        parts.append(f"[{item}]" if isinstance(item, int) else f".{item}" if parts else item)
    return "".join(parts)


def variables_at(loc: KeyPath, refs: tuple[EnvRef, ...]) -> list[EnvRef]:
    """The references an error at ``loc`` may come from: those at ``loc`` itself, and
    missing ones just below it (an empty list entry, a provider without its project)."""
    return [
        ref
        for ref in refs
        if ref.path == loc
        or (ref.missing and len(ref.path) == len(loc) + 1 and ref.path[: len(loc)] == loc)
    ]


def unset_warnings(
    config: RelayConfig, refs: tuple[EnvRef, ...], expanded: Any, *, source: str
) -> tuple[str, ...]:
    """One line per unset ``${VAR}``: where it is and what it did to the config."""
    warnings = []
    for ref in refs:
        if not ref.missing:
            continue
        where = f"{source}: {key_path(ref.path)}: {ref.name} is not set"
        warnings.append(f"{where}, {_consequence(config, ref, expanded)}")
    return tuple(warnings)


def _consequence(config: RelayConfig, ref: EnvRef, expanded: Any) -> str:
    path = ref.path
    if len(path) >= 4 and path[0] == "providers" and path[2] == "keys":
        provider = config.providers[int(path[1])]
        if _at(expanded, path) == "":
            if provider.keys:
                return f"so this key is left out ({len(provider.keys)} other key(s) remain)"
            if provider.type == "anthropic":
                return (
                    f"so provider {provider.name!r} has no key and passes client "
                    "credentials through"
                )
            return f"so provider {provider.name!r} has no key"
    return f"so it expands to nothing (write ${{{ref.name}:-}} to mean that on purpose)"


def _at(document: Any, path: KeyPath) -> Any:
    for part in path:
        document = document[part]
    return document
