"""A statistics report: the tables a manager reads, exact and as shared.

Every table exists twice. `exact` is the unit's own view (managers of the unit only);
`shared` is what may leave the unit — exports, the charts, and the page when it is marked
for sharing — with every figure protected by the cell-key method
(models/manage/protection.py): each count comes from SQL with its cell key, and is
published rounded to a multiple of 5 as the perturbation table says.

A figure that appears in several tables (the period's total; a field's breakdown, which is
also the margin of its cross table; a unit's tallies) is the same set of tallies, so it has
the same count and key and is published the same everywhere — no pinning is needed, and
no two tables (nor two periods or unit sets that share a cell) can disagree about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as _format_date
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from models.catalogue import Kind
from models.manage.aggregate import (
    Bucket,
    FieldInfo,
    Lag,
    LagSource,
    Period,
    Scope,
    cross_counts,
    fields_of,
    lag_by_unit,
    series_counts,
    sum_cells,
    tally_cells,
    value_cells,
)
from models.manage.protection import KEY_SPACE, Cell, Table, cell, one_way, two_way

# A lag (median, 90th percentile) is shared only when its published count is at least this:
# then at least six tallies or notes stand behind it, and the choice depends on nothing
# but published figures.
LAG_MIN_PUBLISHED = 10

NOT_STATED = "__none__"


@dataclass
class Grid:
    """A table ready to show or export: headers, labelled rows of cells, a total row."""

    id: str
    title: str
    row_head: str
    col_heads: list[str]
    rows: list[tuple[str, list[Cell]]]
    total: tuple[str, list[Cell]] | None = None
    shared: bool = False
    chart: str = ""  # "bars" (rows × periods), "series" (one bar per step), "" (none)
    tables: tuple = field(default=(), repr=False)  # the Table(s) behind it


@dataclass
class JournalRow:
    """Journal notes dated in the period for one unit, and how long after the event
    they were written. `lag` is None when shared and too few notes to say."""

    unit: object
    count: Cell
    lag: Lag | None
    late: Cell | None = None  # written more than 24 h after the event


@dataclass
class LagRow:
    """Tallies of one unit: how long after the event they were logged. `lag` is None when
    shared and too few tallies to say."""

    unit: object
    lag: Lag | None
    late: Cell | None


@dataclass
class Report:
    scope: Scope
    period: Period
    previous: Period
    total: int
    previous_total: int
    shared: bool
    grids: list[Grid] = field(default_factory=list)
    tally_lag: list[LagRow] = field(default_factory=list)
    fields: list[FieldInfo] = field(default_factory=list)
    cross: tuple[str, str] | None = None
    series_key: str | None = None
    journal: list[JournalRow] = field(default_factory=list)
    total_key: int = 0
    previous_key: int = 0
    # {(bucket, field key, option code): (count, cell key)} of every field, when built
    value_series: dict | None = field(default=None, repr=False)

    def grid(self, grid_id: str) -> Grid | None:
        return next((g for g in self.grids if g.id == grid_id), None)

    @property
    def total_cell(self) -> Cell:
        return cell(self.total, self.total_key, self.shared)

    @property
    def previous_total_cell(self) -> Cell:
        return cell(self.previous_total, self.previous_key, self.shared)

    @property
    def change(self) -> tuple[int, int | None] | None:
        """The change from the previous period and its percentage (None: no previous
        tallies), from the figures as shown: when shared, the published ones, so the
        difference tells nothing the two totals do not."""
        now, before = self.total_cell.shown, self.previous_total_cell.shown
        diff = now - before
        return diff, round(100 * diff / before) if before else None

    @property
    def cross_choices(self) -> list[FieldInfo]:
        return [f for f in self.fields if f.single_choice]

    @property
    def series_choices(self) -> list[FieldInfo]:
        return [f for f in self.fields if f.categorical]


def _lag_shown(lag: Lag, shared: bool) -> Lag | None:
    """A median of a handful of times says too much about each: when shared, a lag is
    shown only if its published count is at least LAG_MIN_PUBLISHED."""
    if shared and cell(lag.count, lag.key, True).shown < LAG_MIN_PUBLISHED:
        return None
    return lag


# --- labels ------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


def format_date(day: date, pattern: str, locale: str) -> str:
    """Babel's format_date with the locale parsed once, not once per label (a year's
    series has a label per step: parsing was a tenth of the report's time)."""
    return _format_date(day, pattern, locale=_locale(locale))



def bucket_label(bucket: Bucket, locale: str) -> str:
    if bucket.kind == "day":
        return format_date(bucket.start, "EEE d MMM", locale=locale)
    if bucket.kind == "week":
        week = bucket.start.isocalendar()[1]
        return str(_l("Week %(num)d", num=week))
    return format_date(bucket.start, "LLL yyyy", locale=locale)


