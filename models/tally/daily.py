"""The tallies' daily counts, kept in step with the tallies (issue 16 §3).

Statistics ask for sums over a period: how many tallies, how many of each option, per
bucket (day, week, month) of a range of local days. Read from the value rows, a year of a
busy activity is some 160,000 rows at 1 M tallies; read from these counts it is a row per
(day, field, option, unit) that occurred, about a tenth as many, and the number no longer
grows with the tallies but with the days and the catalogue.

``TallyDay`` holds, per activity, local day (NARA_TIMEZONE), field, option and unit:
``n``, the sum of the live value rows' counts, and ``key_sum``, the sum of their record
keys (a cell key is that sum modulo 2³², models/manage/protection.py). The tallies
themselves are the row with field ``TALLIES`` and option ``NO_OPTION``: n is how many,
key_sum the sum of their record keys. A count field's row has option ``NO_OPTION``
(its value rows have none). Field keys and option codes are never empty, so neither
marker can be a real one.

Every write to the tallies goes through here in the same transaction: a stored tally adds
its rows (``count_saved``), a voided one (undone, corrected) takes them away
(``count_voided``), an import adds its batch (``count_imported``). Each is one INSERT … ON
CONFLICT DO UPDATE with its rows in key order, so two saves of the same activity-day lock
the rows they share in the same order on PostgreSQL and cannot deadlock. ``rebuild``
computes the counts from the value rows (the benchmark's generated data; migration
0020_daily16 holds its own copy); ``drift`` compares them, for the tests and for an
operator who doubts them (`flask tallies check-counts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, PrimaryKeyConstraint, text
from sqlmodel import Field, Session, SQLModel

from models.core.db import upsert_insert
from models.core.zone import LOCAL_TZ, local_date

TALLIES = ""  # the field of the row that counts the tallies themselves
NO_OPTION = ""  # the option of a count field's row and of the tallies' row


class TallyDay(SQLModel, table=True):
    """Sums of one day's live value rows of one activity, field, option and unit."""

    __tablename__ = "tally_day"
    __table_args__ = (
        # Key order = read order: a field of an activity over a range of days. The sums
        # ride in the key's index (PostgreSQL: INCLUDE; SQLite: the table is its key), so a
        # period is read from the index alone.
        PrimaryKeyConstraint("activity_id", "field_key", "day", "choice", "unit_id",
                             name="pk_tally_day", postgresql_include=["n", "key_sum"]),
        {"sqlite_with_rowid": False},
    )

    activity_id: int = Field(foreign_key="activity.id")
    field_key: str = Field(max_length=32)
    day: date
    choice: str = Field(max_length=24)
    unit_id: int = Field(foreign_key="unit.id")
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
    key_sum: int = Field(sa_column=Column(BigInteger, nullable=False))


_KEY = ["activity_id", "field_key", "day", "choice", "unit_id"]
_UPSERT: dict = {}


def _upsert(session: Session):
    dialect = session.get_bind().dialect.name
    stmt = _UPSERT.get(dialect)
    if stmt is None:
        table = TallyDay.__table__
        insert = upsert_insert(session, table)
        stmt = _UPSERT[dialect] = insert.on_conflict_do_update(
            index_elements=_KEY,
            set_={"n": table.c.n + insert.excluded.n,
                  "key_sum": table.c.key_sum + insert.excluded.key_sum})
    return stmt


def _rows(activity_id: int, unit_id: int, occurred_at: datetime, record_key: int,
          values: Iterable[tuple[str, str | None, int]], sign: int) -> list[dict]:
    """The tally's own row and one per value row, signed."""
    day = local_date(occurred_at)
    rows = [{"activity_id": activity_id, "day": day, "field_key": TALLIES,
             "choice": NO_OPTION, "unit_id": unit_id, "n": sign, "key_sum": sign * record_key}]
    rows += [{"activity_id": activity_id, "day": day, "field_key": key,
              "choice": NO_OPTION if choice is None else choice, "unit_id": unit_id,
              "n": sign * count, "key_sum": sign * record_key}
             for key, choice, count in values]
    return rows


def _write(session: Session, rows: list[dict]) -> None:
    if rows:
        rows.sort(key=lambda r: tuple(r[k] for k in _KEY))
        session.execute(_upsert(session), rows)


def count_saved(session: Session, activity_id: int, unit_id: int, occurred_at: datetime,
        record_key: int, values: Iterable[tuple[str, str | None, int]]) -> None:
    """A stored tally: its values are (field key, option or None, count)."""
    _write(session, _rows(activity_id, unit_id, occurred_at, record_key, values, 1))


