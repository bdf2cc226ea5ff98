"""Logging: setup and redaction, and the log as an event-stream subscriber.

- :mod:`~cc_relay.observability.logs`: named loggers, JSON or console lines, written
  off the event loop.
- :mod:`~cc_relay.observability.redact`: secrets out of every line; fingerprints.
- :mod:`~cc_relay.observability.access`: the subscriber that writes access lines,
  failed attempts, circuit changes and reloads.
"""

from cc_relay.observability.access import log_events
from cc_relay.observability.logs import LogSetup
from cc_relay.observability.redact import Redactor, fingerprint

__all__ = ["LogSetup", "Redactor", "fingerprint", "log_events"]
