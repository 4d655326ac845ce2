"""Statistics benchmark (issue 7).

Generates 1,000,000 tallies over 3 years for 17 activities (the seed-001 catalogue's 16
tallied activities and one more like them) in 4 units — generation is not timed — and
times the monthly breakdown by every field of one activity (Allvarssamtal) over one year:
target <= 200 ms (median) on SQLite and on PostgreSQL (127.0.0.1:5432; skipped if absent).

Measured in the same run, on the same rows:
- baseline: the cheapest question about them, COUNT(*) of that activity's tallies in the
  year (what any statistics page costs at least);
- the breakdown as one GROUP BY in SQL (models.stats.series_counts) — the target;
- the same breakdown turned into every monthly table, suppressed for sharing;
- the same breakdown done the naive way: fetch the value rows, count in Python.

The query plan is printed when the target is missed. Exit status 1 then.
Scale with BENCH_TALLIES (default 1000000); BENCH_PG_URL picks the PostgreSQL server.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from models import access  # noqa: E402
from models.catalogue import (  # noqa: E402
    DEFAULT_FILE,
    Activity,
    ActivityUnit,
    base_field_set,
    import_catalogue,
    load_file,
    spec_of,
)
from models.core.db import new_session  # noqa: E402
from models.manage.aggregate import (  # noqa: E402
    _value_filter,
    fields_of,
    period_of,
    scope_for,
    series_counts,
    tally_total,
)
from models.manage.report import _field_series_grid, build_report  # noqa: E402
from models.tally import TallyValue  # noqa: E402
from views.cli import upgrade_database  # noqa: E402

TALLIES = int(os.environ.get("BENCH_TALLIES", "1000000"))
YEARS = 3
TARGET_MS = 200.0
RUNS = 15
WARMUP = 2
ACTIVITY = "faltare-allvarssamtal"
PG_URL = os.environ.get("BENCH_PG_URL") or os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
UNITS = {  # seed 001's responsible units, gathered into four Nära units
    "Familjecentral": "Familjecentralen", "Fältare": "Fältgruppen",
    "Mötesplats": "Mötesplatsen", "Familj- och ungdomsteamet": "Mötesplatsen",
    "Mottaget MY": "Mötesplatsen", "Ungdomsmottagningen": "Ungdom och familj",
    "Öppenvården": "Ungdom och familj", "Rörligt elevstöd": "Ungdom och familj",
    "Äldreomsorgen": "Ungdom och familj",
}
FIRST_DAY = date(2023, 1, 1)  # three whole years: 2023, 2024, 2025
TIMED_YEAR = date(2024, 6, 1)


def catalogue() -> dict:
    """The seed-001 catalogue plus a seventeenth tallied activity like the others."""
    data = load_file(DEFAULT_FILE)
    extra = dict(next(a for a in data["activities"] if a["key"] == "faltare-gruppverksamhet"))
    extra.update(key="bench-extra-gruppverksamhet", name="Gruppverksamhet (extra)")
    data["activities"].append(extra)
    return data


def prepare(url: str) -> dict:
    """Schema, catalogue, units and a manager; what the generator needs to know."""
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "FAST_PASSWORD_HASHING": True})
    with app.test_request_context("/"), new_session(app.extensions["nara_engine"]) as s:
        import_catalogue(s, catalogue(), UNITS, create_units=True)
        units = list(s.execute(select(access.Unit)).scalars())
        staff = access.create_user(s, "bench", "Bench Staff", "bench-password-2026",
                                   units=units)
        access.create_user(s, "chef", "Bench Chef", "bench-password-2026",
                           role=access.Role.manager, units=units)
        plan = []
        for activity in s.execute(select(Activity)).scalars():
            fs = base_field_set(s, activity.id)
            if fs is None:
                continue
            unit_ids = list(s.execute(select(ActivityUnit.unit_id).where(
                ActivityUnit.activity_id == activity.id)).scalars())
            plan.append((activity.id, fs.id, unit_ids, spec_of(s, fs.id).fields))
        s.commit()
    app.extensions["nara_engine"].dispose()
    assert len(plan) == 17, f"expected 17 tallied activities, got {len(plan)}"
    assert len(units) == 4, f"expected 4 units, got {len(units)}"
    return {"plan": plan, "user": staff.id}


def rows_for(fields, rng: random.Random):
    """(field_key, choice, count) rows of one random, valid tally."""
    out = []
    for f in fields:
        codes = [o.code for o in f.options]
        if f.kind in ("choice", "age"):
            out.append((f.key, rng.choice(codes), 1))
        elif f.kind == "multi":
            out += [(f.key, c, 1) for c in rng.sample(codes, rng.choice((0, 0, 1, 2)))]
        elif f.kind == "count":
            out.append((f.key, None, rng.randint(f.min or 0, min(f.max or 5, 5))))
        elif f.kind == "split":
            out += [(f.key, c, rng.randint(1, 6)) for c in rng.sample(codes, 2)]
    return out


def generate(info: dict, n: int, seed: int = 7):
    """Yields (tally row, value rows) for n tallies spread over three years."""
    rng = random.Random(seed)
    span = (date(FIRST_DAY.year + YEARS, 1, 1) - FIRST_DAY).days * 86400
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC)
    for tally_id in range(1, n + 1):
        activity_id, fs_id, unit_ids, fields = info["plan"][tally_id % len(info["plan"])]
        unit_id = rng.choice(unit_ids)
        occurred = start + timedelta(seconds=rng.randrange(span))
        created = occurred + timedelta(seconds=rng.randrange(30, 7200))
        voided = rng.random() < 0.01
        tally = (tally_id, uuid.uuid4(), activity_id, unit_id, info["user"], fs_id, occurred,
                 created, created if voided else None, info["user"] if voided else None,
                 "undo" if voided else None)
        values = [(tally_id, activity_id, unit_id, fs_id, key, choice, count, occurred, voided)
                  for key, choice, count in rows_for(fields, rng)]
        yield tally, values


TALLY_COLS = ("id", "client_uuid", "activity_id", "unit_id", "user_id", "field_set_id",
              "occurred_at", "created_at", "voided_at", "voided_by_id", "void_reason")
VALUE_COLS = ("tally_id", "activity_id", "unit_id", "field_set_id", "field_key", "choice",
              "count", "occurred_at", "voided")


def _sqlite_time(dt):
    return None if dt is None else dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def fill_sqlite(path: str, info: dict, n: int) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    tally_sql = f"INSERT INTO tally ({','.join(TALLY_COLS)}) VALUES ({','.join('?' * 11)})"
    value_sql = f"INSERT INTO tally_value ({','.join(VALUE_COLS)}) VALUES ({','.join('?' * 9)})"
    tallies, values = [], []
    for tally, rows in generate(info, n):
        t = list(tally)
        t[1] = t[1].hex
        t[6], t[7], t[8] = _sqlite_time(t[6]), _sqlite_time(t[7]), _sqlite_time(t[8])
        tallies.append(t)
        values += [(*r[:7], _sqlite_time(r[7]), int(r[8])) for r in rows]
        if len(tallies) >= 50000:
            con.executemany(tally_sql, tallies)
            con.executemany(value_sql, values)
            tallies, values = [], []
    con.executemany(tally_sql, tallies)
    con.executemany(value_sql, values)
    con.commit()
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def fill_postgresql(url: str, info: dict, n: int) -> None:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as con, con.cursor() as cur:
        # One COPY at a time per connection: tallies, then their values, chunk by chunk.
        chunk: list = []
        for item in generate(info, n):
            chunk.append(item)
            if len(chunk) >= 50000:
                _copy_chunk(cur, chunk)
                chunk = []
        _copy_chunk(cur, chunk)
        cur.execute("SELECT setval('tally_id_seq', (SELECT max(id) FROM tally))")
        cur.execute("SELECT setval('tally_value_id_seq', (SELECT max(id) FROM tally_value))")
        con.commit()
        con.autocommit = True
        cur.execute("VACUUM ANALYZE tally")
        cur.execute("VACUUM ANALYZE tally_value")


def _copy_chunk(cur, chunk) -> None:
    with cur.copy(f"COPY tally ({','.join(TALLY_COLS)}) FROM STDIN") as copy:
        for tally, _rows in chunk:
            copy.write_row(tally)
    with cur.copy(f"COPY tally_value ({','.join(VALUE_COLS)}) FROM STDIN") as copy:
        for _tally, rows in chunk:
            for row in rows:
                copy.write_row(row)


def timed(fn) -> tuple[float, float]:
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def measure(url: str, label: str) -> list[tuple]:
    app = create_app({"DATABASE_URL": url, "FAST_PASSWORD_HASHING": True})
    engine = app.extensions["nara_engine"]
    out = []
    with app.test_request_context("/"), new_session(engine) as s:
        chef = s.execute(select(access.User).where(access.User.username == "chef")).scalar_one()
        activity = s.execute(select(Activity).where(Activity.key == ACTIVITY)).scalar_one()
        scope = scope_for(s, chef, [], activity.id)
        year = period_of("year", TIMED_YEAR)
        keys = [f.key for f in fields_of(s, [activity.id])]
        total = tally_total(s, scope, year)

        def breakdown():
            return series_counts(s, scope, year, keys)

        def naive():
            counts = Counter()
            rows = s.execute(select(TallyValue.occurred_at, TallyValue.field_key,
                                    TallyValue.choice, TallyValue.count)
                             .where(_value_filter(scope, year, keys)))
            for occurred, key, choice, count in rows:
                counts[(occurred.astimezone(UTC).month, key, choice)] += count
            return counts

        def tables():
            report = build_report(s, scope, year, shared=True)
            for key in keys:
                _field_series_grid(s, report, key, "sv")
            return report

        cells = len(breakdown())
        out.append((label, "baseline: COUNT(*) of the activity-year", *timed(
            lambda: tally_total(s, scope, year)), total))
        median, worst = timed(breakdown)
        out.append((label, "monthly breakdown, every field (SQL)", median, worst, cells))
        out.append((label, "  … as shared tables (suppressed)", *timed(tables), len(keys)))
        out.append((label, "  … naive: rows to Python", *timed(naive), cells))
        if median > TARGET_MS:
            print(f"\n{label}: over target; query plan:")
            stmt = select(func.count()).select_from(TallyValue).where(
                _value_filter(scope, year, keys))
            compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
            explain = "EXPLAIN QUERY PLAN " if url.startswith("sqlite") else "EXPLAIN ANALYZE "
            for row in s.execute(text(explain + str(compiled))):
                print("   ", *row)
    engine.dispose()
    return out


def sqlite_run(workdir: str) -> list[tuple]:
    path = os.path.join(workdir, "bench.db")
    url = f"sqlite:///{path}"
    info = prepare(url)
    t0 = time.perf_counter()
    fill_sqlite(path, info, TALLIES)
    print(f"SQLite: generated {TALLIES:,} tallies in {time.perf_counter() - t0:.0f} s "
          "(not timed)", flush=True)
    return measure(url, "SQLite")


def postgresql_run() -> list[tuple]:
    base = make_url(PG_URL)
    name = f"nara_bench_stats_{os.getpid()}"
    try:
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as con:
            con.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001  (no server: skip, say so)
        print(f"PostgreSQL skipped: {error.__class__.__name__}")
        return []
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        info = prepare(url)
        t0 = time.perf_counter()
        fill_postgresql(url, info, TALLIES)
        print(f"PostgreSQL: generated {TALLIES:,} tallies in {time.perf_counter() - t0:.0f} s "
              "(not timed)", flush=True)
        return measure(url, "PostgreSQL")
    finally:
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="nara-bench-stats-") as workdir:
        rows = sqlite_run(workdir) + postgresql_run()
    print(f"\nStatistics: {TALLIES:,} tallies, 17 activities, 4 units, {YEARS} years; "
          f"one activity ({ACTIVITY}), one year, monthly, every field. "
          f"Median and worst of {RUNS} runs.")
    print(f"{'database':<11} {'what':<42} {'median ms':>10} {'worst ms':>9} {'rows':>8}")
    for label, what, median, worst, n in rows:
        print(f"{label:<11} {what:<42} {median:>10.1f} {worst:>9.1f} {n:>8}")
    failed = [r for r in rows if r[1].startswith("monthly") and r[2] > TARGET_MS]
    for label, _what, median, _worst, _n in failed:
        print(f"MISSED: {label} {median:.1f} ms > {TARGET_MS:.0f} ms")
    if not failed:
        print(f"Target met: the breakdown is <= {TARGET_MS:.0f} ms on every database run.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
