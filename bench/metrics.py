"""Does counting Prometheus metrics cost requests per second? bench/run.py's harness,
run with metrics on and off in turn (``admin.metrics``), relay throughput compared.

    .venv/bin/python -m bench.metrics [--rounds 2] [--full]

Each round runs ``bench.run --json`` twice (on, then off; the order alternates per
round), and the table shows the relay's req/s at concurrency 32 for both bodies, and
the difference. The target: metrics on within 5% of off. The machine is shared: read
the spread between rounds before believing a difference of a few percent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from typing import Any


def run_once(metrics: bool, full: bool) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.run", "--json", *([] if full else ["--quick"])]
    if not metrics:
        argv.append("--relay-flag=--no-metrics")
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="full bench.run plans (slow)")
    args = parser.parse_args()
    rps: dict[tuple[bool, str], list[float]] = {}
    for n in range(args.rounds):
        for metrics in (True, False) if n % 2 == 0 else (False, True):
            result = run_once(metrics, args.full)
            for body, targets in result["throughput"].items():
                rps.setdefault((metrics, body), []).append(targets["relay"]["rps"])
            print(f"round {n + 1}, metrics {'on' if metrics else 'off'}: done", file=sys.stderr)
    print("| body | metrics on req/s | metrics off req/s | on vs off |")
    print("|---|---|---|---|")
    for body in sorted({b for _, b in rps}):
        on, off = rps[True, body], rps[False, body]
        change = statistics.median(on) / statistics.median(off) - 1
        print(
            f"| {body} | {statistics.median(on):,.0f} ({', '.join(f'{x:,.0f}' for x in on)}) "
            f"| {statistics.median(off):,.0f} ({', '.join(f'{x:,.0f}' for x in off)}) "
            f"| {change:+.1%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
