"""Running the real ``cc-relay`` command in a subprocess: the helpers the fixtures hand out."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: Seconds a command, a start-up or a shutdown may take before the test gives up.
COMMAND_TIMEOUT = 60.0
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def entry_point() -> str:
    """The installed ``cc-relay`` script: on PATH, else next to this interpreter."""
    beside = Path(sys.executable).parent / "cc-relay"
    found = shutil.which("cc-relay") or (str(beside) if beside.exists() else None)
    if found is None:
        pytest.fail("the cc-relay entry point is not installed next to the interpreter")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_request(port: int, method: str, path: str) -> tuple[int, bytes]:
    """One request to 127.0.0.1 with no proxy involved."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@dataclass
class RelayProcess:
    """A ``cc-relay serve`` child; output goes to files so it can never block on a pipe."""

    proc: subprocess.Popen[bytes]
    port: int
    out_path: Path
    err_path: Path

    @property
    def stdout(self) -> str:
        return self.out_path.read_text("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text("utf-8", errors="replace")

    def wait_listening(self, timeout: float = START_TIMEOUT) -> None:
        """Poll until the port accepts connections; fail with the child's stderr if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve exited early with {self.proc.returncode}:\n{self.stderr}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        pytest.fail(
            f"serve did not listen on 127.0.0.1:{self.port} within {timeout}s:\n{self.stderr}"
        )

    def stop(self, sig: signal.Signals = signal.SIGINT, timeout: float = STOP_TIMEOUT) -> int:
        """Send ``sig`` and wait for the exit status."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not stop within {timeout}s of {sig.name}:\n{self.stderr}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)


@dataclass
class Cli:
    """How to run cc-relay: the argv prefix, a clean environment, a cwd and a HOME."""

    prefix: list[str]
    home: Path
    cwd: Path
    env: dict[str, str]
    _children: list[RelayProcess] = field(default_factory=list)

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = COMMAND_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, *args],
            cwd=self.cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(
        self, *args: str, port: int | None = None, env: dict[str, str] | None = None
    ) -> RelayProcess:
        """``serve ... --listen 127.0.0.1:PORT`` in the background; ``wait_listening`` next."""
        port = free_port() if port is None else port
        n = len(self._children)
        out_path, err_path = self.cwd / f".serve{n}.out", self.cwd / f".serve{n}.err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                [*self.prefix, "serve", *args, "--listen", f"127.0.0.1:{port}"],
                cwd=self.cwd,
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        child = RelayProcess(proc, port, out_path, err_path)
        self._children.append(child)
        return child

    def kill_all(self) -> None:
        for child in self._children:
            child.kill()


def clean_env(home: Path) -> dict[str, str]:
    """Only what a shell needs: no API keys, no proxies, no CC_RELAY_* settings."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "TERM": "dumb",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return env
