"""One key's live state: its buckets, cooldown and requests in flight."""

from __future__ import annotations

from collections.abc import Iterator

from cc_relay.config import KeyConfig
from cc_relay.keypool.bucket import TokenBucket
from cc_relay.observability.redact import fingerprint

__all__ = ["BUCKET_NAMES", "KeyState"]

BUCKET_NAMES = ("requests", "input_tokens", "output_tokens", "tokens")
"""Bucket names, as in snapshots; ``tokens`` is input and output together."""


def _bucket(limit: int | None, now: float) -> TokenBucket | None:
    return None if limit is None else TokenBucket(limit, now=now)


class KeyState:
    """The pool's view of one API key.

    A missing bucket means no limit in that dimension. Buckets may appear later, when
    the upstream reports a limit for a key that has none configured.

    Args:
        config: The key and its configured limits.
        index: Position in the pool, which round-robin follows.
        now: Clock time the buckets start at, full.
    """

    __slots__ = (
        "budget_until",
        "config",
        "cooldown_until",
        "fingerprint",
        "in_flight",
        "index",
        "input",
        "last_used",
        "output",
        "requests",
        "total",
    )

    def __init__(self, config: KeyConfig, *, index: int, now: float) -> None:
        self.config = config
        self.fingerprint = fingerprint(config.key)
        self.index = index
        self.requests = _bucket(config.rpm_limit, now)
        self.input = _bucket(config.itpm_limit, now)
        self.output = _bucket(config.otpm_limit, now)
        self.total = _bucket(config.tpm_limit, now)
        self.cooldown_until = float("-inf")
        self.budget_until = float("-inf")
        """Clock time the key's spent budget (``keys[].budget``) starts over."""
        self.in_flight = 0
        self.last_used = 0
        """Sequence number of the last lease, so ties go to the least recently used key."""

    def reconfigure(self, config: KeyConfig, *, index: int, now: float) -> None:
        """Take the key's entry from a reloaded config, keeping what it has learned.

        The cooldown, requests in flight and learned limits stay. A configured limit that
        changed resizes its bucket in place keeping the fraction used, so a reload never
        refills a bucket (a reload loop would otherwise bypass the limit) and leases
        taken before the reload settle into the same buckets.
        """
        old = self.config
        self.config = config
        self.index = index
        for name, limit, before in (
            ("requests", config.rpm_limit, old.rpm_limit),
            ("input_tokens", config.itpm_limit, old.itpm_limit),
            ("output_tokens", config.otpm_limit, old.otpm_limit),
            ("tokens", config.tpm_limit, old.tpm_limit),
        ):
            bucket = self.bucket(name)
            if limit is None:
                if bucket is not None and before is not None:
                    self.set_bucket(name, None)  # no longer limited here
            elif bucket is None:
                self.set_bucket(name, TokenBucket(limit, now=now))
            else:
                bucket.resize(limit, now)

    def ready_at(self, estimate: float) -> float:
        """Clock time from which this key can take a request of ``estimate`` input tokens.

        Output is unknown up front, so the output bucket only needs to be out of debt by
        one token.
        """
        ready = self.cooldown_until
        if self.budget_until > ready:
            ready = self.budget_until
        bucket = self.requests
        if bucket is not None:
            ready = max(ready, bucket.ready_at(1.0))
        bucket = self.input
        if bucket is not None:
            ready = max(ready, bucket.ready_at(estimate))
        bucket = self.total
        if bucket is not None:
            ready = max(ready, bucket.ready_at(estimate))
        bucket = self.output
        if bucket is not None:
            ready = max(ready, bucket.ready_at(1.0))
        return ready

    def headroom(self, now: float) -> float:
        """The smallest share of capacity left over its buckets; 1.0 with none."""
        share = 1.0
        # Unrolled: this runs for every ready key on every least-loaded pick.
        for bucket in (self.requests, self.input, self.output, self.total):
            if bucket is not None:
                level = bucket.level(now) / bucket.capacity
                if level < share:
                    share = level
        return share

    def reserve(self, estimate: float, now: float) -> None:
        if self.requests is not None:
            self.requests.take(1.0, now)
        if self.input is not None:
            self.input.take(estimate, now)
        if self.total is not None:
            self.total.take(estimate, now)
        self.in_flight += 1

    def cool_down(self, until: float) -> None:
        if until > self.cooldown_until:
            self.cooldown_until = until

    def buckets(self) -> Iterator[tuple[str, TokenBucket]]:
        for name, bucket in zip(
            BUCKET_NAMES, (self.requests, self.input, self.output, self.total), strict=True
        ):
            if bucket is not None:
                yield name, bucket

    def bucket(self, name: str) -> TokenBucket | None:
        return {
            "requests": self.requests,
            "input_tokens": self.input,
            "output_tokens": self.output,
            "tokens": self.total,
        }[name]

    def set_bucket(self, name: str, bucket: TokenBucket | None) -> None:
        if name == "requests":
            self.requests = bucket
        elif name == "input_tokens":
            self.input = bucket
        elif name == "output_tokens":
            self.output = bucket
        else:
            self.total = bucket
