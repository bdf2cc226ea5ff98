"""What routing costs per request: plan, key choice, success, settle, for 1 and 50 keys.

    python -m bench.router [--requests N]

Runs the real Router (simple-shuffle over two providers, least-loaded key selection,
session affinity on) in one process with no I/O, so the figure is the router's own CPU
time per request. The request path adds it once per request.
"""

from __future__ import annotations

import argparse
import time

from cc_relay.config import ProviderConfig, RoutingConfig
from cc_relay.providers import create
from cc_relay.routing import Router
from cc_relay.routing.context import RouteContext


def _router(keys: int) -> Router:
    providers = [
        create(
            ProviderConfig.model_validate(
                {
                    "name": name,
                    "type": "anthropic",
                    "keys": [
                        {
                            "key": f"sk-{name}-{i:03d}",
                            "rpm_limit": 10**9,
                            "itpm_limit": 10**12,
                            "otpm_limit": 10**12,
                        }
                        for i in range(keys)
                    ],
                }
            )
        )
        for name in ("a", "b")
    ]
    return Router(providers, RoutingConfig())


def per_request_us(keys: int, requests: int) -> float:
    router = _router(keys)
    ctx = RouteContext(
        model="claude-opus-4-8", input_tokens=19_000, max_tokens=64_000, session=None
    )
    start = time.perf_counter()
    for _ in range(requests):
        plan = router.plan("claude-opus-4-8", ctx)
        attempt = plan.next()
        assert attempt is not None and attempt.lease is not None
        plan.succeeded(attempt)
        attempt.lease.settle(19_000, 300)
    return (time.perf_counter() - start) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    print("| keys per provider | router CPU per request (us) |")
    print("|---|---|")
    for keys in (1, 50):
        per_request_us(keys, 1000)  # warm-up
        print(f"| {keys} | {per_request_us(keys, args.requests):.1f} |")


if __name__ == "__main__":
    main()
