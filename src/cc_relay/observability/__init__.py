"""Logging, redaction and the access log."""

from cc_relay.observability.access import Exchange
from cc_relay.observability.logs import LogSetup
from cc_relay.observability.redact import Redactor, fingerprint

__all__ = ["Exchange", "LogSetup", "Redactor", "fingerprint"]
