"""``cc-relay status`` reads the admin service's proto3 JSON: its timestamps included."""

from __future__ import annotations

import time

from google.protobuf.timestamp_pb2 import Timestamp

from cc_relay.cli.status import _cooldown


def _stamp(seconds_from_now: float) -> str:
    stamp = Timestamp()
    # Nanoseconds, as the relay's own stamps have them: more digits than datetime keeps.
    stamp.FromNanoseconds(int((time.time() + seconds_from_now) * 1e9) + 7)
    return stamp.ToJsonString()


def test_a_cooldown_until_shows_the_seconds_left() -> None:
    assert len(_stamp(30.5).rsplit(".", 1)[1]) == len("123456789Z")
    assert _cooldown(_stamp(30.5)) in {"30s", "31s"}


def test_no_cooldown_or_one_past_shows_a_dash() -> None:
    assert _cooldown(None) == "-"
    assert _cooldown(_stamp(-5)) == "-"
