"""The Claude Code skill shipped with the package (``cc-relay-models``), installed by
``cc-relay config cc init``."""
