"""Key paths found in a YAML document: the lines a problem points at."""

from __future__ import annotations

from cc_relay.config.lines import lines_of

DOCUMENT = """\
server:
  listn: 127.0.0.1:1
providers:
  - name: a
    type: anthropic
    keys:
      - key: k1
      - key: k2
        rpm_limit: -1
    model_pricing:
      claude-3.5-*:
        input: x
  - name: b
servr:
  a: 1
"""


def test_each_path_points_at_its_key() -> None:
    paths = [
        "server.listn",  # an unknown key: its own line
        "providers[0].keys[1].rpm_limit",  # list indexes
        "providers[0].model_pricing.claude-3.5-*.input",  # a key holding dots
        "servr",  # a key whose value starts below it: the key's line
    ]
    assert lines_of(DOCUMENT, paths) == [2, 9, 12, 14]


def test_a_missing_key_points_at_the_deepest_place_that_exists() -> None:
    assert lines_of(DOCUMENT, ["providers[1].type", "providers[7].name"]) == [13, 4]


def test_no_line_for_the_document_or_a_text_that_is_not_yaml() -> None:
    assert lines_of(DOCUMENT, [""]) == [0]
    assert lines_of("a: [", ["a"]) == [0]
    assert lines_of("", ["server"]) == [0]