def period_label(period: Period, locale: str) -> str:
    if period.kind == "month":
        return format_date(period.start, "LLLL yyyy", locale=locale)
    if period.kind == "week":
        year, week, _ = period.start.isocalendar()
        return str(_l("Week %(num)d, %(year)d", num=week, year=year))
    if period.kind == "quarter":
        return str(_l("Q%(num)d %(year)d", num=(period.start.month - 1) // 3 + 1,
                      year=period.start.year))
    if period.kind == "year":
        return str(period.start.year)
    return f"{_short(period.start, locale)} – {_short(period.end, locale)}"


def _short(day: date, locale: str) -> str:
    return format_date(day, "d MMM yyyy", locale=locale)


# --- building -----------------------------------------------------------------------------


def build_report(session: Session, scope: Scope, period: Period, *, shared: bool,
                 locale: str = "sv", cross: tuple[str, str] | None = None,
                 series_key: str | None = None) -> Report:
    """Every table for the scope and period; `shared` protects all of them."""
    previous = period.previous()
    # the tallies' figures of both periods in two GROUP BYs (sums of their cells)
    cells_now = tally_cells(session, scope, period, buckets=True)
    cells_before = tally_cells(session, scope, previous)
    total, total_key = sum_cells(cells_now).get(None, (0, 0))
    before, before_key = sum_cells(cells_before).get(None, (0, 0))
    report = Report(scope, period, previous, total, before, shared, total_key=total_key,
                    previous_key=before_key)
    heads = [period_label(period, locale), period_label(previous, locale)]
    units = [u.id for u in scope.units]
    tallies = lag_by_unit(session, LagSource.tally, units, period, scope.activity_ids)
    journal = lag_by_unit(session, LagSource.journal, units, period)
    for unit in scope.units:
        lag = tallies.get(unit.id)
        if lag is not None:
            shown = _lag_shown(lag, shared)
            report.tally_lag.append(LagRow(unit, shown,
                                           shown and cell(lag.late, lag.late_key, shared)))
        lag = journal.get(unit.id)
        if lag is not None:
            shown = _lag_shown(lag, shared)
            report.journal.append(JournalRow(unit, cell(lag.count, lag.key, shared), shown,
                                             shown and cell(lag.late, lag.late_key, shared)))
    if len(scope.units) > 1:
        labels = [u.name for u in scope.units]
        now = sum_cells(cells_now, lambda key: key[0])
        before = sum_cells(cells_before, lambda key: key[0])
        report.grids.append(_pair("units", str(_l("Per unit")), str(_l("Unit")), heads, labels,
                                  [now.get(u, (0, 0)) for u in units],
                                  [before.get(u, (0, 0)) for u in units], shared))
    if scope.activity is None:
        labels = [a.name for a in scope.activities]
        now = sum_cells(cells_now, lambda key: key[1])
        before = sum_cells(cells_before, lambda key: key[1])
        report.grids.append(_pair("activities", str(_l("Per activity")), str(_l("Activity")),
                                  heads, labels,
                                  [now.get(a.id, (0, 0)) for a in scope.activities],
                                  [before.get(a.id, (0, 0)) for a in scope.activities], shared))
    else:
        report.fields = fields_of(session, scope.activity_ids)
        _field_grids(session, report, heads, locale)
    _series_grid(report, sum_cells(cells_now, lambda key: key[2]), locale)
    if scope.activity is not None:
        _cross_grid(session, report, cross, locale)
        _field_series_grid(session, report, series_key, locale)
    return report


def _pair(grid_id, title, row_head, heads, labels, now, before, shared,
          total_label=None) -> Grid:
    """One-way tables of this period and the previous one, side by side; `now` and
    `before` are (count, cell key) pairs."""
    table_now, table_before = one_way(labels, now, shared), one_way(labels, before, shared)
    rows = [(label, [table_now.cells[i][0], table_before.cells[i][0]])
            for i, label in enumerate(labels)]
    grid = Grid(grid_id, title, row_head, heads, rows,
                (total_label or str(_l("Total")), [table_now.total, table_before.total]),
                shared, chart="bars")
    grid.tables = (table_now, table_before)
    return grid


def _not_stated(total: tuple[int, int], stated: list[tuple[int, int]]) -> tuple[int, int]:
    """The tallies without a value for a one-choice field: the period's tallies minus the
    stated ones — their count and, the keys being a sum, their cell key too."""
    return (total[0] - sum(n for n, _k in stated),
            (total[1] - sum(k for _n, k in stated)) % KEY_SPACE)


