"""First load of the inbox as served (issue 16 §2): bytes on the wire, cold cache.

Nära runs as the README's production command runs it (gunicorn, `app:serve()`), on a
temporary SQLite database with the demo data. A client that behaves like a browser on a
cold cache (Accept-Encoding: br, gzip; a cookie jar; nothing cached) signs in and loads
the inbox: the page, every stylesheet, script, icon and the web manifest it links, the
ES modules those scripts import statically (a dynamic `import()` in app.js loads a page
type's own script only on that page), and /tally/catalogue.json (which the page's script
fetches on load). Not counted: the service worker and its precache, which app.js
registers only after the page's load event (the offline copies, fetched in the
background; what the page loaded comes from the HTTP cache). Counted: every response's
status line, headers and body as received.

Then a repeat visit: the same resources with the validators a browser keeps
(If-None-Match for the catalogue; hashed static files are `immutable` and not asked for
at all). Baseline in the same run: the same first load with compression refused
(Accept-Encoding: identity), i.e. what the files weigh.

Targets: ≤ 40 KB first load for fia; the catalogue's repeat is a 304.
"""

from __future__ import annotations

import http.client
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import Row, record  # noqa: E402
from bench._serving import serve, stop  # noqa: E402

TARGET_BYTES = 40 * 1024
BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) Nara-bench",
           "Accept": "*/*", "Accept-Language": "sv-SE,sv;q=0.9"}


class Client:
    """A cookie jar and a byte counter (a connection per request: gunicorn's sync worker)."""

    def __init__(self, port: int, encoding: str):
        self.port, self.encoding = port, encoding
        self.cookies: dict[str, str] = {}

    def get(self, path: str, headers: dict | None = None, body: str | None = None,
            method: str = "GET") -> tuple[int, int, bytes, dict]:
        head = {**BROWSER, "Accept-Encoding": self.encoding, **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            head["Content-Type"] = "application/x-www-form-urlencoded"
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        con.request(method, path, body=body, headers=head)
        response = con.getresponse()
        data = response.read()
        con.close()
        wire = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + 2 + sum(
            len(k) + len(v) + 4 for k, v in response.getheaders()) + len(data)
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, wire, self.decode(data, response), dict(response.getheaders())

    @staticmethod
    def decode(data: bytes, response) -> bytes:
        coding = response.getheader("Content-Encoding")
        if coding == "br":
            import brotli

            return brotli.decompress(data)
        if coding == "gzip":
            import gzip

            return gzip.decompress(data)
        return data


def sign_in(client: Client, username: str, password: str) -> None:
    _s, _w, page, _h = client.get("/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    status, *_ = client.get("/login", body=urlencode(
        {"csrf_token": token, "username": username, "password": password}), method="POST")
    assert status == 302, status


def first_load(client: Client, path: str = "/") -> tuple[list[tuple[str, int, int]], dict]:
    """[(url, status, bytes on the wire)] for the page and what it pulls; and the ETags."""
    status, wire, html, _h = client.get(path)
    rows = [(path, status, wire)]
    text = html.decode()
    queue = list(dict.fromkeys(re.findall(
        r'<(?:link|script|img)[^>]+(?:src|href)="(/static/[^"]+|/manifest\.webmanifest)"', text)))
    queue.append("/tally/catalogue.json")
    seen, tags = set(queue), {}
    while queue:
        url = queue.pop(0)
        status, wire, body, headers = client.get(url)
        rows.append((url, status, wire))
        if headers.get("ETag"):
            tags[url] = headers["ETag"]
        if url.endswith(".js"):
            base = url.rsplit("/", 1)[0]
            # static imports only: a dynamic import("./x.js") loads on the pages that
            # need it (app.js PAGE_SCRIPTS), not on the inbox
            for name in re.findall(r'(?<!import\()["\']\./([\w.-]+\.js)["\']', body.decode()):
                if f"{base}/{name}" not in seen:
                    seen.add(f"{base}/{name}")
                    queue.append(f"{base}/{name}")
    return rows, tags


def repeat_load(client: Client, rows, tags, path: str = "/") -> list[tuple[str, int, int]]:
    """What a browser asks again: the page, non-immutable files and the catalogue."""
    out = []
    status, wire, _b, _h = client.get(path)
    out.append((path, status, wire))
    for url, _status, _wire in rows[1:]:
        if url.startswith("/static/dist/"):
            continue  # immutable: the browser does not ask
        headers = {"If-None-Match": tags[url]} if url in tags else {}
        status, wire, _b, _h = client.get(url, headers)
        out.append((url, status, wire))
    return out


