"""What travels on the wire (issue 16): hashed static files cached for good, one sheet per
page type, compressed answers, personal pages never stored, the catalogue revalidated."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import brotli
import pytest

from tests.conftest import soup
from views import assets

ROOT = Path(__file__).resolve().parent.parent


def _links(response) -> list[str]:
    page = soup(response)
    return [t.get("href") or t.get("src") for t in page.select("link[href], script[src], img[src]")
            if (t.get("href") or t.get("src")).startswith("/static/")]


def test_a_page_links_one_stylesheet_by_its_hashed_name(client):
    sheets = soup(client.get("/login")).select('link[rel="stylesheet"]')
    assert len(sheets) == 1
    assert sheets[0]["href"].startswith("/static/dist/css/bundle-app.")


def test_every_static_link_of_a_page_is_a_hashed_file_cached_for_good(client):
    links = _links(client.get("/login"))
    assert links
    for url in links:
        response = client.get(url)
        assert response.status_code == 200, url
        assert url.startswith("/static/dist/"), url
        assert "immutable" in response.headers["Cache-Control"], url
        assert "max-age=315360000" in response.headers["Cache-Control"], url


def test_a_hashed_file_keeps_the_security_headers(client):
    url = _links(client.get("/login"))[0]
    response = client.get(url)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def test_a_file_by_its_plain_name_is_revalidated_not_kept(client):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_bundle_holds_every_sheet_of_its_page_type_in_order(app):
    hashed = app.extensions["nara_assets"]["files"]["css/bundle-app.css"]
    bundle = (Path(app.static_folder) / "dist" / hashed).read_text()
    positions = [bundle.index(assets.minify_css((Path(app.static_folder) / part).read_bytes())
                              .decode()) for part in assets.BUNDLES["app"]]
    assert positions == sorted(positions)


def test_every_sheet_belongs_to_a_bundle():
    on_disk = {f"css/{p.name}" for p in (ROOT / "static" / "css").glob("*.css")}
    bundled = {part for parts in assets.BUNDLES.values() for part in parts}
    assert on_disk == bundled


def test_a_script_imports_its_modules_by_their_hashed_names(app, client):
    files = app.extensions["nara_assets"]["files"]
    source = client.get(f"/static/dist/{files['js/app.js']}").get_data(as_text=True)
    device = files["js/device.js"].rsplit("/", 1)[1]
    assert f'"./{device}"' in source
    assert '"./device.js"' not in source


@pytest.mark.parametrize("coding, unpack", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_static_files_come_precompressed_as_the_browser_accepts(client, coding, unpack):
    url = soup(client.get("/login")).select_one('link[rel="stylesheet"]')["href"]
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers={"Accept-Encoding": coding})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == coding
    assert unpack(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3


@pytest.mark.parametrize("accept, coding", [
    ("br, gzip", "br"), ("gzip, deflate", "gzip"), ("gzip;q=1, br;q=0", "gzip"),
    ("identity", None), ("", None)])
def test_pages_are_compressed_as_the_browser_accepts(client, accept, coding):
    response = client.get("/login", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == coding
    assert "Accept-Encoding" in response.headers.get_all("Vary")[0] + ",".join(
        response.headers.get_all("Vary"))
    body = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[coding](response.data)
    assert b"<!doctype html>" in body


def test_a_compressed_personal_page_is_still_never_stored(client, people):
    people.user("fia")
    people.login("fia")
    response = client.get("/", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_catalogue_carries_its_version_and_is_revalidated(client, fia):
    response = client.get("/tally/catalogue.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["ETag"]


def test_a_repeat_catalogue_request_is_a_small_304(client, fia):
    first = client.get("/tally/catalogue.json", headers={"Accept-Encoding": "br"})
    again = client.get("/tally/catalogue.json",
                       headers={"If-None-Match": first.headers["ETag"], "Accept-Encoding": "br"})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["Cache-Control"] == "private, no-cache"


def test_another_session_gets_the_catalogue_again_not_a_304(app, client, fia, people):
    first = client.get("/tally/catalogue.json")
    other = app.test_client()
    people.login(fia, other)
    response = other.get("/tally/catalogue.json",
                         headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    assert response.headers["ETag"] != first.headers["ETag"]


def test_the_workers_precache_list_is_the_build_manifests(app):
    spec = importlib.util.spec_from_file_location("build_sw", ROOT / "scripts" / "build_sw.py")
    build_sw = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_sw)
    files = build_sw.manifest()["files"]
    hashed = app.extensions["nara_assets"]["files"]
    assert f"/static/dist/{hashed['css/bundle-app.css']}" in files
    assert f"/static/dist/{hashed['js/app.js']}" in files
    assert f"/static/dist/{hashed['vendor/htmx.min.js']}" in files
    assert not [f for f in files if f.startswith("/static/") and "/dist/" not in f]