def _field_grids(session, report: Report, heads, locale) -> None:
    # every field's series, this period's and the previous one's, in one statement: a
    # period's breakdown is the sum of its series, and the series table of any field
    # (`_field_series_grid`) is read from it
    report.value_series, before_series = value_cells(
        session, report.scope, [report.period, report.previous], report.fields)
    now = sum_cells(report.value_series, lambda key: key[1:])
    before = sum_cells(before_series, lambda key: key[1:])
    counts_rows = []
    for info in report.fields:
        if info.kind == Kind.count:
            counts_rows.append((info.text(locale), [
                cell(*now.get((info.key, None), (0, 0)), report.shared),
                cell(*before.get((info.key, None), (0, 0)), report.shared)]))
            continue
        codes = [c for c, _sv, _en in info.options]
        labels = [info.option_text(c, locale) for c in codes]
        values_now = [now.get((info.key, c), (0, 0)) for c in codes]
        values_before = [before.get((info.key, c), (0, 0)) for c in codes]
        total_label = None
        if info.single_choice and (sum(n for n, _k in values_now) < report.total
                                   or sum(n for n, _k in values_before) < report.previous_total):
            # An optional field: the tallies without a value are a row of their own, so
            # the table's total is the period's total (the same cell, the same figure).
            labels.append(str(_l("Not stated")))
            stated_now, stated_before = list(values_now), list(values_before)
            values_now.append(_not_stated((report.total, report.total_key), stated_now))
            values_before.append(_not_stated((report.previous_total, report.previous_key),
                                             stated_before))
        if info.kind == Kind.multi:
            total_label = str(_l("Mentions"))
        elif info.kind == Kind.split:
            total_label = str(_l("Sum"))
        report.grids.append(_pair(f"field-{info.key}", info.text(locale), info.text(locale),
                                  heads, labels, values_now, values_before, report.shared,
                                  total_label=total_label))
    if counts_rows:
        report.grids.append(Grid("counts", str(_l("Counts")), str(_l("Count")), heads,
                                 counts_rows, None, report.shared))


def _series_grid(report: Report, totals: dict, locale) -> None:
    buckets = report.period.buckets()
    labels = [bucket_label(b, locale) for b in buckets]
    table = one_way(labels, [totals.get(i, (0, 0)) for i in range(len(buckets))],
                    report.shared)
    heads = [str(_l("Tallies"))]
    grid = Grid("series", _series_title(report.period), str(_l("Period")), heads,
                [(label, [table.cells[i][0]]) for i, label in enumerate(labels)],
                (str(_l("Total")), [table.total]), report.shared, "series")
    grid.tables = (table,)
    report.grids.append(grid)


def _series_title(period: Period) -> str:
    kind = period.bucket_kind()
    if kind == "day":
        return str(_l("Per day"))
    if kind == "week":
        return str(_l("Per week"))
    return str(_l("Per month"))


def _cross_grid(session, report: Report, cross, locale) -> None:
    choices = {f.key: f for f in report.cross_choices}
    if cross is None or cross[0] not in choices or cross[1] not in choices or (
            cross[0] == cross[1]):
        cross = _default_cross(list(choices))
    if cross is None:
        return
    report.cross = cross
    a, b = choices[cross[0]], choices[cross[1]]
    counts = cross_counts(session, report.scope, report.period, a.key, b.key, cell_keys=True)
    rows = [c for c, _sv, _en in a.options]
    cols = [c for c, _sv, _en in b.options]
    table = two_way([a.option_text(c, locale) for c in rows],
                    [b.option_text(c, locale) for c in cols],
                    [[counts.get((r, c), (0, 0)) for c in cols] for r in rows], report.shared)
    report.grids.append(_two_way_grid(
        "cross", str(_l("%(a)s by %(b)s", a=a.text(locale), b=b.text(locale))),
        a.text(locale), table, report.shared))


def _default_cross(keys: list[str]) -> tuple[str, str] | None:
    """Problem area × age when the activity has both (the issue's example), else the
    first two one-choice fields."""
    problem = "problem_area" if "problem_area" in keys else None
    age = next((k for k in keys if k.startswith("age")), None)
    if problem and age:
        return (problem, age)
    return (keys[0], keys[1]) if len(keys) >= 2 else None


def _field_series_grid(session, report: Report, key: str | None, locale) -> None:
    info = next((f for f in report.series_choices if f.key == key), None)
    if info is None:
        return
    report.series_key = key
    buckets = report.period.buckets()
    counts = report.value_series
    if counts is None:
        counts = series_counts(session, report.scope, report.period, [key], cell_keys=True)
    codes = [c for c, _sv, _en in info.options]
    table = two_way([bucket_label(b, locale) for b in buckets],
                    [info.option_text(c, locale) for c in codes],
                    [[counts.get((i, key, c), (0, 0)) for c in codes]
                     for i in range(len(buckets))], report.shared)
    report.grids.append(_two_way_grid(
        "field-series", f"{info.text(locale)} · {_series_title(report.period).lower()}",
        str(_l("Period")), table, report.shared))


def _two_way_grid(grid_id: str, title: str, row_head: str, table: Table, shared: bool) -> Grid:
    rows = [(label, [*table.cells[i], table.row_totals[i]])
            for i, label in enumerate(table.rows)]
    grid = Grid(grid_id, title, row_head, [*table.cols, str(_l("Total"))], rows,
                (str(_l("Total")), [*table.col_totals, table.total]), shared)
    grid.tables = (table,)
    return grid
