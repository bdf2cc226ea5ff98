"""The Anthropic-facing HTTP surface: parse, authenticate, write bytes; nothing else.

- :mod:`~cc_relay.api.app`: the aiohttp application and its routes.
- :mod:`~cc_relay.api.middleware`: the Runtime per request, authentication of every
  route but the public ones, request ids, and Anthropic errors for every failure.
- :mod:`~cc_relay.api.auth`: relay keys, and which client credential may pass through.
- :mod:`~cc_relay.api.parse`: from bytes to a ``RelayRequest`` with one partial decode.
- :mod:`~cc_relay.api.messages`: ``/v1/messages`` and ``count_tokens``, on ``dispatch``.
- :mod:`~cc_relay.api.relay`: writing an answer, whole or event by event.
- :mod:`~cc_relay.api.waiting`: pings for a streaming client kept waiting.
- :mod:`~cc_relay.api.models`, :mod:`~cc_relay.api.info`, :mod:`~cc_relay.api.explain`,
  :mod:`~cc_relay.api.reload`: inventory, the read model, explain, reload.
- :mod:`~cc_relay.api.errors`, :mod:`~cc_relay.api.keys`: error responses, typed keys.
"""

from cc_relay.api.app import create_app

__all__ = ["create_app"]
