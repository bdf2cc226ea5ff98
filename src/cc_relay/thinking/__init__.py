"""Thinking blocks across providers: who signed what, and keeping histories valid.

- :mod:`~cc_relay.thinking.ledger`: signature hash -> issuing family, bounded, expiring.
- :mod:`~cc_relay.thinking.guard`: dropping foreign thinking blocks from a history.
"""

from cc_relay.thinking.guard import guard_thinking, may_hold_thinking
from cc_relay.thinking.ledger import SignatureLedger

__all__ = ["SignatureLedger", "guard_thinking", "may_hold_thinking"]
