"""The service worker's precache list and cache version are generated (scripts/build_sw.py),
never edited by hand."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("build_sw", ROOT / "scripts" / "build_sw.py")
build_sw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_sw)


def test_precache_list_covers_every_script_icon_the_app_sheet_and_the_vendor_htmx():
    # by their content-hashed names (views/assets.py, issue 16): what the pages link
    files = set(build_sw.manifest()["files"])
    hashed = build_sw.assets.load_manifest()["files"]
    on_disk = {p.relative_to(ROOT / "static").as_posix()
               for folder in ("js", "icons") for p in (ROOT / "static" / folder).iterdir()}
    wanted = on_disk - {"js/sw.js", "js/sw-manifest.js"} | {
        "css/bundle-app.css", "vendor/htmx.min.js"}
    assert {f"/static/dist/{hashed[name]}" for name in wanted} <= files


def test_precache_list_holds_the_shell_pages_but_not_the_worker_itself():
    files = build_sw.manifest()["files"]
    assert {"/offline", "/signed-out", "/tally/shell", "/manifest.webmanifest"} <= set(files)
    assert "/static/js/sw.js" not in files and "/static/js/sw-manifest.js" not in files


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the files the manifest is made from."""
    for folder in ("static", "templates", "translations"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("sw-manifest.js", "*.mo"))
    return tmp_path


def test_version_changes_when_a_static_file_changes(tree):
    before = build_sw.version(tree / "static", tree)
    sheet = tree / "static" / "css" / "app.css"
    sheet.write_text(sheet.read_text() + "\n/* changed */\n")
    assert build_sw.version(tree / "static", tree) != before


def test_version_changes_when_a_shell_page_template_changes(tree):
    before = build_sw.version(tree / "static", tree)
    page = tree / "templates" / "pwa" / "offline.html"
    page.write_text(page.read_text() + "\n")
    assert build_sw.version(tree / "static", tree) != before


def test_version_stays_when_nothing_changes(tree):
    assert build_sw.version(tree / "static", tree) == build_sw.version(tree / "static", tree)


def test_generated_manifest_is_up_to_date():
    generated = ROOT / "static" / "js" / "sw-manifest.js"
    assert generated.exists(), "run make (scripts/build_sw.py writes it)"
    assert generated.read_text() == build_sw.render(build_sw.manifest()), "run make"
