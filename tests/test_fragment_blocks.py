"""An htmx answer renders one block of a template (jinja2-fragments), and a block rendered
alone does not see the template's top-level imports: a macro it uses must be imported
inside the block (the log review's rows answered 500 to a filter change)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_CALL = re.compile(r'render\(\s*"([^"]+\.html)",\s*"([a-z_]+)"')
_IMPORT_AS = re.compile(r'import\s+"[^"]+"\s+as\s+(\w+)')
_FROM = re.compile(r'from\s+"[^"]+"\s+import\s+([\w, ]+?)(?:\s+with context)?\s*-?%}')


def _fragments() -> list[tuple[str, str]]:
    found = set()
    for path in (ROOT / "views").rglob("*.py"):
        found |= set(_CALL.findall(path.read_text(encoding="utf-8")))
    return sorted(found)


def _names(text: str) -> set[str]:
    names = set(_IMPORT_AS.findall(text))
    for group in _FROM.findall(text):
        names |= {n.strip() for n in group.split(",") if n.strip()}
    return names


def test_the_views_render_fragments():
    assert len(_fragments()) >= 5  # the scan below must have something to check


@pytest.mark.parametrize(("template", "block"), _fragments())
def test_a_fragment_block_imports_the_macros_it_uses(template, block):
    text = (ROOT / "templates" / template).read_text(encoding="utf-8")
    body = re.search(r"{%-?\s*block\s+" + block + r"\s*-?%}(.*?){%-?\s*endblock", text, re.S)
    assert body is not None, f"{template} has no block {block}"
    outside = _names(text) - _names(body.group(1))
    used = [n for n in outside if re.search(r"\b" + n + r"\s*[.(]", body.group(1))]
    assert used == [], f"{template} block {block} uses {used} imported outside the block"
