"""Where a key path is in a YAML document: the line a problem should point at.

Validation works on the parsed document, so its problems name key paths
(``providers[0].keys[1]``); an editor wants lines. The document is composed once (nodes
keep their marks) and each path is walked down it. A key that is missing points at its
mapping, an unknown key at itself.
"""

from __future__ import annotations

import re

import yaml

__all__ = ["lines_of"]

_PART = re.compile(r"\[(\d+)\]|([^.\[]+)")


def lines_of(text: str, paths: list[str]) -> list[int]:
    """The 1-based line of each key path in ``text``; 0 where there is none (the whole
    document, or a text that is not YAML)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return [0] * len(paths)
    return [_line(root, path) if root is not None and path else 0 for path in paths]


def _parts(path: str) -> list[str | int]:
    return [int(index) if index else name for index, name in _PART.findall(path)]


def _line(node: yaml.Node, path: str) -> int:
    parts = _parts(path)
    at = 0
    while at < len(parts):
        part = parts[at]
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node, at = node.value[part], at + 1
        elif isinstance(node, yaml.MappingNode) and isinstance(part, str):
            found = _child(node, parts, at)
            if found is None:
                break
            node, at = found
        else:
            break
    return int(node.start_mark.line) + 1


def _child(node: yaml.MappingNode, parts: list[str | int], at: int) -> tuple[yaml.Node, int] | None:
    """The value under the longest run of name parts from ``at`` that is a key here (a
    key may hold dots: ``model_pricing`` patterns such as ``claude-3.5-*``), or the key
    itself when the path ends there: its line, even when its value starts below it."""
    keys = {str(k.value): (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    end = at
    while end < len(parts) and isinstance(parts[end], str):
        end += 1
    for stop in range(end, at, -1):
        name = ".".join(str(p) for p in parts[at:stop])
        if name in keys:
            key, value = keys[name]
            return (key if stop == len(parts) else value), stop
    return None
