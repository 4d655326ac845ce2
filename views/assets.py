"""Static files as served: bundled, content-hashed, pre-compressed, cached for good (issue 16).

The build (`build()`, run by `make` through scripts/build_sw.py and, when the sources are
newer than its output, by the app at start-up) writes static/dist/:

- one stylesheet per page type, concatenated from static/css/* in BUNDLES' order, minified
  (rcssmin; our scripts by rjsmin: the sources keep their comments, the wire does not) (htmx's
  boosted navigation swaps only <body>, so every page that can be reached by a boosted link
  needs the same sheet: the app has one, the printable right-to-read copy its own);
- every file under static/{css,js,icons,vendor} under a name with its content hash
  (`js/app.3f9a….js`); ES module imports (`import "./device.js"`) are rewritten to the
  hashed names, so a module's hash covers what it imports;
- `.gz` and `.br` next to every text file (WhiteNoise serves the one the browser accepts);
- manifest.json: source name → hashed name, read by `url_for('static', …)` and by the
  service worker's precache list (scripts/build_sw.py).

Serving: WhiteNoise wraps the WSGI app; hashed files get `Cache-Control: max-age=…,
immutable`, anything else under /static/ is revalidated. HTML and JSON answers are
compressed here (Brotli or gzip, as the browser accepts) after the app made them.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import re
import time
import zlib
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import Flask, request, url_for
from whitenoise import WhiteNoise

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
DIST = "dist"
FOLDERS = ("css", "js", "icons", "vendor")
# The worker is served at /sw.js and imports its list at a fixed address: never hashed.
NOT_HASHED = {"js/sw.js", "js/sw-manifest.js"}
# One sheet per page type, in cascade order. Every file in static/css belongs to one
# (tests/test_static_assets.py checks it): a new sheet is added here, not in a template.
BUNDLES = {
    "app": ["css/app.css", "css/tally.css", "css/journal.css", "css/notes.css",
            "css/manage.css", "css/records.css", "css/admin.css"],
    "records-copy": ["css/records-copy.css"],  # the printable right-to-read copy
    "records-print": ["css/records-print.css"],  # WeasyPrint's (PDF); no browser page loads it
}
COMPRESSIBLE = {".css", ".js", ".svg", ".json", ".webmanifest", ".txt", ".map"}
IMPORT = re.compile(r'''((?:^|\s|;)(?:import|export)\b[^"'\n]*?["'])(\./[^"']+)(["'])''', re.M)
BUILD_VERSION = "3"
KEEP_OLD_DAYS = 7  # bump when the build's output format changes


def bundle_name(name: str) -> str:
    return f"css/bundle-{name}.css"


# --- the build -------------------------------------------------------------------------------


def sources(static: Path = STATIC) -> list[str]:
    return sorted(
        p.relative_to(static).as_posix() for folder in FOLDERS for p in (static / folder).rglob("*")
        if p.is_file() and not p.name.startswith(".")
        and p.relative_to(static).as_posix() not in NOT_HASHED)


def signature(static: Path = STATIC) -> str:
    """Cheap: names, sizes and modification times of the sources (no reading)."""
    digest = hashlib.sha256(BUILD_VERSION.encode())
    for name in sources(static):
        st = (static / name).stat()
        digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return digest.hexdigest()[:20]


def _hashed_name(name: str, data: bytes) -> str:
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}.{suffix}" if dot else name


def minify_css(data: bytes) -> bytes:
    return rcssmin.cssmin(data.decode()).encode()


def _contents(static: Path) -> dict[str, bytes]:
    files = {name: (static / name).read_bytes() for name in sources(static)}
    for name, parts in BUNDLES.items():
        files[bundle_name(name)] = b"\n".join(
            minify_css(files[part]) for part in parts if part in files)
    return files


def _resolve(files: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """source name → (hashed name, bytes), JS imports rewritten bottom-up."""
    done: dict[str, tuple[str, bytes]] = {}

    def visit(name: str, trail: tuple = ()) -> tuple[str, bytes]:
        if name in done:
            return done[name]
        data = files[name]
        if name.endswith(".js") and name not in trail:
            folder = name.rsplit("/", 1)[0]

            def swap(match: re.Match) -> str:
                target = os.path.normpath(f"{folder}/{match.group(2)}")
                if target not in files or target in trail:
                    return match.group(0)
                hashed = visit(target, (*trail, name))[0]
                return f"{match.group(1)}./{hashed.rsplit('/', 1)[1]}{match.group(3)}"

            data = IMPORT.sub(swap, data.decode()).encode()
            if not name.startswith("vendor/"):  # vendor files come minified
                data = rjsmin.jsmin(data.decode()).encode()
        elif name.endswith(".css") and not name.startswith("css/bundle-"):
            data = minify_css(data)
        done[name] = (_hashed_name(name, data), data)
        return done[name]

    for name in files:
        visit(name)
    return done


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def build(static: Path = STATIC) -> dict:
    """Write static/dist/ and its manifest; returns the manifest."""
    out = static / DIST
    resolved = _resolve(_contents(static))
    written = set()
    for hashed, data in resolved.values():
        _write(out / hashed, data)
        written.add(hashed)
        if Path(hashed).suffix in COMPRESSIBLE:
            if not (out / f"{hashed}.gz").exists():
                _write(out / f"{hashed}.gz", gzip.compress(data, 9, mtime=0))
            if not (out / f"{hashed}.br").exists():
                _write(out / f"{hashed}.br", brotli.compress(data, quality=11))
            written |= {f"{hashed}.gz", f"{hashed}.br"}
    manifest = {"signature": signature(static),
                "files": {name: hashed for name, (hashed, _d) in sorted(resolved.items())}}
    manifest["version"] = hashlib.sha256(
        json.dumps(manifest["files"], sort_keys=True).encode()).hexdigest()[:16]
    _write(out / "manifest.json", json.dumps(manifest, indent=1).encode())
    # What earlier builds left stays a while: a server started before this build (or an
    # old page in a phone's tab) still asks for it by its old name.
    old_enough = time.time() - KEEP_OLD_DAYS * 86400
    for path in out.rglob("*"):
        rel = path.relative_to(out).as_posix()
        if (path.is_file() and rel != "manifest.json" and rel not in written
                and path.stat().st_mtime < old_enough):
            path.unlink()
    return manifest


def precached(manifest: dict) -> list[str]:
    """The hashed files a page of the app loads (for the service worker's precache list):
    the app's sheet, the scripts, the icons; not the sheets that only feed the bundles."""
    files = manifest["files"]
    return sorted(f"/static/{DIST}/{hashed}" for name, hashed in files.items()
                  if not name.startswith("css/") or name == bundle_name("app"))


def load_manifest(static: Path = STATIC) -> dict | None:
    try:
        return json.loads((static / DIST / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def ensure_built(static: Path = STATIC) -> dict:
    """The manifest, building first when the sources changed since (one process at a time)."""
    manifest = load_manifest(static)
    if manifest is not None and manifest.get("signature") == signature(static):
        return manifest
    (static / DIST).mkdir(parents=True, exist_ok=True)
    with open(static / DIST / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = load_manifest(static)
        if manifest is None or manifest.get("signature") != signature(static):
            manifest = build(static)
    return manifest


# --- serving ---------------------------------------------------------------------------------

# What is worth compressing on the way out, and how hard: Brotli 4 and gzip 6 cost well
# under a millisecond for a page and take HTML to a fifth (bench/transfer.py).
COMPRESS_TYPES = {"text/html", "application/json", "text/css", "application/javascript",
                  "text/javascript", "application/manifest+json", "text/plain", "text/csv"}
# Smaller answers stay as they are (the Content-Encoding header would eat the gain); the
# web manifest (559 B, on every first load) is worth it: Brotli halves it.
COMPRESS_MIN = 256
BROTLI_QUALITY = 4
GZIP_LEVEL = 6


def _accepts(header: str, coding: str) -> bool:
    """Does Accept-Encoding take `coding` (named, with a q above zero)?"""
    for part in header.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() == coding:
            for param in params:
                key, _, value = param.partition("=")
                if key.strip().lower() == "q":
                    try:
                        return float(value) > 0
                    except ValueError:
                        return False
            return True
    return False


def compress(response):
    """Brotli or gzip for a text answer the browser accepts that way (after_request)."""
    if (response.direct_passthrough or response.is_streamed
            or response.status_code < 200 or response.status_code in (204, 304)
            or "Content-Encoding" in response.headers
            or response.mimetype not in COMPRESS_TYPES):
        return response
    # One Vary header with every name (others added theirs as separate lines).
    vary = [v.strip() for line in response.headers.get_all("Vary") for v in line.split(",")]
    response.headers["Vary"] = ", ".join(dict.fromkeys([*filter(None, vary), "Accept-Encoding"]))
    accepted = request.headers.get("Accept-Encoding", "")
    coding = ("br" if _accepts(accepted, "br") else
              "gzip" if _accepts(accepted, "gzip") else None)
    data = response.get_data()
    if coding is None or len(data) < COMPRESS_MIN:
        return response
    if coding == "br":
        packed = brotli.compress(data, quality=BROTLI_QUALITY)
    else:
        packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        packed = packer.compress(data) + packer.flush()
    response.set_data(packed)
    response.headers["Content-Encoding"] = coding
    if response.headers.get("ETag"):  # same content, other bytes: a weak tag (as nginx)
        response.set_etag(response.get_etag()[0], weak=True)
    return response


def _static_headers(headers, _path, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if not url.startswith(f"/static/{DIST}/"):
        headers["Cache-Control"] = "no-cache"


def register(app: Flask) -> None:
    """Call before anything else adds an after_request: compression must run last."""
    static = Path(app.static_folder)
    try:
        manifest = ensure_built(static)
    except OSError:  # a read-only static folder that was never built: plain names
        manifest = load_manifest(static) or {"files": {}, "version": ""}
    hashed = manifest["files"]
    app.extensions["nara_assets"] = manifest

    @app.url_defaults
    def _hashed_static(endpoint: str, values: dict) -> None:
        if endpoint == "static":
            name = hashed.get(values.get("filename", ""))
            if name is not None:
                values["filename"] = f"{DIST}/{name}"

    def stylesheet(name: str) -> str:
        """The one sheet of a page type (BUNDLES)."""
        return url_for("static", filename=bundle_name(name))

    app.jinja_env.globals["stylesheet"] = stylesheet
    app.after_request(compress)
    app.wsgi_app = WhiteNoise(
        app.wsgi_app, root=str(static), prefix="static/", max_age=None,
        immutable_file_test=lambda _path, url: url.startswith(f"/static/{DIST}/"),
        add_headers_function=_static_headers, allow_all_origins=False)
