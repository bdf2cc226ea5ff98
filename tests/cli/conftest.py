"""Fixtures for the CLI tests: a clean environment, a throwaway HOME and cwd."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli._process import Cli, clean_env, entry_point


def make_cli(prefix: list[str], tmp_path: Path) -> Iterator[Cli]:
    home, cwd = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    cwd.mkdir()
    cli = Cli(prefix, home, cwd, clean_env(home))
    try:
        yield cli
    finally:
        cli.kill_all()


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    """``python -m cc_relay``."""
    yield from make_cli([sys.executable, "-m", "cc_relay"], tmp_path)


@pytest.fixture(params=["module", "entry-point"])
def any_cli(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cli]:
    """Both ways in: ``python -m cc_relay`` and the installed ``cc-relay`` script."""
    prefix = [sys.executable, "-m", "cc_relay"] if request.param == "module" else [entry_point()]
    yield from make_cli(prefix, tmp_path)
