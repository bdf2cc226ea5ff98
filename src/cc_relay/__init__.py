"""cc-relay: one Anthropic Messages API endpoint in front of many providers."""

__version__ = "0.1.0"

__all__ = ["__version__"]
