"""``python -m cc_relay``."""

from cc_relay.cli import main

main()
