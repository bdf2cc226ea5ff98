"""cc-relay as the benchmark runs it: one ``anthropic`` provider, one key, under uvloop.

Served the way ``cc-relay serve`` serves (``RelayServer`` + ``serve_forever`` under
uvloop, logging through ``LogSetup``), with the config built in code instead of read
from a file. At ``warning`` (the default here) the access log is off, so it does not
dominate; ``--log-level info`` measures the relay with its access line on.

    python -m bench.relay_server --upstream http://127.0.0.1:PORT [--cpu N]
           [--log-level warning] [--gc-stats] [--gc-freeze] [--gc-threshold N]
           [--cprofile OUT.prof] [--config-file PATH]

With ``--config-file`` the config is written to PATH (aliases taken from
``CC_RELAY_BENCH_ALIAS``) and served from there, so ``POST /v1/relay/reload`` re-reads
it: ``bench/reload.py`` rewrites it and reloads under load.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import sys
import time
from typing import Any

from bench._common import HOST, announce, pin

PROVIDER_KEY = "sk-ant-api03-bench-provider-key-0000000000000000000000000000"


def config_document(
    upstream: str,
    log_level: str,
    alias: str = "",
    *,
    metrics: bool = True,
    state_url: str = "",
    rpm_limit: int | None = None,
) -> dict[str, Any]:
    """The benchmark's config; a different ``alias`` makes a reload that swaps Runtimes.
    ``state_url`` shares state through that Redis; ``rpm_limit`` limits the key."""
    key: Any = PROVIDER_KEY if rpm_limit is None else {"key": PROVIDER_KEY, "rpm_limit": rpm_limit}
    state = (
        {"state": {"backend": "redis", "url": state_url, "prefix": "bench"}} if state_url else {}
    )
    return {
        **state,
        "server": {"listen": f"{HOST}:0", "watch_config": False},
        "admin": {"grpc_listen": f"{HOST}:0", "metrics": metrics},
        "logging": {"level": log_level},
        "aliases": {alias: "claude-opus-4-8"} if alias else {},
        "providers": [
            {
                "name": "anthropic",
                "type": "anthropic",
                "base_url": upstream,
                "keys": [key],
            }
        ],
    }


def build_config(
    upstream: str, log_level: str, *, metrics: bool = True, **extra: Any
):  # -> RelayConfig
    from cc_relay.config.loading import validate

    document = config_document(upstream, log_level, metrics=metrics, **extra)
    return validate(document, source="bench")


class GcStats:
    """Counts cyclic-GC collections per generation and the time they take."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._t0 = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            gen = info["generation"]
            self.count[gen] += 1
            self.seconds[gen] += time.perf_counter() - self._t0

    def report(self) -> str:
        return "gc: " + ", ".join(
            f"gen{g} {self.count[g]} collections {self.seconds[g] * 1000:.0f} ms" for g in range(3)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="base URL of the upstream")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    parser.add_argument(
        "--log-level", default="warning", choices=("debug", "info", "warning", "error")
    )
    parser.add_argument(
        "--gc-stats",
        action="store_true",
        help="count GC collections and their time; printed to stderr on exit",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: gc.freeze() once started, as cc-relay could do",
    )
    parser.add_argument(
        "--gc-threshold",
        type=int,
        metavar="N",
        help="experiment: gc.set_threshold(N, 10, 10) once started",
    )
    parser.add_argument(
        "--no-metrics",
        action="store_true",
        help="admin.metrics: false (no Prometheus counting), for bench/metrics.py",
    )
    parser.add_argument(
        "--cprofile", metavar="FILE", help="profile the relay with cProfile; stats written on exit"
    )
    parser.add_argument(
        "--config-file", metavar="PATH", help="serve from this file, so that reloads re-read it"
    )
    parser.add_argument("--state-url", default="", help="share state through this Redis")
    parser.add_argument("--rpm-limit", type=int, default=None, help="the key's rpm_limit")
    args = parser.parse_args()
    pin(args.cpu)

    import uvloop

    from cc_relay.observability import LogSetup
    from cc_relay.server import RelayServer, serve_forever

    config = build_config(
        args.upstream,
        args.log_level,
        metrics=not args.no_metrics,
        state_url=args.state_url,
        rpm_limit=args.rpm_limit,
    )
    path = None
    if args.config_file:
        import json
        from pathlib import Path

        from cc_relay.config import load_config

        path = Path(args.config_file)
        # JSON is YAML: no YAML writer needed.
        path.write_text(json.dumps(config_document(args.upstream, args.log_level)))
        config = load_config(path)
    # The access log goes to stderr like `cc-relay serve`; run.py sends it to a file.
    logs = LogSetup(
        level=config.logging.level,
        fmt=config.logging.format,
        secrets=[PROVIDER_KEY],
        stream=sys.stderr,
    )
    server = RelayServer(config, host=HOST, port=0, config_path=path)
    profiler = cProfile.Profile() if args.cprofile else None
    stats = GcStats() if args.gc_stats else None

    def ready() -> None:
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        if args.gc_threshold:
            gc.set_threshold(args.gc_threshold, 10, 10)
        announce(server.url)

    try:
        if profiler is not None:
            profiler.enable()
        uvloop.run(serve_forever(server, on_ready=ready))
    finally:
        if stats is not None:
            print(stats.report(), file=sys.stderr, flush=True)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.cprofile)
        logs.close()


if __name__ == "__main__":
    main()
