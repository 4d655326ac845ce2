"""Historic tallies from a spreadsheet (issue 18 §2): last year's Excel into Nära.

A municipality moving to Nära has its earlier tallies in a spreadsheet. `check_file` reads
one (CSV or XLSX, the first sheet), maps its columns to the activity's tally fields and
validates every row **exactly as the composer does** (`record.validate` against the field
set now in force for the unit); `import_file` stores the tallies when every row is valid,
or only the valid ones with `skip_invalid`, in one transaction.

The file's shape (both are accepted, and may be mixed):

- one row per tally: a date column and one column per field;
- one row per counted cell: the same, plus a count column (``antal``/``count``) saying how
  many tallies had that combination (0 is an empty cell and stores nothing).

Columns are named by a field's key, its Swedish or its English label, in any case; a split
field has one column per option, named ``key.code`` or ``Label: Option`` (e.g.
``Antal barn och kön: Flickor``); a multi field's options are separated by ``;`` or ``,``;
an option is given by its code or either label. A time column (``tid``/``time``, HH:MM) is
optional; without it a tally happened at noon, as an earlier day in the composer does. A
column Nära does not know is an error: a misspelt field must not be dropped in silence.

Dates may be of any age within the statistics' keeping (`earliest`, from the
configuration), never in the future: the composer's 14-day backdating limit is for
tallies made at the event, not for history.

Exactly once per file: the file's SHA-256 is stored with the import (who, when, file name,
activity, unit, counts) and a second import of the same bytes stores nothing. Every tally
carries its import's id, so imported statistics can be told apart and, if need be, taken
out again as one batch. The tallies' submission ids are derived from the checksum and the
row, so even a crash half-way cannot leave a part that a retry would store twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, LargeBinary, delete, insert
from sqlmodel import Field, Session, SQLModel, select

from models.access import User
from models.catalogue import Activity, FieldSetSpec, FieldSpec, Kind, current_field_set, spec_of
from models.catalogue.specs import activity_unit_ids
from models.core.clock import LOCAL_TZ
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.core.parse import parse_int
from models.tally.daily import count_imported
from models.tally.record import NOON, Tally, TallyValue, new_record_key, validate

MAX_BYTES = 20 * 1024 * 1024  # 100,000 rows of a wide sheet fit with room to spare
MAX_ROWS = 200_000
MAX_COUNT = 10_000  # tallies one counted cell may stand for
SHOWN_PROBLEMS = 200  # the report lists this many rows; the count says how many in all

DATE_NAMES = {"datum", "date", "dag", "day"}
TIME_NAMES = {"tid", "time", "klockslag", "kl"}
COUNT_NAMES = {"antal", "count", "antal pinnar", "tallies", "antal tillfällen med kombinationen"}
_NAMESPACE = uuid.UUID("5b0a4c36-6e0f-4a5e-9d1a-2f1c7d6c9a11")  # of imported tallies' ids


class TallyImport(SQLModel, table=True):
    """One imported file: who, when, which file (name and SHA-256), where it went, counts."""

    __tablename__ = "tally_import"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    file_name: str = Field(max_length=200)
    activity_id: int = Field(foreign_key="activity.id")
    unit_id: int = Field(foreign_key="unit.id")
    field_set_id: int = Field(foreign_key="field_set.id")
    user_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    rows: int = 0  # data rows in the file
    tallies: int = 0  # tallies stored
    skipped: int = 0  # invalid rows left out (only with skip_invalid)


class PendingFile(SQLModel, table=True):
    """A file checked in the browser and waiting for "Import" (the two steps may reach two
    app servers, so it waits in the database, not on a disk). Removed when imported; the
    daily clean-up removes those left for a day. Tallies are anonymous: no personal data."""

    __tablename__ = "tally_import_pending"

    sha256: str = Field(max_length=64, primary_key=True)
    file_name: str = Field(max_length=200)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    user_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


@dataclass
class Problem:
    row: int | None  # the spreadsheet's row number (the header is row 1); None: the file
    message: str


@dataclass
class Report:
    """What a file holds and what is wrong with it; `stored` after an import."""

    file_name: str
    sha256: str
    rows: int = 0
    valid_rows: int = 0
    tallies: int = 0  # tallies the valid rows stand for
    problems: list[Problem] = field(default_factory=list)
    columns: list[tuple[str, str]] = field(default_factory=list)  # (header, what it is)
    stored: int | None = None  # None: a dry run
    already: TallyImport | None = None  # the same file was imported before
    field_set_version: int | None = None

    @property
    def file_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.row is None]

    @property
    def invalid_rows(self) -> int:
        return len({p.row for p in self.problems if p.row is not None})

    @property
    def ok(self) -> bool:
        return not self.problems and self.already is None


@dataclass
class _Row:
    number: int
    occurred_at: datetime
    count: int
    rows: list[tuple]  # (field_key, choice, count) as `validate` returns them


# --- reading the file -------------------------------------------------------------------


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_sheet(data: bytes, file_name: str) -> list[list[Any]]:
    """The rows of a CSV or XLSX file (the first sheet), header first; trailing empties cut."""
    if len(data) > MAX_BYTES:
        raise DomainError(_l("The file is larger than %(mb)d MB.", mb=MAX_BYTES // 2**20), "file")
    name = file_name.lower()
    if name.endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        rows = _read_xlsx(data)
    elif name.endswith((".csv", ".txt")) or not name:
        rows = _read_csv(data)
    else:
        raise DomainError(_l("Choose a CSV or XLSX file."), "file")
    while rows and all(_blank(v) for v in rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS + 1:
        raise DomainError(_l("The file has more than %(n)d rows; split it.", n=MAX_ROWS), "file")
    return rows


def _read_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001  (openpyxl raises many kinds for a broken file)
        raise DomainError(_l("The file could not be read as an XLSX workbook."), "file") from None
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _read_csv(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "cp1252"):  # Excel in Sweden saves CSV as Windows-1252
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if "\x00" in text:
        raise DomainError(_l("The file could not be read as CSV text."), "file")
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count) if any(c in first for c in ";,\t") else ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@lru_cache(maxsize=4096)  # a sheet repeats the same few words in every row
def _norm_text(text: str) -> str:
    text = text.strip().casefold()
    text = text.replace("–", "-").replace("—", "-").replace("\u00a0", " ")
    return _SPACES.sub(" ", text)


def _norm(value) -> str:
    return _norm_text(str(value if value is not None else ""))


_SPACES = re.compile(r"\s+")


# --- columns ----------------------------------------------------------------------------


@dataclass
class _Columns:
    date: int | None = None
    time: int | None = None
    count: int | None = None
    fields: dict[int, tuple[FieldSpec, str | None]] = field(default_factory=dict)


def _map_columns(header: list, spec: FieldSetSpec, report: Report) -> _Columns:
    cols = _Columns()
    names: dict[str, FieldSpec] = {}
    for f in spec.fields:
        for name in (f.key, f.label, f.label_en):
            if name:
                names.setdefault(_norm(name), f)
    for i, raw in enumerate(header):
        name = _norm(raw)
        if not name:
            continue
        if name in DATE_NAMES:
            cols.date = i
            report.columns.append((str(raw), str(_l("date"))))
        elif name in TIME_NAMES:
            cols.time = i
            report.columns.append((str(raw), str(_l("time"))))
        elif name in COUNT_NAMES:
            cols.count = i
            report.columns.append((str(raw), str(_l("number of tallies"))))
        elif name in names and names[name].kind != Kind.split:
            f = names[name]
            cols.fields[i] = (f, None)
            report.columns.append((str(raw), f.label))
        else:
            found = _split_column(name, names)
            if found is None:
                report.problems.append(Problem(None, str(_l(
                    "The column “%(name)s” is not a field of this activity.", name=str(raw)))))
                continue
            cols.fields[i] = found
            f, code = found
            report.columns.append((str(raw), f"{f.label}: {f.option(code).label}"))
    if cols.date is None:
        report.problems.append(Problem(None, str(_l("The file has no date column (“Datum”)."))))
    given = {f.key for f, _ in cols.fields.values()}
    for f in spec.fields:
        if f.required and f.key not in given and not (f.kind == Kind.count and f.default):
            report.problems.append(Problem(None, str(_l(
                "The file has no column for “%(field)s”, which every tally needs.",
                field=f.label))))
    return cols


def _split_column(name: str, names: dict[str, FieldSpec]) -> tuple[FieldSpec, str] | None:
    """`key.code`, `Label: Option` or `Label - Option` of a split field."""
    for sep in (".", ":", " - "):
        head, found, tail = name.partition(sep)
        if not found:
            continue
        f = names.get(head.strip())
        if f is not None and f.kind == Kind.split:
            option = _option(f, tail.strip())
            if option is not None:
                return f, option
    return None


def _option(f: FieldSpec, raw) -> str | None:
    """The option code a cell means (its code or either label), or None."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return _names_of(f).get(_norm(raw))


