"""The README's sample config error is the one the loader prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from cc_relay.config import ConfigError, load_config

README = Path(__file__).resolve().parents[2] / "README.md"

#: The file the README's sample describes: a typo and a bad limit.
SAMPLE_CONFIG = """
routing:
  stratgy: failover
providers:
  - name: anthropic
    type: anthropic
    keys:
      - key: "${ANTHROPIC_API_KEY}"
        rpm_limit: -1
"""


def _readme_sample() -> str:
    text = README.read_text("utf-8")
    start = text.index("cc-relay.yaml: 2 problem(s) in config:")
    block = text[start : text.index("```", start)]
    return "\n".join(line.removeprefix("  ") for line in block.rstrip().splitlines())


def test_readme_sample_error_matches_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cc-relay.yaml").write_text(SAMPLE_CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ConfigError) as info:
        load_config(Path("cc-relay.yaml"), env={"ANTHROPIC_API_KEY": "sk-ant-sample-0001"})

    assert str(info.value) == _readme_sample()
