"""The Anthropic-facing HTTP surface."""

from cc_relay.api.app import create_app

__all__ = ["create_app"]
