"""The committed generated code is what scripts/gen-proto makes of the proto today."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "src" / "cc_relay" / "admin" / "v1"


def test_committed_admin_code_matches_the_proto(tmp_path: Path) -> None:
    subprocess.run(
        [str(ROOT / "scripts" / "gen-proto"), str(tmp_path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    fresh = tmp_path / "cc_relay" / "admin" / "v1"
    made = sorted(p.name for p in fresh.iterdir())
    assert made == sorted(p.name for p in GENERATED.glob("*_pb2*"))
    for name in made:
        assert (fresh / name).read_text() == (GENERATED / name).read_text(), (
            f"{name} is stale: run scripts/gen-proto"
        )
