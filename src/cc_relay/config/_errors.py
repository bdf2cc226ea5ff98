"""Validation problems as the user reads them: one line each, ``file: key.path: problem``.

Every hint points at something a ``pip install`` user has (``cc-relay config example``),
an unknown key suggests the closest known one at that place, and a problem with an
expanded value names the variable it came from.
"""

from __future__ import annotations

import difflib
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from cc_relay.config._env import EnvRef, KeyPath, key_path, variables_at
from cc_relay.config.schema import RelayConfig

#: Where every key is shown, for a user who has only the installed package.
EXAMPLE_HINT = "'cc-relay config example' prints every key"


def format_errors(exc: ValidationError, source: str, refs: tuple[EnvRef, ...] = ()) -> str:
    """All problems at once, one line each."""
    lines = [f"{source}: {exc.error_count()} problem(s) in config:"]
    lines += [f"  {path or '(top level)'}: {msg}" for path, msg in problems(exc, refs)]
    return "\n".join(lines)


def problems(exc: ValidationError, refs: tuple[EnvRef, ...] = ()) -> list[tuple[str, str]]:
    """Each problem as (dotted key path, message)."""
    found: list[tuple[str, str]] = []
    for err in exc.errors():
        loc: KeyPath = tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = _unknown_key(loc)
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        elif _may_echo(loc, err.get("input")):
            msg = f"{msg} (got {err['input']!r})"
        # A string written as shorthand for an object ({key: ...}) fails at its ``key``.
        for ref in variables_at(loc, refs) or variables_at(loc[:-1], refs):
            msg += (
                f" (from ${{{ref.name}}}, which is not set)"
                if ref.missing
                else (f" (from ${{{ref.name}}})")
            )
        found.append((key_path(loc), msg))
    return found


def _unknown_key(loc: KeyPath) -> str:
    known = _fields_at(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1) if known else []
    if close:
        return f"unknown key; did you mean {close[0]!r}? ({EXAMPLE_HINT})"
    return f"unknown key ({EXAMPLE_HINT})"


def _fields_at(loc: KeyPath) -> list[str]:
    """The keys the schema allows at ``loc`` (a mapping in the document), if known."""
    model: type[BaseModel] | None = RelayConfig
    in_container = False
    for part in loc:
        if in_container:  # a list index, or a key of a mapping such as model_pricing
            in_container = False
            continue
        field = model.model_fields.get(part) if model and isinstance(part, str) else None
        if field is None:
            return []
        model, in_container = _inner_model(field.annotation)
    return list(model.model_fields) if model else []


def _inner_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds, and whether it holds it inside a tuple or dict."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    origin = get_origin(annotation)
    for arg in get_args(annotation):
        model, nested = _inner_model(arg)
        if model is not None:
            return model, nested or origin not in (Union, types.UnionType)
    return None, False


def _may_echo(loc: KeyPath, value: Any) -> bool:
    """Echo a bad scalar back to the user, unless it sits where a secret lives."""
    secret = any(part in ("key", "keys", "auth") for part in loc)
    return not secret and value is not None and not isinstance(value, (dict, list))
