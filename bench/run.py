"""cc-relay's performance harness: direct vs bare aiohttp pass-through vs cc-relay.

Starts, each in its own process: the fast fake upstream (bench/upstream.py), the bare
pass-through proxy (bench/passthrough.py), cc-relay (bench/relay_server.py, under
uvloop like ``cc-relay serve``) and the load generator (bench/loadgen.py). Then it
measures, against each of the three targets:

  (a) latency p50/p99 at concurrency 1, non-stream, 76 KB Claude Code body
  (b) requests/s at concurrency 32, non-stream (76 KB body, and a small body)
  (c) streamed time to first byte p50/p99 at concurrency 1 (76 KB body)
  (d) RSS of the relay (and of the pass-through) after the run

and prints one markdown table with the targets of the performance budget.

Pinning (when the machine has >= 2 CPUs): the proxy under test (pass-through or relay)
on CPU 0, the upstream and the load generator on CPU 1 (this orchestrator too; it
sleeps while measuring). ``--no-pin`` leaves scheduling to the OS.

    .venv/bin/python -m bench.run [--quick] [--json] [--relay-log-level info]
                                  [--py-spy OUT] [--cprofile OUT]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

if __package__ in (None, ""):  # run as `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from bench._common import READY, pin

ROOT = Path(__file__).resolve().parent.parent
PROXY_CPU, UPSTREAM_CPU, LOADGEN_CPU = 0, 1, 1
TARGETS = ("direct", "passthrough", "relay")

# The budget: issue 16's targets ("leaner than a bare proxy").
MAX_ADDED_P50_MS = 0.4
MAX_ADDED_TTFB_MS = 0.5
MIN_RPS_SHARE = 1.30
MAX_CPU_US = 150.0
MAX_RSS_MB = 80.0


@dataclass(frozen=True)
class Plan:
    latency_n: int
    latency_warmup: int
    ttfb_n: int
    ttfb_warmup: int
    concurrency: int
    tp_duration: float
    tp_warmup: float
    tp_rounds: int
    patience: float
    """Longest wait for a quiet machine before redoing a disturbed measurement (s)."""


QUICK = Plan(
    latency_n=800,
    latency_warmup=150,
    ttfb_n=500,
    ttfb_warmup=100,
    concurrency=32,
    tp_duration=1.5,
    tp_warmup=0.5,
    tp_rounds=1,
    patience=5.0,
)
FULL = Plan(
    latency_n=4000,
    latency_warmup=500,
    ttfb_n=3000,
    ttfb_warmup=300,
    concurrency=32,
    tp_duration=4.0,
    tp_warmup=1.0,
    tp_rounds=3,
    patience=60.0,
)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- processes ------------------------------------------------------------------------


class Proc:
    """A child process that prints ``READY <what>`` on stdout once it is serving."""

    def __init__(self, name: str, argv: list[str], logdir: Path, *, stdin: bool = False):
        self.name = name
        self.log_path = logdir / f"{name}.log"
        self._log = open(self.log_path, "wb")
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
            # The relay's usage ledger goes with the logs, never into the real HOME.
            XDG_DATA_HOME=str(logdir / "data"),
        )
        self.popen = subprocess.Popen(
            [sys.executable, *argv],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self.url = self._wait_ready()

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def stdout(self) -> TextIO:
        assert self.popen.stdout is not None
        return self.popen.stdout

    def _wait_ready(self) -> str:
        line = self.stdout.readline()
        if not line.startswith(READY):
            self.stop()
            raise RuntimeError(f"{self.name} did not start: {line!r}\n{self.log_tail()}")
        return line.split(maxsplit=1)[1].strip()

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"  {self.name}| {line}" for line in text)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


class LoadGen(Proc):
    def __init__(self, logdir: Path, cpu: int | None):
        super().__init__(
            "loadgen",
            ["-m", "bench.loadgen", str(cpu if cpu is not None else -1)],
            logdir,
            stdin=True,
        )

    def call(self, op: str, **kwargs: Any) -> Any:
        assert self.popen.stdin is not None
        self.popen.stdin.write(json.dumps({"op": op, **kwargs}) + "\n")
        self.popen.stdin.flush()
        line = self.stdout.readline()
        if not line:
            raise RuntimeError(f"load generator died\n{self.log_tail()}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise RuntimeError(f"load generator: {answer['error']}")
        return answer["result"]

    def stop(self) -> None:
        if self.popen.poll() is None and self.popen.stdin is not None:
            try:
                self.popen.stdin.write('{"op": "quit"}\n')
                self.popen.stdin.close()
                self.popen.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        super().stop()


def rss_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB (Linux /proc)."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy so far (Linux /proc/stat; steal counts as busy)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:9]]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def process_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


class ForeignLoad:
    """CPU used by processes that are not part of the benchmark, between two marks."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = [*pids, os.getpid()]

    def _ours(self) -> float:
        return sum(process_seconds(pid) for pid in self.pids)

    def start(self) -> tuple[float, float, float]:
        return machine_busy_seconds(), self._ours(), time.monotonic()

    def stop(self, mark: tuple[float, float, float]) -> float:
        """% of one CPU that other processes used since ``mark``."""
        busy, ours, t0 = mark
        elapsed = time.monotonic() - t0
        foreign = (machine_busy_seconds() - busy) - (self._ours() - ours)
        return max(0.0, foreign / elapsed * 100) if elapsed > 0 else 0.0


