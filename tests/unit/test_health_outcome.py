"""Which upstream outcomes count against a circuit."""

from __future__ import annotations

import pytest

from cc_relay.health import counts_as_failure


@pytest.mark.parametrize(
    ("status", "timeout", "connect_error", "expected"),
    [
        (None, True, False, True),
        (None, False, True, True),
        (None, True, True, True),
        (None, False, False, False),
        (200, False, False, False),
        (204, False, False, False),
        (301, False, False, False),
        (100, False, False, False),
        (200, True, False, True),  # the stream stalled after the status line
        (200, False, True, True),  # the connection broke mid-response
        (400, False, False, False),
        (401, False, False, False),
        (403, False, False, False),
        (404, False, False, False),
        (409, False, False, False),
        (413, False, False, False),
        (422, False, False, False),
        (408, False, False, True),
        (429, False, False, True),
        (500, False, False, True),
        (502, False, False, True),
        (503, False, False, True),
        (504, False, False, True),
        (529, False, False, True),
        (599, False, False, True),
    ],
)
def test_counts_as_failure_table(
    status: int | None, timeout: bool, connect_error: bool, expected: bool
) -> None:
    assert counts_as_failure(status, timeout=timeout, connect_error=connect_error) is expected


def test_counts_as_failure_every_status_class() -> None:
    failing = {s for s in range(100, 600) if counts_as_failure(s)}
    assert failing == {408, 429} | set(range(500, 600))


def test_counts_as_failure_flags_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        counts_as_failure(None, True)  # type: ignore[call-arg]
