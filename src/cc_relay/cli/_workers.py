"""``serve --workers N``: N relay processes on one port, sharing state through Redis.

The parent binds nothing: it starts N children (``serve --worker I``), each binding the
same address with SO_REUSEPORT so the kernel spreads connections over them, forwards
SIGINT, SIGTERM and SIGHUP to them, and exits when they all have. If one dies on its own
the others are stopped: a fleet short of a worker should be restarted by the supervisor,
not limp on. Only worker 0 runs the admin gRPC listener (one port, one listener).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cc_relay.config import RelayConfig

__all__ = ["refusal", "run_workers"]

#: Seconds the children get to drain after the parent was told to stop, beyond their
#: own shutdown grace.
STOP_SLACK = 5.0
_POLL = 0.2


def refusal(cfg: RelayConfig, workers: int) -> str | None:
    """Why ``--workers`` cannot be used with this config, or None."""
    if workers <= 1:
        return None
    if cfg.state.backend == "memory":
        return (
            f"--workers {workers} needs state.backend: redis. With the memory backend each "
            "worker keeps its own key buckets and circuits, so the workers together would "
            f"send up to {workers} times each key's rate limit and keep using a provider "
            "another worker found dead. Configure state: {backend: redis, url: ...} or run "
            "one worker."
        )
    if cfg.server.address.port == 0:
        return "--workers needs a fixed port (server.listen or --listen), not port 0"
    return None


def run_workers(commands: Sequence[Sequence[str]]) -> int:
    """Run one child per command until all exit; the exit status for the parent."""
    children = [subprocess.Popen(list(c), stdin=subprocess.DEVNULL) for c in commands]
    stopping: list[signal.Signals] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        sig = signal.Signals(signum)
        if sig is not signal.SIGHUP:
            stopping.append(sig)
        for child in children:
            if child.poll() is None:
                child.send_signal(sig)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    status = 0
    while any(child.poll() is None for child in children):
        died = [c for c in children if c.returncode not in (None, 0)]
        if died and not stopping:
            print(
                f"cc-relay: worker pid {died[0].pid} exited with {died[0].returncode}; "
                "stopping the others",
                file=sys.stderr,
            )
            status = died[0].returncode or 1
            forward(signal.SIGTERM, None)
        time.sleep(_POLL)
    codes = [c.returncode for c in children]
    if not status:
        status = next((code for code in codes if code), 0)
    return status
