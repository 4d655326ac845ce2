"""Journal benchmark (issue 5).

1. A thread with 500 notes renders in <= 100 ms server time (median), on SQLite and on
   PostgreSQL (127.0.0.1:5432, skipped if absent). Server time = the Flask test client, no
   network, in a process set up as `app:serve()` sets up a server's; it includes the access
   check and the access-log row committed before rendering.
2. Saving a note over HTTP (htmx: new bubble + fresh composer, with its access-log row) is
   >= 40 % of the throughput of bare Flask inserting one row into SQLite per POST
   (bench/baseline_app.py), both served by one gunicorn worker on 127.0.0.1, measured in the
   same run, same client loop. Load is bounded: N requests or T seconds, whichever first.

Exit status 1 when a target is missed. `python bench/journal.py --thread` measures the thread
renders only (part 1; nothing is recorded for bench/RESULTS.md).
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app, settle_heap  # noqa: E402
from bench._report import Row, record  # noqa: E402
from bench._serving import serve  # noqa: E402
from models import access  # noqa: E402
from models.core.clock import local_today  # noqa: E402
from models.core.db import new_session, utcnow  # noqa: E402
from models.journal.entries import add_entry  # noqa: E402
from models.journal.people import (  # noqa: E402
    ConsentInput,
    assign_staff,
    create_client,
    open_assignment,
    record_consent,
)
from models.journal.plans import GoalInput, save_plan  # noqa: E402
from models.journal.shift import add_phrase  # noqa: E402
from views.cli import upgrade_database  # noqa: E402

ENTRIES = 500
RENDERS = 30
RENDER_TARGET_MS = 100.0
SAVES = 300
SAVE_SECONDS = 40.0
SAVE_TARGET = 0.40
PASSWORD = "bench-password-2026"
PG_URL = os.environ.get("BENCH_PG_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def seed(url: str, entries: int) -> tuple[int, int]:
    """A unit, two staff, a client with consent, a plan and `entries` notes."""
    app = create_app({"DATABASE_URL": url, "FAST_PASSWORD_HASHING": True})
    with app.test_request_context("/"), new_session(app.extensions["nara_engine"]) as s:
        unit = access.create_unit(s, "Hemtjänst Bench")
        hanna = access.create_user(s, "hanna", "Hanna Hemtjänst", PASSWORD, units=[unit])
        hugo = access.create_user(s, "hugo", "Hugo Hemtjänst", PASSWORD, units=[unit])
        today = local_today()
        client = create_client(s, unit, "Astrid Bench", "19380515-2380")
        a = open_assignment(s, client, "sol", "Hemtjänst", today - timedelta(days=400),
                            today - timedelta(days=401))
        assign_staff(s, client, hanna, today - timedelta(days=400))
        assign_staff(s, client, hugo, today - timedelta(days=400))
        record_consent(s, hanna, client, a, ConsentInput(
            given_on=today.isoformat(), given_how="written",
            valid_until=(today + timedelta(days=300)).isoformat(), purpose="Samordning"))
        save_plan(s, hanna, a, [GoalInput(life_area="self_care", goal="Duscha själv"),
                                GoalInput(life_area="mobility", goal="Promenera")],
                  "Astrid, Hanna", "Deltog", today + timedelta(days=90))
        for text_ in ("Besöket genomfört enligt plan.", "Insatsen uteblev – brukaren inte hemma."):
            add_phrase(s, unit, text_, "action")
        start = utcnow() - timedelta(days=300)
        for i in range(entries):
            author = hanna if i % 3 else hugo
            add_entry(s, author, client, a.id, ("action", "circumstance", "event")[i % 3],
                      f"Anteckning {i}: besöket genomfört, Astrid duschade med stöd och "
                      f"berättade om veckan.", occurred_at=start + timedelta(hours=i * 14),
                      now=start + timedelta(hours=i * 14, minutes=20))
        s.commit()
        ids = client.id, a.id
    app.extensions["nara_engine"].dispose()
    return ids


def render_times(url: str) -> list[float]:
    client_id, _ = seed(url, ENTRIES)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    settle_heap()  # as `app:serve()` does in a served process
    web = app.test_client()
    token = _csrf_from(web.get("/login").get_data(as_text=True))
    web.post("/login", data={"username": "hanna", "password": PASSWORD, "csrf_token": token})
    times = []
    for i in range(RENDERS + 3):
        t0 = time.perf_counter()
        response = web.get(f"/journal/{client_id}")
        elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 200, response.status_code
        assert response.get_data(as_text=True).count('class="bubble entry') == ENTRIES + 2
        if i >= 3:  # warm-up
            times.append(elapsed)
    app.extensions["nara_engine"].dispose()
    return times


def _csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf token in page"
    return match.group(1)


# --- HTTP throughput --------------------------------------------------------------------


class Browser:
    """A cookie-keeping client on one fresh connection per request (gunicorn sync worker)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        head = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        head.update(headers or {})
        data = None
        if body is not None:
            data = urlencode(body)
            head["Content-Type"] = "application/x-www-form-urlencoded"
        con.request(method, path, body=data, headers=head)
        response = con.getresponse()
        payload = response.read().decode()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        con.close()
        return response.status, payload


def _rate(send) -> tuple[float, int]:
    for _ in range(5):  # warm-up
        send()
    done, t0 = 0, time.perf_counter()
    while done < SAVES and time.perf_counter() - t0 < SAVE_SECONDS:
        send()
        done += 1
    return done / (time.perf_counter() - t0), done


