"""Fuzz: the suite's hostile cases (tests/hostile.py) by the hundred thousand.

Against a relay process in front of the bench upstream; every answer must be a served
200 or an Anthropic-shaped 4xx, never a 5xx, a traceback or a hang. Bounded by
``--cases`` and ``--max-seconds``.

    .venv/bin/python -m bench.fuzz [--cases 100000] [--json]
"""

from __future__ import annotations

import argparse
import sys
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench._stack import Stack, main
from tests.hostile import cases, problem, send


def fuzz(port: int, count: int, max_seconds: float) -> dict[str, object]:
    ran = 0
    found: list[str] = []
    started = time.monotonic()

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        nonlocal ran
        if time.monotonic() - started > max_seconds:
            return
        case = data.draw(cases(port=port))
        ran += 1
        what = problem(case, *send(port, case))
        if what is not None and len(found) < 20:
            found.append(f"{what[:300]}\n  {str(case)[:300]}")
        assert what is None

    failure = None
    try:
        check()
    except AssertionError as exc:
        failure = str(exc)[:2000]
    elapsed = time.monotonic() - started
    return {
        "cases": ran,
        "seconds": round(elapsed, 1),
        "cases_per_second": round(ran / elapsed),
        "problems": found,
        "failure": failure,
        "pass": failure is None and not found,
    }


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=3600.0)


def _run(served: Stack, args: argparse.Namespace) -> dict[str, object]:
    return fuzz(served.port, args.cases, args.max_seconds)


if __name__ == "__main__":
    sys.exit(main(__doc__ or "", _options, _run))