def compression_cost(pages: dict) -> list[Row]:
    """What compressing a page and the catalogue costs per request, as views/assets.py does
    it (CPU time in this process; baseline: the same bytes copied)."""
    import time
    import zlib

    import brotli

    from views.assets import BROTLI_QUALITY, GZIP_LEVEL

    bodies = [b for pair in pages.values() for b in pair]

    def per_body(fn, rounds=200) -> float:
        start = time.process_time()
        for _ in range(rounds):
            for body in bodies:
                fn(body)
        return (time.process_time() - start) / rounds / len(bodies) * 1e6

    def gz(body):
        packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
        return packer.compress(body) + packer.flush()

    size = sum(map(len, bodies)) // len(bodies)
    copy = per_body(bytes)
    rows = [Row(f"Brotli {BROTLI_QUALITY} per answer (inbox, catalogue; {size} B on average)",
                per_body(lambda b: brotli.compress(b, quality=BROTLI_QUALITY)), "µs", copy,
                "copying the bytes"),
            Row(f"gzip {GZIP_LEVEL} per answer", per_body(gz), "µs", copy, "copying the bytes")]
    for r in rows:
        print(f"{r.figure}: {r.value:.0f} µs")
    return rows


def main() -> int:
    from app import create_app
    from models.core.db import new_session
    from models.demo import DEMO_PASSWORD, seed_demo
    from views.cli import upgrade_database

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade_database(url)
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        with app.app_context(), new_session(app.extensions["nara_engine"]) as session:
            seed_demo(session)
        app.extensions["nara_engine"].dispose()
        process, port = serve("app:serve()", {
            "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "RATELIMIT_ENABLED": "0",
            "NARA_ENV": "development", "PREFER_HTTPS": "0"}, workers=1)
        results, pages = {}, {}
        try:
            for user in ("fia", "maja"):
                for encoding in ("br, gzip", "identity"):
                    client = Client(port, encoding)
                    sign_in(client, user, DEMO_PASSWORD)
                    rows, tags = first_load(client)
                    if encoding == "identity":  # the bodies as the app makes them
                        pages[user] = [client.get(p)[2] for p in ("/", "/tally/catalogue.json")]
                    results[(user, encoding)] = (rows, repeat_load(client, rows, tags))
        finally:
            stop(process)

    figures = []
    for (user, encoding), (rows, again) in results.items():
        if encoding != "br, gzip":
            continue
        plain = results[(user, "identity")][0]
        total, plain_total = sum(r[2] for r in rows), sum(r[2] for r in plain)
        print(f"-- first load of the inbox, {user}, cold cache (Accept-Encoding: {encoding})")
        for url, status, wire in rows:
            print(f"  {url:<58} {status:>4} {wire:>8} B")
        print(f"  {'total':<58} {len(rows):>4} {total:>8} B   "
              f"(uncompressed: {plain_total} B)")
        repeat = sum(r[2] for r in again)
        print(f"-- repeat visit, {user}: {len(again)} requests, {repeat} B "
              f"({', '.join(f'{u} {s}' for u, s, _w in again[1:])})")
        catalogue = next((s for u, s, _w in again if u == "/tally/catalogue.json"), None)
        figures += [
            Row(f"first load of the inbox as served ({user}, cold cache, {len(rows)} requests)",
                total, "B", plain_total, "same files uncompressed",
                target="≤ 40,960 B" if user == "fia" else "",
                met=total <= TARGET_BYTES if user == "fia" else None),
            Row(f"repeat visit of the inbox ({user})", repeat, "B", total, "first load"),
        ]
        if user == "fia":
            figures.append(Row("catalogue.json on a repeat visit", str(catalogue), "",
                               target="304", met=catalogue == 304))
    figures += compression_cost(pages)
    record("transfer", figures)
    fia = next(f for f in figures if f.met is not None)
    ok = all(f.met for f in figures if f.met is not None)
    print(f"fia's first load: {fia.value} B (target ≤ {TARGET_BYTES} B): "
          f"{'met' if ok else 'TARGET MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
