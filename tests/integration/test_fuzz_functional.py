"""The request path under a few thousand hostile requests: never a 5xx, a traceback or a
hang (``bench/fuzz.py`` runs the same cases by the hundred thousand)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_relay.config.loading import validate
from cc_relay.server import RelayServer
from tests.conftest import provider
from tests.emulators import AnthropicEmulator, OllamaEmulator
from tests.hostile import Case, cases, problem, send

#: Cases per run; CI keeps it to a few thousand (well under 30 s).
EXAMPLES = int(os.environ.get("CC_RELAY_FUZZ_EXAMPLES", "2000"))


class Background:
    """A relay (two providers, one of them a translating dialect) and its emulators,
    served from a thread of their own so hypothesis can drive them synchronously."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),))

    async def _main(self) -> None:
        async with AnthropicEmulator() as emu, OllamaEmulator(models=["qwen3"]) as ollama:
            config = validate(
                {
                    "server": {"listen": "127.0.0.1:0"},
                    "providers": [
                        provider(emu, keys=["sk-up-fuzz"]),
                        provider(ollama, name="ollama", type="ollama", models=["glm-4.6"]),
                    ],
                },
                source="fuzz",
            )
            async with RelayServer(config) as relay:
                self.port = relay.port
                self._ready.set()
                await self._stop.wait()

    def __enter__(self) -> Background:
        self._thread.start()
        assert self._ready.wait(20), "the fuzz relay did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self.loop.close()


@pytest.fixture(scope="module")
def background() -> Iterator[Background]:
    with Background() as served:
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