def wait_quiet(limit: float, threshold_pct: float = 10.0) -> float:
    """Wait (up to ``limit`` s) until other processes use < threshold of one CPU for 1 s."""
    deadline = time.monotonic() + limit
    for second in itertools.count():
        busy, t0 = machine_busy_seconds(), time.monotonic()
        time.sleep(1.0)
        pct = (machine_busy_seconds() - busy) / (time.monotonic() - t0) * 100
        if pct < threshold_pct or time.monotonic() >= deadline:
            return pct
        if second % 10 == 0:
            say(f"  machine busy ({pct:.0f}% of a CPU used by other processes); waiting")
    raise AssertionError("unreachable")


def calibrate() -> float:
    """µs to orjson-parse the 76 KB body once (best of 5 x 200), on this process's CPU.

    A fixed piece of CPU work, taken before and after the run: a busy host (which a
    guest cannot see as load) shows up here as a slower figure, and every other figure
    of the run scales with it.
    """
    import orjson

    from bench.claude_code_body import body_bytes

    raw = body_bytes(stream=False)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(200):
            orjson.loads(raw)
        best = min(best, (time.perf_counter() - t0) / 200)
    return best * 1e6


# -- statistics -----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summary_ms(samples_us: list[float]) -> dict[str, float]:
    return {
        "n": len(samples_us),
        "p50": percentile(samples_us, 50) / 1000,
        "p90": percentile(samples_us, 90) / 1000,
        "p99": percentile(samples_us, 99) / 1000,
        "mean": (sum(samples_us) / len(samples_us) / 1000) if samples_us else float("nan"),
    }


# -- measuring ------------------------------------------------------------------------


NOISE_PCT = 15.0
"""A measurement during which other processes used more than this % of a CPU is redone."""
BLOCK = 1000
"""c=1 phases run in blocks of this many requests per target, each redone if noisy."""


class Measurer:
    """Sends commands to the load generator, redoing those disturbed by foreign load."""

    def __init__(
        self,
        procs: dict[str, Proc],
        gen: LoadGen,
        retries: int,
        patience: float,
        extra_pids: list[int],
    ) -> None:
        self.gen = gen
        self.retries = retries
        self.patience = patience
        self.foreign = ForeignLoad([p.pid for p in (*procs.values(), gen)] + extra_pids)
        self.noise: dict[str, float] = {}
        self.redone = 0

    def call(self, phase: str, op: str, **kwargs: Any) -> Any:
        for attempt in range(self.retries + 1):
            mark = self.foreign.start()
            result = self.gen.call(op, **kwargs)
            pct = self.foreign.stop(mark)
            if pct <= NOISE_PCT or attempt >= self.retries:
                self.noise[phase] = round(max(self.noise.get(phase, 0.0), pct), 1)
                return result
            self.redone += 1
            say(f"  {phase}: other processes used {pct:.0f}% of a CPU meanwhile; redoing")
            if wait_quiet(self.patience) > NOISE_PCT:
                say("  the machine stays busy: no more redoing in this run")
                self.retries = 0
        raise AssertionError("unreachable")

    def blocks(self, phase: str, op: str, n: int, warmup: int, **kwargs: Any) -> dict[str, Any]:
        """A c=1 phase in blocks; samples and errors merged."""
        merged: dict[str, Any] = {"samples": {}, "errors": {}}
        done = 0
        while done < n:
            size = min(BLOCK, n - done)
            part = self.call(phase, op, n=size, warmup=warmup if done == 0 else 20, **kwargs)
            for name, samples in part["samples"].items():
                merged["samples"].setdefault(name, []).extend(samples)
            for name, errors in part["errors"].items():
                merged["errors"][name] = merged["errors"].get(name, 0) + errors
            done += size
        return merged


