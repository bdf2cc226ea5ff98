"""The log as an event-stream subscriber: one access line per request, and the changes
an operator must hear about once, with their cause.

- ``cc_relay.access``: one line per settled request. Its message is only the method and
  path; status, latency and the rest are fields, so nothing is said twice. Attempts that
  failed before the one that answered are a field of their own (``retried``): ``error``
  is set only when the request failed.
- ``cc_relay.health``: a circuit that opens is a warning with its cause, once; while it
  stays down the half-open trials that fail again are debug lines; recovery is info.
- ``cc_relay.keypool``, ``cc_relay.runtime``: a key put to rest, a config reload.

Failed attempts are warnings of ``cc_relay.api``. Everything here runs on the
subscriber's task, never on a request's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cc_relay.events import (
    AttemptFinished,
    CircuitChanged,
    ConfigReloaded,
    Event,
    KeyCooledDown,
    RequestSettled,
)

access_log = logging.getLogger("cc_relay.access")
attempt_log = logging.getLogger("cc_relay.api")
health_log = logging.getLogger("cc_relay.health")
key_log = logging.getLogger("cc_relay.keypool")
reload_log = logging.getLogger("cc_relay.runtime")


def log_events(batch: Sequence[Event]) -> None:
    for event in batch:
        if isinstance(event, RequestSettled):
            _access(event)
        elif isinstance(event, AttemptFinished):
            if event.error is not None and event.error not in ("cancelled", "bug"):
                attempt_log.warning(
                    "attempt on provider %r failed: %s",
                    event.provider,
                    event.detail or event.error,
                    extra={"request_id": event.request_id, "key": event.key},
                )
        elif isinstance(event, CircuitChanged):
            _circuit(event)
        elif isinstance(event, KeyCooledDown):
            key_log.info(
                "key %s of provider %r rests %.0fs (%s)",
                event.key,
                event.provider,
                event.seconds,
                event.reason,
                extra={"provider": event.provider, "key": event.key},
            )
        elif isinstance(event, ConfigReloaded):
            _reload(event)


def _access(event: RequestSettled) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    ms = event.latency * 1000
    usage = event.usage
    access_log.info(
        "%s %s",
        event.method,
        event.path,
        extra={
            "request_id": event.request_id,
            "status": event.status,
            "model": event.client_model,
            "provider": event.provider,
            "key": event.key,
            "upstream_model": (
                event.upstream_model if event.upstream_model != event.client_model else None
            ),
            "stream": event.stream,
            "attempts": event.attempts or None,
            "latency_ms": round(ms, 2),
            "ttfb_ms": round(event.ttfb * 1000, 2) if event.ttfb is not None else None,
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "retried": list(event.retried) or None,
            "error": event.error,
        },
    )


def _circuit(event: CircuitChanged) -> None:
    fields = {"provider": event.provider, "from": event.old, "to": event.new}
    cause = f" ({event.cause})" if event.cause else ""
    if event.new == "open" and event.old == "closed":
        health_log.warning(
            "provider %r is failing%s: circuit opened, requests go elsewhere",
            event.provider,
            cause,
            extra=fields,
        )
    elif event.new == "open":
        health_log.debug("provider %r still failing%s", event.provider, cause, extra=fields)
    elif event.new == "closed":
        health_log.info("provider %r is healthy again", event.provider, extra=fields)
    else:
        health_log.debug("provider %r recovering: trying a request", event.provider, extra=fields)


def _reload(event: ConfigReloaded) -> None:
    if not event.ok:
        reload_log.error(
            "config reload failed, the running config keeps serving: %s",
            event.error,
            extra={"generation": event.generation},
        )
        return
    changes = "; ".join(event.changes) or "no changes"
    reload_log.info(
        "config reloaded (generation %d): %s",
        event.generation,
        changes,
        extra={"generation": event.generation},
    )
