"""``scripts/_uv.sh``: both README commands end up with a uv they call by path.

Each test runs the bootstrap in a temp copy of ``scripts/`` with a PATH that has no uv,
and without the network: pip installs a stand-in ``uv`` wheel from a local directory.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FAKE_VERSION = "uv 0.0.0-stand-in"


def _path_without_uv() -> str:
    dirs = os.environ.get("PATH", os.defpath).split(os.pathsep)
    return os.pathsep.join(d for d in dirs if d and not (Path(d) / "uv").exists())


def _stand_in_wheel(directory: Path) -> Path:
    """A wheel named ``uv`` whose console script prints FAKE_VERSION."""
    files = {
        "fake_uv.py": f"def main() -> None:\n    print({FAKE_VERSION!r})\n",
        "uv-0.0.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: uv\nVersion: 0.0.0\n",
        "uv-0.0.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        "uv-0.0.0.dist-info/entry_points.txt": "[console_scripts]\nuv = fake_uv:main\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append("uv-0.0.0.dist-info/RECORD,,")
    files["uv-0.0.0.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = directory / "uv-0.0.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(REPO / "scripts", root / "scripts")
    return root


def _bootstrap(
    checkout: Path, env: dict[str, str], python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    """Source the bootstrap as the scripts do; print UV and what it answers."""
    return subprocess.run(
        ["bash", "-c", '. scripts/_uv.sh && echo "UV=$UV" && "$UV" --version'],
        cwd=checkout,
        env={"PATH": _path_without_uv(), "HOME": str(checkout), "PYTHON": python, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bootstrap_installs_uv_into_private_venv(checkout: Path, tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _stand_in_wheel(wheels)
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}

    first = _bootstrap(checkout, offline)

    assert first.returncode == 0, first.stderr
    assert f"UV={checkout}/.tools/bin/uv\n" in first.stdout
    assert first.stdout.endswith(f"{FAKE_VERSION}\n")
    assert "setting up uv in .tools/" in first.stderr
    # The second run reuses it: no install, no index needed.
    again = _bootstrap(checkout, {"PIP_NO_INDEX": "1"})
    assert again.returncode == 0, again.stderr
    assert "setting up" not in again.stderr
    assert again.stdout.endswith(f"{FAKE_VERSION}\n")


def test_bootstrap_finds_uv_module_whose_bin_is_off_path(checkout: Path, tmp_path: Path) -> None:
    # A Python where "pip install uv" worked, but whose bin/ is not on PATH.
    binary = tmp_path / "python-bin" / "uv"
    binary.parent.mkdir()
    binary.write_text(f"#!/bin/sh\necho '{FAKE_VERSION}'\n")
    binary.chmod(0o755)
    module = tmp_path / "site" / "uv"
    module.mkdir(parents=True)
    (module / "__init__.py").write_text(f"def find_uv_bin():\n    return {str(binary)!r}\n")

    result = _bootstrap(checkout, {"PYTHONPATH": str(module.parent)})

    assert result.returncode == 0, result.stderr
    assert f"UV={binary}\n" in result.stdout
    assert not (checkout / ".tools").exists()


def test_bootstrap_refuses_to_download_a_python(checkout: Path) -> None:
    result = subprocess.run(
        ["bash", "-c", '. scripts/_uv.sh && echo "$UV_PYTHON_DOWNLOADS"'],
        cwd=checkout,
        env={"PATH": os.environ.get("PATH", os.defpath), "HOME": str(checkout)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "never\n"


def test_scripts_source_the_one_bootstrap() -> None:
    for name in ("serve", "test"):
        text = (REPO / "scripts" / name).read_text("utf-8")
        assert ". scripts/_uv.sh" in text
        assert "pip install" not in text and '"$UV" sync --locked' in text