_NAMES: dict[int, tuple[FieldSpec, dict[str, str]]] = {}


def _names_of(f: FieldSpec) -> dict[str, str]:
    """Normalised code and labels → code, per field spec (specs are immutable; keyed by
    identity, as hashing a spec with its options costs more than the lookup saves)."""
    known = _NAMES.get(id(f))
    if known is not None and known[0] is f:
        return known[1]
    if len(_NAMES) > 512:
        _NAMES.clear()
    names: dict[str, str] = {}
    for o in f.options:
        for name in (o.label_en, o.label, o.code):  # a code wins over another option's label
            if name:
                names[_norm(name)] = o.code
    _NAMES[id(f)] = (f, names)
    return names


# --- rows -------------------------------------------------------------------------------


def _cell_number(raw) -> int | None:
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    return parse_int(raw, 0, 10**9) if not _blank(raw) else None


def _day(raw, earliest: date, today: date) -> tuple[date | None, str | None]:
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = str(raw or "").strip()[:10]
        try:
            day = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
                                                           text) else None
        except ValueError:
            return None, str(_l("the date %(value)s does not exist", value=text))
        if day is None:
            return None, str(_l("give the date as YYYY-MM-DD (“%(value)s”)", value=str(raw or "")))
    if day > today:
        return None, str(_l("the date %(day)s is in the future", day=day.isoformat()))
    if day < earliest:
        return None, str(_l(
            "the date %(day)s is older than the statistics are kept (from %(first)s)",
            day=day.isoformat(), first=earliest.isoformat()))
    return day, None


