"""Hot reload under load: req/s at c=32 with a reload every 0.5 s, against none.

Rounds alternate (quiet, reloading, quiet, ...) so drift hits both alike. Each reload
rewrites the config file with another alias and asks the relay to reload, so every one
builds and swaps a new Runtime. The claim to check: 0 errors, and no drop in req/s
beyond the run-to-run noise.

    .venv/bin/python -m bench.reload [--rounds 3] [--duration 4] [--body cc|small]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench._common import pin
from bench.relay_server import config_document
from bench.run import LOADGEN_CPU, PROXY_CPU, UPSTREAM_CPU, LoadGen, Proc

#: Seconds between two reloads while a reloading round runs.
RELOAD_EVERY = 0.5


class Reloading:
    """Rewrites the relay's config and reloads it every ``RELOAD_EVERY`` seconds."""

    def __init__(self, relay_url: str, path: Path, upstream: str) -> None:
        self._url, self._path, self._upstream = relay_url, path, upstream
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.reloads = 0
        self.failures: list[str] = []

    def __enter__(self) -> Reloading:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(RELOAD_EVERY):
            alias = f"alias-{self.reloads}"
            document = config_document(self._upstream, "warning", alias)
            self._path.write_text(json.dumps(document))
            request = urllib.request.Request(
                f"{self._url}/v1/relay/reload",
                data=b"{}",
                headers={"content-type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    result = json.loads(answer.read())
            except OSError as exc:  # counted, so a refused reload can never pass unseen
                self.failures.append(repr(exc))
                continue
            if result["ok"] and result["changes"]:
                self.reloads += 1
            else:
                self.failures.append(str(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--body", default="cc", choices=("cc", "small"))
    args = parser.parse_args()
    pin(LOADGEN_CPU)
    logdir = Path(tempfile.mkdtemp(prefix="cc-relay-reload-"))
    config = logdir / "relay.json"
    upstream = Proc("upstream", ["-m", "bench.upstream", "--cpu", str(UPSTREAM_CPU)], logdir)
    relay = Proc(
        "relay",
        ["-m", "bench.relay_server", "--upstream", upstream.url, "--cpu", str(PROXY_CPU),
         "--config-file", str(config)],
        logdir,
    )  # fmt: skip
    gen = LoadGen(logdir, LOADGEN_CPU)
    results: dict[str, list[float]] = {"quiet": [], "reloading": []}
    errors = {"quiet": 0, "reloading": 0}
    reloads, failures = 0, []
    try:
        for _ in range(args.rounds):
            for kind in ("quiet", "reloading"):
                started = time.perf_counter()
                call = {
                    "url": relay.url,
                    "body": args.body,
                    "concurrency": 32,
                    "duration": args.duration,
                    "warmup": 1.0,
                    "pids": {"relay": relay.pid},
                }
                if kind == "reloading":
                    with Reloading(relay.url, config, upstream.url) as reloader:
                        out = gen.call("throughput", **call)
                    reloads += reloader.reloads
                    failures += reloader.failures
                else:
                    out = gen.call("throughput", **call)
                results[kind].append(out["count"] / out["elapsed"])
                errors[kind] += out["errors"]
                print(f"{kind:9} {results[kind][-1]:8.0f} req/s, {out['errors']} errors "
                      f"({time.perf_counter() - started:.1f} s)", flush=True)  # fmt: skip
    finally:
        gen.stop()
        relay.stop()
        upstream.stop()
    quiet, busy = statistics.median(results["quiet"]), statistics.median(results["reloading"])
    print(f"\nbody {args.body}, c=32, {args.rounds} rounds of {args.duration:g} s each")
    print(f"median req/s without reloads: {quiet:.0f}; with a reload every 0.5 s: {busy:.0f} "
          f"({(busy / quiet - 1) * 100:+.1f}%)")  # fmt: skip
    print(f"errors: {errors['quiet']} quiet, {errors['reloading']} reloading; "
          f"reloads done: {reloads}, reloads failed: {len(failures)}")  # fmt: skip
    for failure in failures[:3]:
        print(f"  failed reload: {failure}")


if __name__ == "__main__":
    main()
