"""First-load transfer size of the inbox: every resource the page pulls, raw and gzipped.

Baseline in the same run: the bare login page (the smallest page we serve). Sizes are what
a phone downloads on first visit; later visits get static files from the service worker.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from models.core.db import new_session  # noqa: E402
from models.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from views.cli import upgrade_database  # noqa: E402


def page_weight(client, path: str) -> list[tuple[str, int, int]]:
    html = client.get(path).get_data()
    rows = [(path, len(html), len(gzip.compress(html, 6)))]
    text = html.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+|/manifest\.webmanifest)"', text)
    seen: dict[str, None] = dict.fromkeys(assets)
    queue = list(seen)
    while queue:
        asset = queue.pop(0)
        body = client.get(asset).get_data()
        rows.append((asset, len(body), len(gzip.compress(body, 6))))
        if asset.endswith(".js"):  # ES module imports load too
            base = asset.rsplit("/", 1)[0]
            for name in re.findall(r'^import "\./([^"]+)"', body.decode(), re.M):
                url = f"{base}/{name}"
                if url not in seen:
                    seen[url] = None
                    queue.append(url)
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade_database(url)
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        with app.app_context(), new_session(app.extensions["nara_engine"]) as session:
            seed_demo(session)
        client = app.test_client()
        login = page_weight(client, "/login")
        client.post("/login", data={"username": "fia", "password": DEMO_PASSWORD,
                                    "csrf_token": _csrf(client)})
        inbox = page_weight(client, "/")
        print(f"{'resource':<40} {'raw B':>9} {'gzip B':>9}")
        for name, rows in (("baseline: /login", login), ("inbox (fia)", inbox)):
            print(f"-- {name}")
            for path, raw, gz in rows:
                print(f"{path:<40} {raw:>9} {gz:>9}")
            print(f"{'total':<40} {sum(r[1] for r in rows):>9} {sum(r[2] for r in rows):>9}")
        app.extensions["nara_engine"].dispose()


def _csrf(client) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


if __name__ == "__main__":
    main()