def _clock(raw) -> tuple[time | None, str | None]:
    if _blank(raw):
        return NOON, None
    if isinstance(raw, datetime):
        return raw.time().replace(second=0, microsecond=0), None
    if isinstance(raw, time):
        return raw.replace(second=0, microsecond=0), None
    text = str(raw).strip()
    if re.fullmatch(r"[0-9]{1,2}[:.][0-9]{2}", text):
        hour, minute = int(text[:-3]), int(text[-2:])
        if hour < 24 and minute < 60:
            return time(hour, minute), None
    return None, str(_l("give the time as HH:MM (“%(value)s”)", value=text))


def _values(cols: _Columns, cells: list, spec: FieldSetSpec, activity: Activity
            ) -> tuple[dict, list[str]]:
    """The row as `validate` takes it, and the cells that name no option."""
    values: dict = {}
    problems: list[str] = []
    for i, (f, option) in cols.fields.items():
        raw = cells[i] if i < len(cells) else None
        if _blank(raw):
            continue
        if f.kind == Kind.split:
            n = _cell_number(raw)
            values.setdefault(f.key, {})[option] = "x" if n is None else str(n)
        elif f.kind == Kind.count:
            n = _cell_number(raw)
            values[f.key] = "x" if n is None else str(n)
        elif f.kind == Kind.multi:
            chosen = []
            for part in re.split(r"[;,]", str(raw)):
                if not part.strip():
                    continue
                code = _option(f, part)
                if code is None:
                    problems.append(str(_l("%(field)s: “%(value)s” is not one of the options",
                                           field=f.label, value=part.strip())))
                chosen.append(code or "?")
            values[f.key] = chosen
        else:
            code = _option(f, raw)
            if code is None:
                problems.append(_not_an_option(f, raw, activity))
            else:
                values[f.key] = code
    return values, problems


