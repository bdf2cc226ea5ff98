"""The server side: aiohttp's ``web.Application`` against its low-level ``web.Server``.

The same pass-through proxy (``bench/passthrough.py``) served both ways, in alternating
rounds at c=32 with the 76 KB body and the small one: req/s and the proxy's CPU per
request. The difference is what the Application, its router and the middleware chain
cost per request, the most the relay could save by serving its two hot routes from the
low-level server.

    .venv/bin/python -m bench.server_side [--rounds 3] [--duration 4]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench._common import pin
from bench.run import LOADGEN_CPU, PROXY_CPU, UPSTREAM_CPU, LoadGen, Proc

KINDS = {"application": [], "low-level": ["--low-level"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=4.0)
    args = parser.parse_args()
    pin(LOADGEN_CPU)
    logdir = Path(tempfile.mkdtemp(prefix="cc-relay-server-side-"))
    upstream = Proc("upstream", ["-m", "bench.upstream", "--cpu", str(UPSTREAM_CPU)], logdir)
    proxies = {
        kind: Proc(
            kind,
            [
                "-m",
                "bench.passthrough",
                "--upstream",
                upstream.url,
                "--cpu",
                str(PROXY_CPU),
                *flags,
            ],
            logdir,
        )
        for kind, flags in KINDS.items()
    }
    gen = LoadGen(logdir, LOADGEN_CPU)
    rates: dict[tuple[str, str], list[float]] = {}
    cpu: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(args.rounds):
            for body in ("cc", "small"):
                for kind, proc in proxies.items():
                    out = gen.call(
                        "throughput", url=proc.url, body=body, concurrency=32,
                        duration=args.duration, warmup=1.0, pids={kind: proc.pid},
                    )  # fmt: skip
                    rates.setdefault((kind, body), []).append(out["count"] / out["elapsed"])
                    per = out["cpu"][kind] / max(1, out["count"]) * 1e6
                    cpu.setdefault((kind, body), []).append(per)
    finally:
        gen.stop()
        for proc in proxies.values():
            proc.stop()
        upstream.stop()
    print(f"c=32, {args.rounds} rounds of {args.duration:g} s, medians")
    for body in ("cc", "small"):
        for kind in KINDS:
            print(
                f"{body:5} {kind:12} {statistics.median(rates[(kind, body)]):7.0f} req/s  "
                f"{statistics.median(cpu[(kind, body)]):5.0f} µs CPU/request"
            )


if __name__ == "__main__":
    main()
