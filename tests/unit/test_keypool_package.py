"""The keypool's public surface: exactly what the router and admin views use."""

from __future__ import annotations

import cc_relay.keypool
from cc_relay.keypool import selectors


def test_keypool_public_surface() -> None:
    assert cc_relay.keypool.__all__ == [
        "BucketSnapshot",
        "DEFAULT_COOLDOWN",
        "DEFAULT_SELECTION",
        "KeyPool",
        "KeyPoolError",
        "KeySnapshot",
        "Lease",
        "SELECTIONS",
        "SPEND_CAP_COOLDOWN",
        "TokenBucket",
        "UnknownSelection",
        "is_spend_cap",
        "parse_retry_after",
        "retry_after_seconds",
    ]


def test_keypool_selectors_surface_has_one_class_per_selection() -> None:
    assert selectors.__all__ == [
        "LeastLoaded",
        "RoundRobin",
        "SELECTIONS",
        "Selector",
        "Uniform",
        "Weighted",
        "create",
    ]
    import random

    built = {name: type(selectors.create(name, random.Random(0))) for name in selectors.SELECTIONS}
    assert built == {
        "least-loaded": selectors.LeastLoaded,
        "random": selectors.Uniform,
        "round-robin": selectors.RoundRobin,
        "weighted": selectors.Weighted,
    }