def _not_an_option(f: FieldSpec, raw, activity: Activity) -> str:
    n = _cell_number(raw)
    low = f.min if f.min is not None else activity.age_min
    high = f.max if f.max is not None else activity.age_max
    if f.kind == Kind.age and n is not None and low is not None and high is not None:
        return str(_l("%(field)s %(value)d is outside the target group %(low)d–%(high)d",
                      field=f.label, value=n, low=low, high=high))
    return str(_l("%(field)s: “%(value)s” is not one of the options",
                  field=f.label, value=str(raw).strip()))


def _check_rows(rows: list[list], cols: _Columns, spec: FieldSetSpec, activity: Activity,
                earliest: date, today: date, report: Report) -> list[_Row]:
    good: list[_Row] = []
    for number, cells in enumerate(rows, start=2):
        if all(_blank(v) for v in cells):
            continue
        report.rows += 1
        problems: list[str] = []
        day, message = _day(cells[cols.date] if cols.date < len(cells) else None, earliest, today)
        if message:
            problems.append(message)
        clock = NOON
        if cols.time is not None:
            clock, message = _clock(cells[cols.time] if cols.time < len(cells) else None)
            if message:
                problems.append(message)
        count = 1
        if cols.count is not None:
            raw = cells[cols.count] if cols.count < len(cells) else None
            count = 1 if _blank(raw) else _cell_number(raw)
            if count is None or count > MAX_COUNT:
                problems.append(str(_l("the number of tallies must be a whole number from 0 to "
                                       "%(max)d", max=MAX_COUNT)))
        values, unknown = _values(cols, cells, spec, activity)
        problems.extend(unknown)
        stored: list[tuple] = []
        if not unknown:
            try:
                _clean, stored = validate(spec, values, activity)
            except ValidationErrors as invalid:
                for key, error in invalid.errors.items():
                    f = spec.field(key)
                    problems.append(f"{f.label if f else key}: {error}")
        if problems:
            for problem in problems:
                report.problems.append(Problem(number, str(_l(
                    "Row %(row)d: %(problem)s.", row=number, problem=problem))))
            continue
        report.valid_rows += 1
        if count:
            occurred = datetime.combine(day, clock, tzinfo=LOCAL_TZ).astimezone(UTC)
            good.append(_Row(number, occurred, count, stored))
            report.tallies += count
    return good


# --- the two entry points ---------------------------------------------------------------


def _prepare(session: Session, activity: Activity, unit_id: int, data: bytes, file_name: str,
             earliest: date, today: date | None):
    if not activity.loggable:
        raise DomainError(_l("This activity is not documented as tallies."), "activity")
    if unit_id not in activity_unit_ids(session, activity.id):
        raise DomainError(_l("That unit is not responsible for this activity."), "unit")
    today = today or utcnow().astimezone(LOCAL_TZ).date()
    report = Report(file_name=file_name[:200], sha256=checksum(data))
    report.already = session.exec(
        select(TallyImport).where(TallyImport.sha256 == report.sha256)).first()
    rows = read_sheet(data, file_name)
    if not rows:
        raise DomainError(_l("The file is empty."), "file")
    ref = current_field_set(session, activity, unit_id)
    spec = spec_of(session, ref.id)
    report.field_set_version = ref.version
    cols = _map_columns(rows[0], spec, report)
    good = [] if report.file_problems else _check_rows(
        rows[1:], cols, spec, activity, earliest, today, report)
    return report, good, ref


def earliest_day(keep_years: int, today: date | None = None) -> date:
    """How far back statistics reach: 1 January of the year `keep_years` years ago
    (STATISTICS_KEEP_YEARS). Historic tallies may be imported from then on."""
    today = today or utcnow().astimezone(LOCAL_TZ).date()
    return date(today.year - keep_years, 1, 1)


def check_file(session: Session, activity: Activity, unit_id: int, data: bytes,
               file_name: str, earliest: date, today: date | None = None) -> Report:
    """The dry run: what the file would store and, per row, what is wrong. Stores nothing."""
    return _prepare(session, activity, unit_id, data, file_name, earliest, today)[0]


