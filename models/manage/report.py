"""A statistics report: the tables a manager reads, exact and as shared.

Every table exists twice. `exact` is the unit's own view (managers of the unit only);
`shared` is what may leave the unit — exports, and the page when it is marked for
sharing — with small-cell suppression applied (models/suppression.py).

Tables of one report describe the same tallies, so a figure that appears in several of
them (the period's total; a field's breakdown, which is also the margin of its cross
table and of its series) is suppressed once and then *pinned*: every other table
publishes it the same way and never uses it as cover. A margin is only pinned when it is
numerically the same figure, so a table can never contradict another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date
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
    activity_counts,
    bucket_totals,
    cross_counts,
    field_counts,
    fields_of,
    lag_by_unit,
    series_counts,
    tally_total,
    unit_counts,
)
from models.manage.suppression import SMALL_MAX, Cell, Mark, Table, one_way, suppress, two_way

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
    withheld: bool = False
    chart: str = ""  # "bars" (rows × periods), "series" (one bar per step), "" (none)
    tables: tuple = field(default=(), repr=False)  # the Table(s) behind it, for pinning

    @property
    def any_suppressed(self) -> bool:
        cells = [c for _label, row in self.rows for c in row]
        cells += self.total[1] if self.total else []
        return any(c.suppressed for c in cells)


@dataclass
class JournalRow:
    """Journal notes dated in the period for one unit, and how long after the event
    they were written. `lag` is None when shared and too few notes to say."""

    unit: object
    count: Cell
    lag: Lag | None
    late: Cell | None = None  # written more than 24 h after the event (marked when shared)


@dataclass
class LagRow:
    """Tallies of one unit: how long after the event they were logged. `lag` is None when
    shared and too few tallies to say (fewer than SMALL_MAX + 1)."""

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

    def grid(self, grid_id: str) -> Grid | None:
        return next((g for g in self.grids if g.id == grid_id), None)

    @property
    def total_cell(self) -> Cell:
        return _lone(self.total, self.shared)

    @property
    def previous_total_cell(self) -> Cell:
        return _lone(self.previous_total, self.shared)

    @property
    def change(self) -> tuple[int, int | None] | None:
        """The change from the previous period and its percentage (None: no previous
        tallies). None when shared and either total is a small cell: the difference
        would give it away."""
        if self.shared and min(self.total, self.previous_total) <= SMALL_MAX:
            return None
        diff = self.total - self.previous_total
        return diff, round(100 * diff / self.previous_total) if self.previous_total else None

    @property
    def cross_choices(self) -> list[FieldInfo]:
        return [f for f in self.fields if f.single_choice]

    @property
    def series_choices(self) -> list[FieldInfo]:
        return [f for f in self.fields if f.categorical]


def _lag_shown(lag: Lag, shared: bool) -> Lag | None:
    """A lag says nothing about fewer than SMALL_MAX + 1 items when shared: not shown."""
    return None if shared and lag.count <= SMALL_MAX else lag


def _lone(value: int, shared: bool) -> Cell:
    """A figure on its own (no table to work it out from): only 1–4 is hidden."""
    return Cell(value, Mark.small if shared and 1 <= value <= SMALL_MAX else Mark.shown)


# --- labels ------------------------------------------------------------------------------


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
    """Every table for the scope and period; `shared` applies suppression to all of them."""
    previous = period.previous()
    report = Report(scope, period, previous, tally_total(session, scope, period),
                    tally_total(session, scope, previous), shared)
    heads = [period_label(period, locale), period_label(previous, locale)]
    units = [u.id for u in scope.units]
    tallies = lag_by_unit(session, LagSource.tally, units, period, scope.activity_ids)
    journal = lag_by_unit(session, LagSource.journal, units, period)
    for unit in scope.units:
        lag = tallies.get(unit.id)
        if lag is not None:
            shown = _lag_shown(lag, shared)
            report.tally_lag.append(LagRow(unit, shown, shown and _lone(lag.late, shared)))
        lag = journal.get(unit.id)
        if lag is not None:
            shown = _lag_shown(lag, shared)
            report.journal.append(JournalRow(unit, _lone(lag.count, shared), shown,
                                             shown and _lone(lag.late, shared)))
    pin_now = {("total",): report.total_cell.mark}
    pin_before = {("total",): report.previous_total_cell.mark}
    if len(scope.units) > 1:
        labels = [u.name for u in scope.units]
        now, before = unit_counts(session, scope, period), unit_counts(session, scope, previous)
        report.grids.append(_pair("units", str(_l("Per unit")), str(_l("Unit")), heads, labels,
                                  [now.get(u, 0) for u in units],
                                  [before.get(u, 0) for u in units], shared,
                                  pin_now, pin_before))
    if scope.activity is None:
        labels = [a.name for a in scope.activities]
        now = activity_counts(session, scope, period)
        before = activity_counts(session, scope, previous)
        report.grids.append(_pair("activities", str(_l("Per activity")), str(_l("Activity")),
                                  heads, labels, [now.get(a.id, 0) for a in scope.activities],
                                  [before.get(a.id, 0) for a in scope.activities], shared,
                                  pin_now, pin_before))
    else:
        report.fields = fields_of(session, scope.activity_ids)
        _field_grids(session, report, heads, locale, pin_now, pin_before)
    _series_grid(session, report, locale, pin_now)
    if scope.activity is not None:
        _cross_grid(session, report, cross, locale)
        _field_series_grid(session, report, series_key, locale)
    return report


def _pair(grid_id, title, row_head, heads, labels, now, before, shared, pin_now,
          pin_before, pin_totals=True, total_label=None) -> Grid:
    """One-way tables of this period and the previous one, side by side. They count
    different tallies, so each is protected on its own."""
    table_now, table_before = one_way(labels, now), one_way(labels, before)
    if shared:
        table_now = suppress(table_now, pin_now if pin_totals else None)
        table_before = suppress(table_before, pin_before if pin_totals else None)
    rows = [(label, [table_now.cells[i][0], table_before.cells[i][0]])
            for i, label in enumerate(labels)]
    grid = Grid(grid_id, title, row_head, heads, rows,
                (total_label or str(_l("Total")), [table_now.total, table_before.total]),
                shared, table_now.withheld or table_before.withheld, chart="bars")
    grid.tables = (table_now, table_before)
    return grid


def _field_grids(session, report: Report, heads, locale, pin_now, pin_before) -> None:
    scope, keys = report.scope, [f.key for f in report.fields]
    now = field_counts(session, scope, report.period, keys)
    before = field_counts(session, scope, report.previous, keys)
    counts_rows = []
    for info in report.fields:
        if info.kind == Kind.count:
            counts_rows.append((info.text(locale), [
                _lone(now.get((info.key, None), 0), report.shared),
                _lone(before.get((info.key, None), 0), report.shared)]))
            continue
        codes = [c for c, _sv, _en in info.options]
        labels = [info.option_text(c, locale) for c in codes]
        values_now = [now.get((info.key, c), 0) for c in codes]
        values_before = [before.get((info.key, c), 0) for c in codes]
        total_label, pin = None, info.single_choice
        if info.single_choice and (sum(values_now) < report.total
                                   or sum(values_before) < report.previous_total):
            # An optional field: the tallies without a value are a row of their own, so
            # the table adds up to the period's total like every other one.
            labels.append(str(_l("Not stated")))
            values_now.append(report.total - sum(values_now))
            values_before.append(report.previous_total - sum(values_before))
        if info.kind == Kind.multi:
            total_label = str(_l("Mentions"))
        elif info.kind == Kind.split:
            total_label = str(_l("Sum"))
        report.grids.append(_pair(f"field-{info.key}", info.text(locale), info.text(locale),
                                  heads, labels, values_now, values_before, report.shared,
                                  pin_now, pin_before, pin_totals=pin,
                                  total_label=total_label))
    if counts_rows:
        report.grids.append(Grid("counts", str(_l("Counts")), str(_l("Count")), heads,
                                 counts_rows, None, report.shared))


def _series_grid(session, report: Report, locale, pin_now) -> None:
    buckets = report.period.buckets()
    totals = bucket_totals(session, report.scope, report.period)
    labels = [bucket_label(b, locale) for b in buckets]
    table = one_way(labels, [totals.get(i, 0) for i in range(len(buckets))])
    if report.shared:
        table = suppress(table, pin_now)
    heads = [str(_l("Tallies"))]
    grid = Grid("series", _series_title(report.period), str(_l("Period")), heads,
                [(label, [table.cells[i][0]]) for i, label in enumerate(labels)],
                (str(_l("Total")), [table.total]), report.shared, table.withheld, "series")
    grid.tables = (table,)
    report.grids.append(grid)


def _series_title(period: Period) -> str:
    kind = period.bucket_kind()
    if kind == "day":
        return str(_l("Per day"))
    if kind == "week":
        return str(_l("Per week"))
    return str(_l("Per month"))


def _field_table(report: Report, key: str) -> Table | None:
    grid = report.grid(f"field-{key}")
    return grid.tables[0] if grid is not None else None


def _cross_grid(session, report: Report, cross, locale) -> None:
    choices = {f.key: f for f in report.cross_choices}
    if cross is None or cross[0] not in choices or cross[1] not in choices or (
            cross[0] == cross[1]):
        cross = _default_cross(list(choices))
    if cross is None:
        return
    report.cross = cross
    a, b = choices[cross[0]], choices[cross[1]]
    counts = cross_counts(session, report.scope, report.period, a.key, b.key)
    rows = [c for c, _sv, _en in a.options]
    cols = [c for c, _sv, _en in b.options]
    table = two_way([a.option_text(c, locale) for c in rows],
                    [b.option_text(c, locale) for c in cols],
                    [[counts.get((r, c), 0) for c in cols] for r in rows])
    if report.shared:
        pins = _margin_pins(table, _field_table(report, a.key), _field_table(report, b.key),
                            report.total_cell)
        table = _suppress_pinned(table, pins)
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
    counts = series_counts(session, report.scope, report.period, [key])
    codes = [c for c, _sv, _en in info.options]
    table = two_way([bucket_label(b, locale) for b in buckets],
                    [info.option_text(c, locale) for c in codes],
                    [[counts.get((i, key, c), 0) for c in codes] for i in range(len(buckets))])
    if report.shared:
        series = report.grid("series").tables[0]
        pins = _margin_pins(table, series, _field_table(report, key), report.total_cell)
        table = _suppress_pinned(table, pins)
    report.grids.append(_two_way_grid(
        "field-series", f"{info.text(locale)} · {_series_title(report.period).lower()}",
        str(_l("Period")), table, report.shared))


def _margin_pins(table: Table, rows_from: Table | None, cols_from: Table | None,
                 total: Cell) -> dict | None:
    """Pin the margins that other tables of the report already publish; None when one
    of those tables was withheld (then this one is withheld too)."""
    pins: dict = {}
    for source, kind, margin in ((rows_from, "row", table.row_totals),
                                 (cols_from, "col", table.col_totals)):
        if source is None:
            continue
        if source.withheld:
            return None
        published = [c[0] for c in source.cells]
        for i, cell in enumerate(margin):
            if i < len(published) and published[i].value == cell.value:
                pins[(kind, i)] = published[i].mark
    if table.total.value == total.value:
        pins[("total",)] = total.mark
    return pins


def _suppress_pinned(table: Table, pins: dict | None) -> Table:
    if pins is None:
        hidden = suppress(table)
        return Table(hidden.rows, hidden.cols,
                     tuple(tuple(Cell(c.value, Mark.hidden) for c in r) for r in hidden.cells),
                     tuple(Cell(c.value, Mark.hidden) for c in hidden.row_totals),
                     tuple(Cell(c.value, Mark.hidden) for c in hidden.col_totals),
                     Cell(hidden.total.value, Mark.hidden), withheld=True,
                     suppressed_applied=True)
    return suppress(table, pins)


def _two_way_grid(grid_id: str, title: str, row_head: str, table: Table, shared: bool) -> Grid:
    rows = [(label, [*table.cells[i], table.row_totals[i]])
            for i, label in enumerate(table.rows)]
    grid = Grid(grid_id, title, row_head, [*table.cols, str(_l("Total"))], rows,
                (str(_l("Total")), [*table.col_totals, table.total]), shared, table.withheld)
    grid.tables = (table,)
    return grid
