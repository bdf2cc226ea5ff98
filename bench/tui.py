"""The terminal dashboard under load: does it keep up with 500 settled requests a second?

A relay (its own process, pinned like ``bench/run.py`` pins it) in front of the bench
upstream; the load generator sends about ``--rate`` requests a second for ``--seconds``;
the dashboard (``cc-relay tui``'s app, headless through Textual's pilot, in this
process) follows the relay's request stream. Every second it reports how many requests
the relay settled, how many the dashboard holds, how far behind it is, and this
process's RSS. The claim to check: the lag stays near zero and memory stays flat.

    .venv/bin/python -m bench.tui [--rate 500] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp

from bench._common import pin
from bench.run import LOADGEN_CPU, PROXY_CPU, UPSTREAM_CPU, Proc

STATUS = "/cc_relay.admin.v1.Admin/GetStatus"


def rss_mb() -> float:
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024


def admin_status(url: str) -> dict[str, object]:
    request = urllib.request.Request(
        url + STATUS, data=b"{}", headers={"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        status: dict[str, object] = json.loads(answer.read())["status"]
        return status


class Counts:
    answered = 0
    """Requests the load generator got an answer for."""
    shown = 0
    """Requests the dashboard received and kept."""


async def load(url: str, rate: float, seconds: float, counts: Counts) -> int:
    """About ``rate`` small non-stream requests a second, on 32 connections."""
    from bench.loadgen import BODIES, PATH

    data, headers = BODIES["small"]
    sent = 0
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as session:

        async def one() -> None:
            async with session.post(url + PATH, data=data, headers=headers) as answer:
                await answer.read()
            counts.answered += 1

        tasks: set[asyncio.Task[None]] = set()
        start = time.monotonic()
        while time.monotonic() < deadline:
            due = int((time.monotonic() - start) * rate)
            while sent < due:
                task = asyncio.create_task(one())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks, return_exceptions=True)
    return sent


async def run(relay_url: str, rate: float, seconds: float) -> None:
    from cc_relay.tui import Dashboard, GrpcSource
    from cc_relay.tui.requests import RequestsView

    grpc_target = str(admin_status(relay_url)["grpcListen"])
    app = Dashboard(GrpcSource(grpc_target))
    counts = Counts()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        view = app.query_one(RequestsView)
        add = view.add

        def counted(request: object) -> bool:
            kept = add(request)  # type: ignore[arg-type]
            counts.shown += kept
            return kept

        view.add = counted  # type: ignore[method-assign]
        await pilot.pause(1.0)
        counts.shown = 0
        loader = asyncio.create_task(load(relay_url, rate, seconds, counts))
        started = time.monotonic()
        rss0, worst = rss_mb(), 0
        print(" t(s)  answered  shown  behind  RSS(MB)")
        while time.monotonic() - started < seconds + 2:
            await asyncio.sleep(1.0)
            behind = max(0, counts.answered - counts.shown)
            worst = max(worst, behind)
            print(f"{time.monotonic() - started:5.1f} {counts.answered:9d} {counts.shown:6d} "
                  f"{behind:7d} {rss_mb():8.1f}", flush=True)  # fmt: skip
        sent = await loader
    print(
        f"\nsent {sent} at ~{rate:g}/s: the dashboard showed {counts.shown} of "
        f"{counts.answered} answered; worst lag {worst} requests at a 1 s sample; "
        f"RSS {rss0:.1f} -> {rss_mb():.1f} MB (the view keeps the last {view.kept.maxlen})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    pin(LOADGEN_CPU)
    logdir = Path(tempfile.mkdtemp(prefix="cc-relay-tui-"))
    upstream = Proc("upstream", ["-m", "bench.upstream", "--cpu", str(UPSTREAM_CPU)], logdir)
    relay = Proc(
        "relay",
        ["-m", "bench.relay_server", "--upstream", upstream.url, "--cpu", str(PROXY_CPU)],
        logdir,
    )
    try:
        asyncio.run(run(relay.url, args.rate, args.seconds))
    finally:
        relay.stop()
        upstream.stop()


if __name__ == "__main__":
    main()