def count_voided(session: Session, activity_id: int, unit_id: int, occurred_at: datetime,
             record_key: int, values: Iterable[tuple[str, str | None, int]]) -> None:
    """A voided tally: what `count_saved` added, taken away."""
    _write(session, _rows(activity_id, unit_id, occurred_at, record_key, values, -1))


def count_imported(session: Session, tallies: Iterable[tuple[int, int, datetime, int, list]],
                   chunk: int = 2_000) -> None:
    """Many stored tallies at once (an import): (activity, unit, occurred_at, record key,
    values) each, summed per row first so every row is written once (plain tuples: an
    import of 100,000 tallies sums some 600,000 values here)."""
    sums: dict[tuple, list[int]] = {}
    days: dict[datetime, date] = {}
    for activity_id, unit_id, occurred_at, record_key, values in tallies:
        day = days.get(occurred_at)
        if day is None:
            day = days[occurred_at] = local_date(occurred_at)
        for key, choice, count in ((TALLIES, None, 1), *values):
            row = (activity_id, key, day, NO_OPTION if choice is None else choice, unit_id)
            total = sums.get(row)
            if total is None:
                sums[row] = [count, record_key]
            else:
                total[0] += count
                total[1] += record_key
    keys = sorted(sums)
    for start in range(0, len(keys), chunk):
        _write(session, [dict(zip(_KEY, key, strict=True), n=sums[key][0], key_sum=sums[key][1])
                         for key in keys[start:start + chunk]])


def _local_day_sql(session: Session, column: str) -> str:
    if session.get_bind().dialect.name == "postgresql":
        return f"CAST(({column} AT TIME ZONE :tz) AS DATE)"
    return f"nara_local_day({column})"  # registered on each SQLite connection (models.core.db)


_COLUMNS = "activity_id, day, field_key, choice, unit_id, n, key_sum"


def _true_counts(session: Session) -> tuple[str, str]:
    """The two SELECTs that count from the tallies themselves, in `_COLUMNS` order: the
    tallies' own rows, and their fields' rows."""
    day = _local_day_sql(session, "occurred_at")
    return (
        f"SELECT activity_id, {day}, '{TALLIES}', '{NO_OPTION}', unit_id, COUNT(*), "
        "SUM(record_key) FROM tally WHERE voided_at IS NULL"
        f" GROUP BY activity_id, {day}, unit_id",
        f"SELECT activity_id, {day}, field_key, COALESCE(choice, '{NO_OPTION}'), unit_id, "
        "SUM(count), SUM(record_key) FROM tally_value WHERE voided = false"
        f" GROUP BY activity_id, {day}, field_key, COALESCE(choice, '{NO_OPTION}'), unit_id")


def rebuild(session: Session) -> None:
    """The counts computed afresh from the tallies and their value rows: after data was
    written around `count_saved` (the benchmark's generator), or to repair them
    (`flask tallies check-counts --repair`)."""
    session.execute(text("DELETE FROM tally_day"))
    for select_sql in _true_counts(session):
        session.execute(text(f"INSERT INTO tally_day ({_COLUMNS}) {select_sql}"),
                        {"tz": LOCAL_TZ.key})


def drift(session: Session) -> list[tuple]:
    """Rows where the kept counts differ from the tallies' own (empty when in step):
    (activity, day, field, option, unit, kept n, kept key sum, true n, true key sum)."""
    tallies, fields = _true_counts(session)
    kept = f"SELECT {_COLUMNS} FROM tally_day WHERE n <> 0 OR key_sum <> 0"
    rows = session.execute(text(
        f"WITH t ({_COLUMNS}) AS ({tallies} UNION ALL {fields})"
        " SELECT COALESCE(k.activity_id, t.activity_id), COALESCE(k.day, t.day),"
        " COALESCE(k.field_key, t.field_key), COALESCE(k.choice, t.choice),"
        " COALESCE(k.unit_id, t.unit_id), k.n, k.key_sum, t.n, t.key_sum"
        f" FROM ({kept}) k FULL OUTER JOIN t"
        " ON t.activity_id = k.activity_id AND t.day = k.day AND t.field_key = k.field_key"
        " AND t.choice = k.choice AND t.unit_id = k.unit_id"
        " WHERE k.n IS NULL OR t.n IS NULL OR k.n <> t.n OR k.key_sum <> t.key_sum"),
        {"tz": LOCAL_TZ.key})
    return [tuple(r) for r in rows]
