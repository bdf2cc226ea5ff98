"""The request path under a few thousand hostile requests: never a 5xx, a traceback or a
hang (``bench/fuzz.py`` runs the same cases by the hundred thousand)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.background import Background
from tests.conftest import provider
from tests.emulators import AnthropicEmulator, EmulatorBase, OllamaEmulator
from tests.hostile import Case, cases, problem, send

#: Cases per run; CI keeps it to a few thousand (well under 30 s).
EXAMPLES = int(os.environ.get("CC_RELAY_FUZZ_EXAMPLES", "2000"))


def _emulators() -> tuple[EmulatorBase, ...]:
    return AnthropicEmulator(), OllamaEmulator(models=["qwen3"])


def _providers(emulators: Sequence[EmulatorBase]) -> list[dict[str, Any]]:
    """Two providers, one of them a translating dialect."""
    emu, ollama = emulators
    return [
        provider(emu, keys=["sk-up-fuzz"]),
        provider(ollama, name="ollama", type="ollama", models=["glm-4.6"]),
    ]


@pytest.fixture(scope="module")
def background() -> Iterator[Background]:
    with Background(_emulators, _providers, source="fuzz") as served:
        yield served


def test_fuzz_every_answer_is_served_or_an_anthropic_4xx(background: Background) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        case: Case = data.draw(cases(port=background.port))
        status, headers, body = send(background.port, case)
        found = problem(case, status, headers, body)
        assert found is None, f"{found}\n{case}"

    check()
