"""Historic tally import benchmark (issue 18 §2): 100,000 spreadsheet rows into Nära.

Generates a CSV of 100,000 rows for Allvarssamtal (date, gender, age, problem area, route
in; one tally per row) — generation not timed — and times, on a fresh migrated SQLite
database (WAL, as served):

- baseline: the same file parsed with the csv module and its rows inserted with one
  sqlite3 executemany into a bare table (what moving the bytes costs at least);
- the dry run (`check_file`: every row validated as the composer validates);
- the import (`import_file`: validation + the tallies and their values stored, committed).

Target: the import of 100,000 rows under 30 s. Exit status 1 on a miss.
Scale with BENCH_IMPORT_ROWS.
"""

from __future__ import annotations

import csv
import io
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from models import access  # noqa: E402
from models.catalogue import (  # noqa: E402
    DEFAULT_FILE,
    import_catalogue,
    load_file,
    units_of_activity,
)
from models.core.db import new_session  # noqa: E402
from models.demo.tally import DEMO_UNIT_MAP  # noqa: E402
from models.tally import check_file, find_activity, import_file  # noqa: E402
from views.cli import upgrade_database  # noqa: E402

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
TARGET_S = 30.0
HEADER = ["Datum", "Kön", "Ålder", "Problematik", "Väg in"]


def make_file(rows: int) -> bytes:
    rnd = random.Random(18)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    first = date(2024, 1, 1)
    for _ in range(rows):
        writer.writerow([
            (first + timedelta(days=rnd.randrange(700))).isoformat(),
            rnd.choice(["Tjej", "Kille", "Annat / vill inte svara"]), str(rnd.randint(13, 21)),
            rnd.choice(["Skola", "Kriminalitet", "Psykisk ohälsa", "Annat"]),
            rnd.choice(["Polis", "Skola", "Egen kontakt"])])
    return out.getvalue().encode()


def baseline(data: bytes, folder: Path) -> float:
    con = sqlite3.connect(folder / "baseline.db")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (day TEXT, gender TEXT, age TEXT, problem TEXT, route TEXT)")
    start = time.perf_counter()
    rows = list(csv.reader(io.StringIO(data.decode()), delimiter=";"))[1:]
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", rows)
    con.commit()
    took = time.perf_counter() - start
    con.close()
    return took


def run() -> list[dict]:
    data = make_file(ROWS)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = baseline(data, folder)
        app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'nara.db'}",
                          "FAST_PASSWORD_HASHING": True})
        with app.app_context():
            upgrade_database(app.config["DATABASE_URL"])
            engine = app.extensions["nara_engine"]
            with new_session(engine) as session:
                import_catalogue(session, load_file(DEFAULT_FILE), DEMO_UNIT_MAP,
                                 create_units=True)
                admin = access.create_user(session, "ada", "Ada Admin", "a long password 1",
                                           "admin", [])
                session.commit()
                activity = find_activity(session, "faltare-allvarssamtal")
                unit_id = units_of_activity(session, activity.id)[0].id
                earliest, today = date(2016, 1, 1), date(2026, 12, 1)
                start = time.perf_counter()
                report = check_file(session, activity, unit_id, data, "b.csv", earliest, today)
                dry = time.perf_counter() - start
                assert report.ok and report.tallies == ROWS, report.problems[:3]
                start = time.perf_counter()
                report = import_file(session, admin, activity, unit_id, data, "b.csv",
                                     earliest, today)
                session.commit()
                full = time.perf_counter() - start
                assert report.stored == ROWS
            engine.dispose()
    return [
        {"figure": f"historic import, {ROWS:,} rows: dry run", "value": f"{dry:.1f} s",
         "baseline": f"{base:.2f} s", "ratio": f"{dry / base:.0f}×", "target": "—",
         "met": None},
        {"figure": f"historic import, {ROWS:,} rows: stored", "value": f"{full:.1f} s",
         "baseline": f"{base:.2f} s (csv + sqlite3 executemany)",
         "ratio": f"{full / base:.0f}×", "target": f"< {TARGET_S:.0f} s",
         "met": full < TARGET_S},
    ]


_ROWS: list[dict] | None = None


def rows() -> list[dict]:
    """The figures for bench/RESULTS.md (measured once per run)."""
    global _ROWS
    if _ROWS is None:
        _ROWS = run()
    return _ROWS


def main() -> int:
    figures = rows()
    from bench._report import Row, record
    record("tally_import", [Row(r["figure"], float(r["value"].split()[0]), "s",
                                float(r["baseline"].split()[0]), "csv + sqlite3 executemany",
                                target=r["target"] if r["target"] != "—" else "",
                                met=r["met"]) for r in figures])
    print(f"{'figure':45} {'value':>9} {'baseline':>40} {'ratio':>6} {'target':>8}  met")
    for r in figures:
        met = "" if r["met"] is None else ("yes" if r["met"] else "MISSED")
        print(f"{r['figure']:45} {r['value']:>9} {r['baseline']:>40} {r['ratio']:>6} "
              f"{r['target']:>8}  {met}")
    return 0 if all(r["met"] is not False for r in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
