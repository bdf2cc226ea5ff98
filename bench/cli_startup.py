"""How long the ``cc-relay`` command takes to start, and what it imports.

    python -m bench.cli_startup [--runs N]

Runs ``cc-relay version``, ``cc-relay --version`` and ``cc-relay models`` (against a
stand-in relay on 127.0.0.1 that answers ``/v1/models`` and ``/v1/providers``) as real
subprocesses, best of N wall-clock times, and counts the modules each imports with
``python -X importtime``. Targets: version < 150 ms, models < 300 ms.

Start-up depends on bytecode: a checkout synced without ``--compile-bytecode`` and run
with PYTHONDONTWRITEBYTECODE=1 compiles every module on every start (about twice as
slow); the line "bytecode" says which case was measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_ANSWERS = {
    "/v1/models": {"data": [{"id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5"}]},
    "/v1/providers": {
        "data": [{"name": "anthropic", "type": "anthropic", "health": "healthy", "models": []}]
    },
}
TARGETS_MS = {"version": 150.0, "--version": 150.0, "models": 300.0}


class _StandIn(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(_ANSWERS.get(self.path.split("?")[0], {})).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _time(argv: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        best = min(best, time.perf_counter() - began)
    return best * 1000


def _modules(argv: list[str]) -> tuple[int, list[str]]:
    """How many modules ``argv`` imports, and which heavy packages among them."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], check=True, capture_output=True, text=True
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line and "imported package" not in line
    }
    heavy = sorted(n for n in ("aiohttp", "pydantic", "botocore", "typer", "rich") if n in names)
    return len(names), heavy


def _bytecode() -> str:
    import typer

    cached = any(Path(typer.__file__).parent.glob("__pycache__/*.pyc"))
    return "compiled" if cached else "absent (every start compiles from source)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"python {sys.version.split()[0]}; bytecode {_bytecode()}")
    print(f"{'command':<28} {'best ms':>8} {'target':>7} {'modules':>8}  heavy imports")
    baseline = _time([sys.executable, "-c", "pass"], args.runs)
    print(f"{'(python -c pass)':<28} {baseline:>8.0f} {'':>7} {'':>8}")
    for name, extra in (("version", []), ("--version", []), ("models", ["--url", url])):
        argv = ["-m", "cc_relay", name, *extra]
        ms = _time([sys.executable, *argv], args.runs)
        count, heavy = _modules(argv)
        verdict = "met" if ms < TARGETS_MS[name] else "NOT met"
        label = f"cc-relay {name}"
        print(
            f"{label:<28} {ms:>8.0f} {TARGETS_MS[name]:>5.0f} {count:>8}  "
            f"{', '.join(heavy) or '-'} ({verdict})"
        )
    server.shutdown()


if __name__ == "__main__":
    main()