def measure(
    plan: Plan, procs: dict[str, Proc], gen: LoadGen, *, retries: int, extra_pids: list[int]
) -> dict[str, Any]:
    """Run every phase; ``extra_pids`` are helpers (py-spy) whose CPU is not foreign."""
    urls = {name: procs[name].url for name in TARGETS}
    m = Measurer(procs, gen, retries, patience=plan.patience, extra_pids=extra_pids)
    results: dict[str, Any] = {
        "rss_mb_start": {name: rss_mb(procs[name].pid) for name in ("passthrough", "relay")}
    }

    problems = gen.call("check", urls=urls)
    bad = {name: found for name, found in problems.items() if found}
    if bad:
        raise RuntimeError(f"a target answered wrongly: {bad}")

    say(
        f"(a) latency, c=1, 76 KB non-stream: {plan.latency_n} requests per target "
        f"after {plan.latency_warmup} warm-up, targets interleaved"
    )
    lat = m.blocks("latency", "latency", plan.latency_n, plan.latency_warmup, urls=urls, body="cc")
    results["latency"] = {name: summary_ms(lat["samples"][name]) for name in TARGETS}
    results["latency_errors"] = lat["errors"]

    say(
        f"(c) streamed TTFB, c=1, 76 KB stream: {plan.ttfb_n} per target "
        f"after {plan.ttfb_warmup} warm-up, interleaved"
    )
    tt = m.blocks("ttfb", "ttfb", plan.ttfb_n, plan.ttfb_warmup, urls=urls)
    results["ttfb"] = {name: summary_ms([s[0] for s in tt["samples"][name]]) for name in TARGETS}
    results["stream_total"] = {
        name: summary_ms([s[1] for s in tt["samples"][name]]) for name in TARGETS
    }
    results["ttfb_errors"] = tt["errors"]

    results["throughput"] = {}
    for body, label in (("cc", "76 KB"), ("small", "small")):
        say(
            f"(b) throughput, c={plan.concurrency}, {label} non-stream: "
            f"{plan.tp_rounds} round(s) x {plan.tp_duration:g} s per target"
        )
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in TARGETS}
        for _ in range(plan.tp_rounds):
            for name in TARGETS:
                pids = {"upstream": procs["direct"].pid}
                if name != "direct":
                    pids["proxy"] = procs[name].pid
                rounds[name].append(
                    m.call(
                        f"c32-{body}",
                        "throughput",
                        url=urls[name],
                        body=body,
                        concurrency=plan.concurrency,
                        duration=plan.tp_duration,
                        warmup=plan.tp_warmup,
                        pids=pids,
                    )
                )
        results["throughput"][body] = {name: _throughput(rs) for name, rs in rounds.items()}

    results["rss_mb_end"] = {name: rss_mb(procs[name].pid) for name in ("passthrough", "relay")}
    results["foreign_cpu_pct"] = m.noise
    results["redone"] = m.redone
    return results


