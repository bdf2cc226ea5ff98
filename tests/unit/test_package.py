"""Package hygiene: every module imports on its own; public surfaces are sorted."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import cc_relay

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(cc_relay.__path__, "cc_relay.")
    if m.name != "cc_relay.__main__"
)


_IMPORT_EACH = """
import importlib, sys
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "cc_relay" or m.startswith("cc_relay.")]:
        del sys.modules[loaded]
    importlib.import_module(name)
"""


def test_every_module_imports_on_its_own() -> None:
    # Each module is imported with none of ours loaded, which catches import cycles that
    # a warm interpreter hides; third-party modules stay cached, so it takes a second.
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, *MODULES], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "name", [m for m in MODULES if hasattr(importlib.import_module(m), "__all__")]
)
def test_all_is_sorted_and_real(name: str) -> None:
    module = importlib.import_module(name)
    assert list(module.__all__) == sorted(module.__all__)
    for member in module.__all__:
        assert hasattr(module, member), f"{name}.__all__ names missing {member}"