def import_file(session: Session, user: User, activity: Activity, unit_id: int, data: bytes,
                file_name: str, earliest: date, today: date | None = None,
                skip_invalid: bool = False) -> Report:
    """Store the file's tallies (the caller commits): all rows valid, or `skip_invalid`.

    Nothing is stored when the same file was imported before, when the file itself is
    wrong (columns), or when a row is invalid and `skip_invalid` is not set; the report
    says which. With `skip_invalid`, the valid rows are stored and the others reported.
    """
    report, good, ref = _prepare(session, activity, unit_id, data, file_name, earliest, today)
    if report.already is not None or report.file_problems:
        return report
    if report.problems and not skip_invalid:
        return report
    now = utcnow()
    batch = TallyImport(sha256=report.sha256, file_name=report.file_name,
                        activity_id=activity.id, unit_id=unit_id, field_set_id=ref.id,
                        user_id=user.id, created_at=now, rows=report.rows,
                        tallies=report.tallies, skipped=report.invalid_rows)
    session.add(batch)
    session.flush()
    tallies, keyed = [], []
    for row in good:
        for n in range(row.count):
            client_uuid = uuid.uuid5(_NAMESPACE, f"{report.sha256}:{row.number}:{n}")
            tallies.append({
                "client_uuid": client_uuid, "activity_id": activity.id, "unit_id": unit_id,
                "user_id": user.id, "field_set_id": ref.id, "occurred_at": row.occurred_at,
                "created_at": now, "import_id": batch.id, "record_key": new_record_key(),
            })
            keyed.append(row)
    table = Tally.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(tallies), 5_000):
        ids.extend(session.execute(stmt, tallies[start:start + 5_000]).scalars())
    values = []
    for tally_id, tally, row in zip(ids, tallies, keyed, strict=True):
        values.extend({
            "tally_id": tally_id, "activity_id": activity.id, "unit_id": unit_id,
            "field_set_id": ref.id, "field_key": key, "choice": choice, "count": count,
            "occurred_at": row.occurred_at, "voided": False, "record_key": tally["record_key"],
        } for key, choice, count in row.rows)
    for start in range(0, len(values), 10_000):
        session.execute(insert(TallyValue.__table__), values[start:start + 10_000])
    count_imported(session, ((activity.id, unit_id, row.occurred_at, tally["record_key"],
                              row.rows) for tally, row in zip(tallies, keyed, strict=True)))
    session.execute(delete(PendingFile).where(PendingFile.sha256 == report.sha256))
    report.stored = len(tallies)
    return report


def keep_pending(session: Session, user: User, data: bytes, file_name: str) -> str:
    """Keep a checked file until it is imported; returns its checksum (the caller commits)."""
    sha = checksum(data)
    if session.get(PendingFile, sha) is None:
        session.add(PendingFile(sha256=sha, file_name=file_name[:200], data=data,
                                user_id=user.id))
    return sha


def pending(session: Session, sha: str) -> PendingFile | None:
    return session.get(PendingFile, sha)


def forget_pending(session: Session, older_than: timedelta = timedelta(days=1)) -> int:
    """Remove checked files nobody imported (run daily); returns how many."""
    stmt = delete(PendingFile).where(PendingFile.created_at < utcnow() - older_than)
    return session.execute(stmt).rowcount or 0


def find_activity(session: Session, key_or_name: str) -> Activity | None:
    """An activity by its catalogue key or its exact name (the command's --activity)."""
    return session.exec(select(Activity).where(
        (Activity.key == key_or_name) | (Activity.name == key_or_name))).first()


def import_targets(session: Session) -> list[tuple[Activity, list]]:
    """Every active activity documented as tallies, with its responsible units."""
    from models.catalogue import LOGGABLE, units_of_activity
    activities = session.exec(
        select(Activity).where(Activity.active == True, Activity.level.in_(LOGGABLE))  # noqa: E712
        .order_by(Activity.position, Activity.id)).all()
    return [(a, units_of_activity(session, a.id)) for a in activities]


def imports_of(session: Session, limit: int = 50) -> list[TallyImport]:
    """The latest imports, newest first (the admin page's list)."""
    return list(session.exec(
        select(TallyImport).order_by(TallyImport.created_at.desc(), TallyImport.id.desc())
        .limit(limit)).all())
