"""Routing: which providers may serve a request, and in which order to try them."""

from cc_relay.errors import UnknownModel
from cc_relay.routing.router import Router

__all__ = ["Router", "UnknownModel"]