def _throughput(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    count = sum(r["count"] for r in rounds)
    elapsed = sum(r["elapsed"] for r in rounds)
    cpu: dict[str, float] = {}
    for r in rounds:
        for name, seconds in r["cpu"].items():
            cpu[name] = cpu.get(name, 0.0) + seconds
    return {
        "rps": count / elapsed if elapsed else 0.0,
        "rps_rounds": [r["count"] / r["elapsed"] for r in rounds],
        "errors": sum(r["errors"] for r in rounds),
        "first_error": next((r["first_error"] for r in rounds if r["first_error"]), None),
        "cpu_us_per_request": {name: s / count * 1e6 if count else None for name, s in cpu.items()},
        "cpu_busy_pct": {name: s / elapsed * 100 for name, s in cpu.items()},
    }


# -- verdicts and the table -----------------------------------------------------------


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    lat, ttfb, tp = results["latency"], results["ttfb"], results["throughput"]
    added_p50 = lat["relay"]["p50"] - lat["direct"]["p50"]
    added_ttfb = ttfb["relay"]["p50"] - ttfb["direct"]["p50"]
    share = {
        body: tp[body]["relay"]["rps"] / tp[body]["passthrough"]["rps"]
        for body in tp
        if tp[body]["passthrough"]["rps"]
    }
    rss = results["rss_mb_end"]["relay"].get("VmRSS", float("nan"))
    checks = {
        "added_p50_ms": {
            "value": added_p50,
            "target": f"<= {MAX_ADDED_P50_MS}",
            "pass": added_p50 <= MAX_ADDED_P50_MS,
        },
        "added_ttfb_p50_ms": {
            "value": added_ttfb,
            "target": f"<= {MAX_ADDED_TTFB_MS}",
            "pass": added_ttfb <= MAX_ADDED_TTFB_MS,
        },
        **{
            f"rps_share_{body}": {
                "value": s,
                "target": f">= {MIN_RPS_SHARE}",
                "pass": s >= MIN_RPS_SHARE,
            }
            for body, s in share.items()
        },
        "relay_rss_mb": {"value": rss, "target": f"<= {MAX_RSS_MB}", "pass": rss <= MAX_RSS_MB},
    }
    cpu = tp.get("cc", {}).get("relay", {}).get("cpu_us_per_request", {}).get("proxy")
    if cpu is not None:
        checks["relay_cpu_us"] = {
            "value": cpu,
            "target": f"<= {MAX_CPU_US}",
            "pass": cpu <= MAX_CPU_US,
        }
    return checks


def _ok(passed: bool) -> str:
    return "PASS" if passed else "**FAIL**"


def table(results: dict[str, Any], checks: dict[str, Any]) -> str:
    lat, ttfb, tp = results["latency"], results["ttfb"], results["throughput"]
    rows: list[list[str]] = []

    def ms_row(label: str, data: dict[str, Any], key: str, target: str, verdict: str) -> None:
        d, p, r = (data[name][key] for name in TARGETS)
        rows.append(
            [
                label,
                f"{d:.3f}",
                f"{p:.3f}",
                f"{r:.3f}",
                f"{r - d:+.3f} ms",
                f"{r - p:+.3f} ms",
                target,
                verdict,
            ]
        )

    ms_row(
        "latency p50, c=1, 76 KB non-stream (ms)",
        lat,
        "p50",
        f"added <= {MAX_ADDED_P50_MS} ms",
        _ok(checks["added_p50_ms"]["pass"]),
    )
    ms_row("latency p99, c=1, 76 KB non-stream (ms)", lat, "p99", "", "")
    ms_row(
        "stream TTFB p50, c=1, 76 KB (ms)",
        ttfb,
        "p50",
        f"added <= {MAX_ADDED_TTFB_MS} ms",
        _ok(checks["added_ttfb_p50_ms"]["pass"]),
    )
    ms_row("stream TTFB p99, c=1, 76 KB (ms)", ttfb, "p99", "", "")
    for body, label in (("cc", "76 KB"), ("small", "small")):
        d, p, r = (tp[body][name]["rps"] for name in TARGETS)
        share = checks[f"rps_share_{body}"]
        rows.append(
            [
                f"req/s, c=32, {label} non-stream",
                f"{d:,.0f}",
                f"{p:,.0f}",
                f"{r:,.0f}",
                f"{r / d:.0%} of direct",
                f"{share['value']:.0%} of passthrough",
                f">= {MIN_RPS_SHARE:.0%} of passthrough",
                _ok(share["pass"]),
            ]
        )
        pc = tp[body]["passthrough"]["cpu_us_per_request"].get("proxy")
        rc = tp[body]["relay"]["cpu_us_per_request"].get("proxy")
        if pc and rc:
            verdict = checks.get("relay_cpu_us") if body == "cc" else None
            rows.append(
                [
                    f"proxy CPU per request, c=32, {label} (µs)",
                    "-",
                    f"{pc:.0f}",
                    f"{rc:.0f}",
                    "",
                    f"{rc - pc:+.0f} µs ({rc / pc:.2f}x)",
                    f"<= {MAX_CPU_US:.0f} µs" if verdict else "",
                    _ok(verdict["pass"]) if verdict else "",
                ]
            )
    rss_p = results["rss_mb_end"]["passthrough"].get("VmRSS", float("nan"))
    rss_r = checks["relay_rss_mb"]["value"]
    peak = results["rss_mb_end"]["relay"].get("VmHWM", float("nan"))
    start = results["rss_mb_start"]["relay"].get("VmRSS", float("nan"))
    rows.append(
        [
            "RSS after the run (MB)",
            "-",
            f"{rss_p:.1f}",
            f"{rss_r:.1f} (start {start:.1f}, peak {peak:.1f})",
            "",
            f"+{rss_r - rss_p:.1f} MB",
            f"<= {MAX_RSS_MB:.0f} MB",
            _ok(checks["relay_rss_mb"]["pass"]),
        ]
    )

    head = [
        "measure",
        "direct",
        "passthrough",
        "cc-relay",
        "relay vs direct",
        "relay vs passthrough",
        "target",
        "result",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def notes(results: dict[str, Any]) -> str:
    tp = results["throughput"]
    out = []
    for body, label in (("cc", "76 KB"), ("small", "small")):
        busy = []
        for name in TARGETS:
            pct = tp[body][name]["cpu_busy_pct"]
            core1 = pct.get("loadgen", 0) + pct.get("upstream", 0)
            proxy = f", proxy (cpu {PROXY_CPU}) {pct['proxy']:.0f}%" if "proxy" in pct else ""
            busy.append(f"{name}: cpu {LOADGEN_CPU} (loadgen+upstream) {core1:.0f}%{proxy}")
        out.append(f"- CPU busy during c=32 {label}: " + "; ".join(busy))
    errors = {
        k: v
        for k, v in {
            **{f"latency/{n}": e for n, e in results["latency_errors"].items()},
            **{f"ttfb/{n}": e for n, e in results["ttfb_errors"].items()},
            **{f"c32-{b}/{n}": tp[b][n]["errors"] for b in tp for n in TARGETS},
        }.items()
        if v
    }
    out.append(f"- errors: {errors or 'none'}")
    foreign = results["foreign_cpu_pct"]
    worst = max(foreign.values(), default=0.0)
    out.append(
        f"- CPU used by other processes, worst measurement per phase (% of one CPU): "
        f"{foreign}; measurements redone for noise: {results['redone']}"
        + (
            " -- WARNING: the machine was not quiet; figures are unreliable"
            if worst > NOISE_PCT
            else ""
        )
    )
    return "\n".join(out)


def _commit() -> str | None:
    """The checked-out commit of the relay under test, with ``+dirty`` if src/ has edits."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("+dirty" if dirty else "")


def environment(plan: Plan, pinned: dict[str, str], body_size: int) -> dict[str, Any]:
    import aiohttp

    try:
        import uvloop

        uv = uvloop.__version__
    except ImportError:
        uv = None
    return {
        "commit": _commit(),
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "uvloop": uv,
        "cpus": os.cpu_count(),
        "pinning": pinned,
        "body_bytes": body_size,
        "plan": asdict(plan),
    }


# -- main -----------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Measure cc-relay against direct and a bare aiohttp pass-through.",
    )
    parser.add_argument("--quick", action="store_true", help="short run (< 30 s)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    parser.add_argument(
        "--relay-log-level",
        default="warning",
        choices=("debug", "info", "warning", "error"),
        help="relay logging level (info turns the access log on)",
    )
    parser.add_argument(
        "--py-spy",
        metavar="OUT",
        help="record the relay with py-spy for the whole run (py-spy on PATH "
        "or $PY_SPY); .txt = collapsed stacks, .svg = flame graph, "
        ".json = speedscope. Sampling costs CPU: figures of such a run "
        "are for the profile, not for the table",
    )
    parser.add_argument(
        "--cprofile",
        metavar="OUT",
        help="run the relay under cProfile (slows it; for call counts only)",
    )
    parser.add_argument(
        "--relay-flag",
        action="append",
        default=[],
        metavar="FLAG",
        help="extra flag for bench/relay_server.py, e.g. --relay-flag=--gc-freeze (repeatable)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to SECONDS for other processes to go quiet",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=3,
        help=f"redo a measurement up to this many times when other processes "
        f"used > {NOISE_PCT:g}%% of a CPU during it (default 3)",
    )
    parser.add_argument(
        "--keep-logs",
        action="store_true",
        help="keep the processes' logs (their folder is printed)",
    )
    return parser.parse_args(argv)


def _py_spy(out: str, pid: int, logdir: Path) -> subprocess.Popen[bytes]:
    exe = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if not exe:
        raise SystemExit("--py-spy: py-spy not found (put it on PATH or set $PY_SPY)")
    fmt = {".txt": "raw", ".svg": "flamegraph", ".json": "speedscope"}.get(Path(out).suffix, "raw")
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--format",
            fmt,
            "-o",
            out,
            "--rate",
            "250",
            "--nonblocking",
        ],
        stdout=open(logdir / "py-spy.log", "wb"),
        stderr=subprocess.STDOUT,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    can_pin = (
        not args.no_pin and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2
    )
    cpu = (lambda n: n) if can_pin else (lambda n: None)
    pinned = (
        {
            "proxy (passthrough, relay)": f"cpu {PROXY_CPU}",
            "upstream": f"cpu {UPSTREAM_CPU}",
            "loadgen": f"cpu {LOADGEN_CPU}",
            "orchestrator": f"cpu {LOADGEN_CPU}",
        }
        if can_pin
        else {"all": "not pinned"}
    )
    pin(cpu(LOADGEN_CPU))

    from bench.claude_code_body import body_bytes

    body_size = len(body_bytes(stream=False))
    if args.wait_quiet:
        pct = wait_quiet(args.wait_quiet)
        say(f"other processes use {pct:.0f}% of a CPU; starting")

    speed_before = calibrate()
    logdir = Path(tempfile.mkdtemp(prefix="cc-relay-bench-"))
    procs: dict[str, Proc] = {}
    gen: LoadGen | None = None
    spy: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    try:

        def cpu_arg(n: int) -> list[str]:
            return ["--cpu", str(cpu(n))] if cpu(n) is not None else []

        procs["direct"] = Proc("upstream", ["-m", "bench.upstream", *cpu_arg(UPSTREAM_CPU)], logdir)
        up = procs["direct"].url
        procs["passthrough"] = Proc(
            "passthrough",
            ["-m", "bench.passthrough", "--upstream", up, *cpu_arg(PROXY_CPU)],
            logdir,
        )
        relay_argv = [
            "-m",
            "bench.relay_server",
            "--upstream",
            up,
            *cpu_arg(PROXY_CPU),
            "--log-level",
            args.relay_log_level,
        ]
        if args.cprofile:
            relay_argv += ["--cprofile", str(Path(args.cprofile).resolve())]
        relay_argv += args.relay_flag
        procs["relay"] = Proc("relay", relay_argv, logdir)
        gen = LoadGen(logdir, cpu(LOADGEN_CPU))
        say(
            f"upstream {up}, passthrough {procs['passthrough'].url}, "
            f"relay {procs['relay'].url} (pid {procs['relay'].pid}); logs in {logdir}"
        )
        if args.py_spy:
            spy = _py_spy(args.py_spy, procs["relay"].pid, logdir)
            time.sleep(0.5)
        results = measure(
            plan, procs, gen, retries=args.retries, extra_pids=[spy.pid] if spy is not None else []
        )
    except Exception:
        for proc in procs.values():
            say(proc.log_tail())
        raise
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            spy.wait(30)
        if gen is not None:
            gen.stop()
        for proc in reversed(procs.values()):
            proc.stop()
        if not args.keep_logs:
            shutil.rmtree(logdir, ignore_errors=True)

    results["seconds"] = round(time.monotonic() - started, 1)
    results["cpu_check_us"] = {"before": round(speed_before, 1), "after": round(calibrate(), 1)}
    results["environment"] = environment(plan, pinned, body_size)
    checks = verdicts(results)
    results["checks"] = checks
    results["pass"] = all(c["pass"] for c in checks.values())
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        env = results["environment"]
        print(
            f"cc-relay {env['commit']} bench ({'quick' if args.quick else 'full'}, "
            f"{results['seconds']} s; "
            f"Python {env['python']}, aiohttp {env['aiohttp']}, uvloop {env['uvloop']}, "
            f"{env['cpus']} CPUs; body {body_size:,} bytes; pinning: "
            f"{', '.join(f'{k} {v}' for k, v in pinned.items())})\n"
        )
        speed = results["cpu_check_us"]
        print(
            f"CPU check (orjson-parse the body once; lower is faster): {speed['before']} µs "
            f"before, {speed['after']} µs after\n"
        )
        print(table(results, checks))
        print()
        print(notes(results))
        print(f"\noverall: {'PASS' if results['pass'] else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