def save_rates(tmp: Path) -> tuple[float, float, int, int, float]:
    base_proc, base_port = serve("bench.baseline_app:app", {"BASELINE_DB": str(tmp / "b.db")})
    try:
        plain = Browser(base_port)

        def base_send():
            status, _ = plain.request("POST", "/insert", {"body": "Besöket genomfört."})
            assert status == 201, status

        base_rps, base_n = _rate(base_send)
    finally:
        base_proc.terminate()
        base_proc.wait(10)

    url = f"sqlite:///{tmp / 'nara.db'}"
    upgrade_database(url)
    client_id, assignment_id = seed(url, 20)
    nara_proc, nara_port = serve("bench._floor_app:app", {
        "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "RATELIMIT_ENABLED": "0",
        "NARA_ENV": "development"})
    try:
        phone = Browser(nara_port)
        _, login = phone.request("GET", "/login")
        status, _ = phone.request("POST", "/login", {
            "username": "hanna", "password": PASSWORD, "csrf_token": _csrf_from(login)})
        assert status == 302, status
        _, page = phone.request("GET", f"/journal/{client_id}")
        token = _csrf_from(page)
        headers = {"X-CSRFToken": token, "HX-Request": "true", "HX-Request-Type": "partial"}

        def nara_send():
            status, body = phone.request("POST", f"/journal/{client_id}/entries", {
                "assignment": assignment_id, "category": "action", "when": "now",
                "text": "Besöket genomfört enligt plan. Astrid duschade själv.",
                "client_uuid": str(uuid.uuid4())}, headers)
            assert status == 200 and "bubble entry mine" in body, (status, body[:300])

        nara_rps, nara_n = _rate(nara_send)

        def floor_send():  # the stack's floor: a signed-in, CSRF-checked POST, no work
            status, _ = phone.request("POST", "/bench/floor", {"x": "1"}, headers)
            assert status == 201, status

        floor_rps, _ = _rate(floor_send)
    finally:
        nara_proc.terminate()
        nara_proc.wait(10)
    return base_rps, nara_rps, base_n, nara_n, floor_rps


# --- PostgreSQL ---------------------------------------------------------------------------


def pg_database():
    """A fresh database on the local PostgreSQL, or None when there is none."""
    try:
        base = make_url(PG_URL)
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        name = f"nara_bench_{os.getpid()}"
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            con.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as error:  # noqa: BLE001 - no server: the row says so
        print(f"  (PostgreSQL not reachable: {type(error).__name__})")
        return None, None
    return base.set(database=name).render_as_string(hide_password=False), name


def drop_pg(name: str) -> None:
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main(thread_only: bool = False) -> int:
    ok = True
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        url = f"sqlite:///{tmp / 'render.db'}"
        upgrade_database(url)
        sqlite_ms = render_times(url)
        rows.append(("thread, 500 notes, SQLite", sqlite_ms))
        pg_url, pg_name = pg_database()
        if pg_url:
            try:
                upgrade_database(pg_url)
                rows.append(("thread, 500 notes, PostgreSQL", render_times(pg_url)))
            finally:
                drop_pg(pg_name)
        if not thread_only:
            base_rps, nara_rps, base_n, nara_n, floor_rps = save_rates(tmp)

    print(f"{'measure':<34} {'median':>9} {'p95':>9} {'target':>10}  verdict")
    for name, times in rows:
        median = statistics.median(times)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        good = median <= RENDER_TARGET_MS
        ok &= good
        print(f"{name:<34} {median:>7.1f}ms {p95:>7.1f}ms {'<=100ms':>10}  "
              f"{'ok' if good else 'MISSED'}")
    if thread_only:
        return 0 if ok else 1
    ratio = nara_rps / base_rps
    good = ratio >= SAVE_TARGET
    ok &= good
    print(f"{'baseline: bare Flask+SQLite insert':<34} {base_rps:>7.0f}/s {'':>9} {'':>10}  "
          f"({base_n} POSTs)")
    print(f"{'floor: signed-in POST, no work':<34} {floor_rps:>7.0f}/s {'':>9} {'':>10}  "
          f"{floor_rps / base_rps:.0%} of baseline: what every request of the stack costs")
    print(f"{'save a note (htmx) + access log':<34} {nara_rps:>7.0f}/s {'':>9} {'>=40%':>10}  "
          f"{ratio:.0%} {'ok' if good else 'MISSED'} ({nara_n} POSTs; "
          f"{nara_rps / floor_rps:.0%} of the floor)")
    figures = [Row(f"{name}: median", statistics.median(times), "ms",
                   target=f"≤ {RENDER_TARGET_MS:.0f} ms",
                   met=statistics.median(times) <= RENDER_TARGET_MS) for name, times in rows]
    figures += [Row(f"{name}: p95", sorted(times)[int(len(times) * 0.95) - 1], "ms")
                for name, times in rows]
    figures += [
        Row("journal save (htmx) + access log", nara_rps, "req/s", base_rps,
            "bare Flask + sqlite3 insert", target=f"≥ {SAVE_TARGET:.0%}", met=good),
        Row("stack floor: signed-in CSRF-checked POST doing nothing", floor_rps, "req/s",
            base_rps, "bare Flask + sqlite3 insert"),
        # the save's own cost, apart from what every request of the stack pays
        Row("journal save against the stack floor", nara_rps, "req/s", floor_rps,
            "stack floor, same run"),
    ]
    record("journal", figures)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(thread_only="--thread" in sys.argv[1:]))
