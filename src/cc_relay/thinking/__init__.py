"""Thinking blocks across providers: who signed what, and keeping histories valid."""

from cc_relay.thinking.guard import guard_thinking, may_hold_thinking
from cc_relay.thinking.ledger import SignatureLedger

__all__ = ["SignatureLedger", "guard_thinking", "may_hold_thinking"]
