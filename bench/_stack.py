"""The upstream and cc-relay as child processes, for the reliability benches.

soak.py, streams.py and fuzz.py each need the same two servers that run.py starts;
this starts them the same way (bench.run's ``Proc``) and tears them down in reverse.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.run import Proc, rss_mb


@dataclass
class Stack:
    upstream: Proc
    relay: Proc

    @property
    def port(self) -> int:
        return int(self.relay.url.rsplit(":", 1)[1])

    def rss(self) -> float:
        """The relay's resident memory now, in MB."""
        return rss_mb(self.relay.pid).get("VmRSS", float("nan"))

    def peak(self) -> float:
        return rss_mb(self.relay.pid).get("VmHWM", float("nan"))


@contextmanager
def stack(*relay_args: str) -> Iterator[Stack]:
    """The upstream and a relay in front of it; logs go to a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="cc-relay-bench-") as tmp:
        logdir = Path(tmp)
        upstream = Proc("upstream", ["-m", "bench.upstream"], logdir)
        try:
            relay = Proc(
                "relay",
                ["-m", "bench.relay_server", "--upstream", upstream.url, *relay_args],
                logdir,
            )
            try:
                yield Stack(upstream, relay)
            finally:
                relay.stop()
        finally:
            upstream.stop()


def main(
    doc: str,
    options: Callable[[argparse.ArgumentParser], None],
    run: Callable[[Stack, argparse.Namespace], dict[str, object]],
) -> int:
    """Parse the bench's options, run it against a fresh stack, print its JSON result;
    exit status 0 when the result says ``pass``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    options(parser)
    parser.add_argument("--json", action="store_true", help="one line of JSON")
    args = parser.parse_args()
    with stack() as served:
        result = run(served, args)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0 if result["pass"] else 1
