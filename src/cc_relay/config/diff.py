"""What changed between two configs, in words, for the reload log and the admin views.

Secrets never appear: keys are named by fingerprint, and a changed secret field is
named, not shown.
"""

from __future__ import annotations

from pydantic import BaseModel

from cc_relay.config.provider import ProviderConfig
from cc_relay.config.schema import RelayConfig
from cc_relay.observability.redact import fingerprint

#: Settings a running relay cannot change: they shape the listening socket or the app.
RESTART_FIELDS = {
    ("server", "listen"): "server.listen",
    ("server", "max_body_bytes"): "server.max_body_bytes",
    ("server", "max_connections"): "server.max_connections",
    ("server", "timeouts"): "server.timeouts",
    ("logging", "format"): "logging.format",
    ("admin", "grpc_listen"): "admin.grpc_listen",
    ("ledger", "enabled"): "ledger.enabled",
    ("ledger", "path"): "ledger.path",
    ("ledger", "timezone"): "ledger.timezone",
}


def changed_fields(
    old: BaseModel, new: BaseModel, *, skip: frozenset[str] = frozenset()
) -> list[str]:
    """Names of the fields whose values differ, in declaration order."""
    return [
        name
        for name in type(old).model_fields
        if name not in skip and getattr(old, name) != getattr(new, name)
    ]


def diff(old: RelayConfig, new: RelayConfig) -> list[str]:
    """One line per change; a change that needs a restart says so."""
    lines: list[str] = []
    before = {p.name: p for p in old.providers}
    after = {p.name: p for p in new.providers}
    lines += [f"provider added: {name}" for name in after if name not in before]
    lines += [f"provider removed: {name}" for name in before if name not in after]
    for name in after.keys() & before.keys():
        lines += _provider(before[name], after[name])
    for section in ("routing", "logging", "server", "admin", "ledger", "state"):
        old_part: BaseModel = getattr(old, section)
        new_part: BaseModel = getattr(new, section)
        for field in changed_fields(old_part, new_part):
            # The shared-state backend is connected once, at start: every field of it.
            label = RESTART_FIELDS.get((section, field)) or (
                f"state.{field}" if section == "state" else None
            )
            if label is not None:
                lines.append(f"{label} changed: takes effect only after a restart")
            elif field == "auth":
                lines.append(f"server.auth changed: {len(new.server.auth)} relay key(s) now")
            elif (section, field) == ("admin", "keys"):
                lines.append(f"admin.keys changed: {len(new.admin.keys)} admin key(s) now")
            else:
                lines.append(f"{section}.{field} changed")
    if old.aliases != new.aliases:
        lines.append("aliases changed")
    return lines


def _provider(old: ProviderConfig, new: ProviderConfig) -> list[str]:
    lines = []
    fields = changed_fields(old, new, skip=frozenset({"keys"}))
    if fields:
        lines.append(f"provider changed: {new.name} ({', '.join(fields)})")
    old_keys = {fingerprint(k.key): k for k in old.keys}
    new_keys = {fingerprint(k.key): k for k in new.keys}
    lines += [f"key added: {new.name}/{fp}" for fp in new_keys if fp not in old_keys]
    lines += [f"key removed: {new.name}/{fp}" for fp in old_keys if fp not in new_keys]
    for fp in new_keys.keys() & old_keys.keys():
        limits = changed_fields(old_keys[fp], new_keys[fp], skip=frozenset({"key"}))
        if limits:
            lines.append(f"key changed: {new.name}/{fp} ({', '.join(limits)})")
    return lines
