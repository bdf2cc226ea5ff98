"""Provider dialects are imported when a config first uses one, in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from cc_relay.config.loading import validate
from cc_relay.providers import create

def loaded():
    return sorted(m.rsplit(".", 1)[-1] for m in sys.modules
                  if m.startswith("cc_relay.providers.") and m.count(".") == 2)

config = validate({"providers": [
    {"name": "a", "type": "anthropic", "base_url": "http://127.0.0.1:9", "keys": ["k"]},
    {"name": "o", "type": "openai", "base_url": "http://127.0.0.1:9", "keys": ["k"]},
]}, source="probe")
create(config.providers[0])
print(" ".join(loaded()))
create(config.providers[1])
print(" ".join(loaded()))
from cc_relay.providers import BedrockProvider
print(BedrockProvider.__name__, "bedrock" in loaded())
"""


def test_a_dialect_is_imported_when_first_used() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    anthropic_only, with_openai, bedrock = result.stdout.splitlines()
    assert "anthropic" in anthropic_only.split()
    assert not {"openai", "bedrock", "vertex", "azure", "ollama"} & set(anthropic_only.split())
    assert "openai" in with_openai.split() and "bedrock" not in with_openai.split()
    assert bedrock == "BedrockProvider True"  # the package's name still works, on demand
