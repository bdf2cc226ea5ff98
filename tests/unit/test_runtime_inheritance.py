"""What a new Runtime inherits from the one it replaces, and the diff a reload logs."""

from __future__ import annotations

from typing import Any

import pytest

from cc_relay.config import KeyConfig, RelayConfig
from cc_relay.config.diff import diff
from cc_relay.config.loading import validate
from cc_relay.keypool import KeyPool, TokenBucket
from cc_relay.observability import fingerprint
from cc_relay.runtime import Runtime


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _config(*providers: dict[str, Any], **sections: Any) -> RelayConfig:
    return validate({"providers": list(providers), **sections}, source="test")


def _entry(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "anthropic", "base_url": "http://127.0.0.1:9", **extra}


def test_bucket_resize_keeps_the_fraction_used() -> None:
    bucket = TokenBucket(10, now=0.0)
    bucket.take(8, 0.0)
    bucket.resize(5, 0.0)
    assert (bucket.capacity, bucket.level(0.0), bucket.configured) == (5, 1.0, 5)
    bucket.resize(20, 0.0)
    assert bucket.level(0.0) == 4.0


def test_pool_keeps_key_state_by_fingerprint() -> None:
    clock = FakeClock()
    old = KeyPool([KeyConfig(key="k1", rpm_limit=10), KeyConfig(key="k2")], clock=clock)
    lease = old.acquire(1, prefer=fingerprint("k1"))
    assert lease is not None
    lease.rate_limited(30)
    new = KeyPool(
        [KeyConfig(key="k1", rpm_limit=10), KeyConfig(key="k3")], clock=clock, previous=old
    )
    k1, k3 = new.snapshot()
    assert k1.fingerprint == fingerprint("k1") and k1.cooldown_left == 30
    assert k1.buckets["requests"].remaining == 9
    assert k3.cooldown_left == 0


def test_a_limit_removed_from_config_removes_its_bucket_but_keeps_learned_ones() -> None:
    clock = FakeClock()
    old = KeyPool([KeyConfig(key="k", rpm_limit=10)], clock=clock)
    lease = old.acquire(1)
    assert lease is not None
    lease.learn({"anthropic-ratelimit-input-tokens-limit": "1000"})
    new = KeyPool([KeyConfig(key="k")], clock=clock, previous=old)
    (k,) = new.snapshot()
    assert set(k.buckets) == {"input_tokens"} and k.buckets["input_tokens"].learned


async def test_runtime_keeps_a_provider_whose_connection_is_unchanged() -> None:
    first = Runtime(_config(_entry("a", models=["m1"]), _entry("b")))
    second = Runtime(
        _config(_entry("a", models=["m1", "m2"]), _entry("b", base_url="http://127.0.0.1:8")),
        previous=first,
    )
    a1, b1 = first.providers
    a2, b2 = second.providers
    assert a2 is a1 and a2.config.models == ("m1", "m2")
    assert b2 is not b1
    assert second.router.breakers["a"] is first.router.breakers["a"]
    assert second.router.breakers["b"] is not first.router.breakers["b"]
    assert second.router.stats["a"] is first.router.stats["a"]
    assert second.router.affinity is first.router.affinity
    assert second.signatures is first.signatures


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ({"providers": [_entry("a"), _entry("b")]}, ["provider added: b"]),
        ({"providers": [_entry("a", weight=2)]}, ["provider changed: a (weight)"]),
        (
            {"providers": [_entry("a", keys=["k2"])]},
            [f"key added: a/{fingerprint('k2')}", f"key removed: a/{fingerprint('k1')}"],
        ),
        (
            {"providers": [_entry("a", keys=[{"key": "k1", "rpm_limit": 5}])]},
            [f"key changed: a/{fingerprint('k1')} (rpm_limit)"],
        ),
        (
            {"providers": [_entry("a")], "server": {"listen": "127.0.0.1:9999"}},
            ["server.listen changed: takes effect only after a restart"],
        ),
        (
            {"providers": [_entry("a")], "routing": {"strategy": "failover"}},
            ["routing.strategy changed"],
        ),
        (
            {
                "providers": [_entry("a")],
                "state": {"backend": "redis", "url": "redis://:hunter2@127.0.0.1:6390/0"},
            },
            [
                "state.backend changed: takes effect only after a restart",
                "state.url changed: takes effect only after a restart",
            ],
        ),
    ],
)
def test_diff_names_each_change_and_never_a_secret(
    after: dict[str, Any], expected: list[str]
) -> None:
    before = _config(_entry("a", keys=["k1"]))
    providers = after.pop("providers")
    for entry in providers:
        entry.setdefault("keys", ["k1"])
    lines = diff(before, _config(*providers, **after))
    assert lines == expected
    assert not any("k1" in line.replace(fingerprint("k1"), "") for line in lines)
