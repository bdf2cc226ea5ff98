"""Small pure renderings the views share: durations, counts, bars, circuit colours."""

from __future__ import annotations

from typing import Literal

from cc_relay.admin.v1 import admin_pb2 as pb

#: Cells in a bucket bar.
BAR_WIDTH = 10

CIRCUIT_STYLE: dict[int, tuple[str, str]] = {
    pb.CIRCUIT_STATE_CLOSED: ("closed", "green"),
    pb.CIRCUIT_STATE_HALF_OPEN: ("half-open", "yellow"),
    pb.CIRCUIT_STATE_OPEN: ("open", "red"),
}


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}ms"


def count(value: float) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}"


def usd(value: float) -> str:
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def percentile(p: pb.Percentiles, which: Literal["p50_seconds", "p95_seconds"]) -> float | None:
    return float(getattr(p, which)) if p.HasField(which) else None


def circuit(state: int) -> tuple[str, str]:
    """The circuit state's word and the colour it is shown in."""
    return CIRCUIT_STYLE.get(state, ("?", "white"))


def bar(remaining: float, capacity: int, width: int = BAR_WIDTH) -> str:
    """``remaining`` of ``capacity`` as a bar of block characters."""
    share = 0.0 if capacity <= 0 else max(0.0, min(1.0, remaining / capacity))
    full = round(share * width)
    return "█" * full + "░" * (width - full)
