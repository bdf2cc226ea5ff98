"""The dashboard's files ship inside the package and obey the CSP: no inline scripts
or styles, nothing loaded from another origin, no HTML built from strings."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources

STATIC = resources.files("cc_relay.web") / "static"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _index_tags() -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed((STATIC / "index.html").read_text(encoding="utf-8"))
    return parser.tags


def test_web_index_has_no_inline_code_and_loads_only_its_own_files() -> None:
    names = {entry.name for entry in STATIC.iterdir()}
    for tag, attrs in _index_tags():
        assert "style" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert attrs.get("src") in names and attrs.get("type") == "module"
        if tag == "link" and attrs.get("rel") == "stylesheet":
            assert attrs.get("href") in names


def test_web_scripts_import_only_their_siblings_and_never_write_html() -> None:
    scripts = [entry for entry in STATIC.iterdir() if entry.name.endswith(".js")]
    names = {entry.name for entry in scripts}
    for script in scripts:
        source = script.read_text(encoding="utf-8")
        assert "innerHTML" not in source and "eval(" not in source, script.name
        for imported in re.findall(r'from "\./([^"]+)"', source):
            assert imported in names, (script.name, imported)
        # The SVG namespace is a name, not a place anything is loaded from.
        remote = source.replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in remote and "https://" not in remote, script.name
