"""The report reads its figures from few GROUP BYs (issue 16 §3): the tallies' cells of a
period and every field's series at once. Each figure it derives is the one the single
queries give — count and cell key alike — on SQLite and, with TEST_DATABASE_URL,
PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import and_, case, func
from sqlmodel import col, select

from models.core.clock import local_midnight
from models.manage.aggregate import (
    _cell,
    cross_counts,
    field_counts,
    fields_of,
    period_of,
    scope_for,
    series_counts,
    sum_cells,
    tally_cells,
    tally_total,
)
from models.manage.report import build_report
from models.tally import Tally, record_tally, undo_tally
from tests.test_stats import SERIOUS, at, field, log, talk  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("field")


def _tally_filter(scope, period):
    """The live tallies of the scope in the period, read from the tally table itself."""
    start, end = period.utc_bounds()
    return and_(col(Tally.activity_id).in_(scope.activity_ids),
                col(Tally.unit_id).in_(scope.unit_ids),
                Tally.occurred_at >= start, Tally.occurred_at < end,
                col(Tally.voided_at).is_(None))


def _single(db, scope, period, column) -> dict:
    """The oracle: one GROUP BY of the live tallies themselves by `column` (the report
    reads the daily counts kept beside them, models/tally/daily.py)."""
    stmt = (select(column, func.count(), func.sum(Tally.record_key))
            .where(_tally_filter(scope, period)).group_by(column))
    return {int(g): _cell(n, k, True) for g, n, k in db.exec(stmt)}


def _buckets(period):
    """The bucket of a tally's time: the local midnight after each bucket's last day."""
    bounds = [local_midnight(b.end + timedelta(days=1)) for b in period.buckets()]
    return case(*[(Tally.occurred_at < bound, i) for i, bound in enumerate(bounds)],
                else_=len(bounds) - 1).label("bucket")


@pytest.fixture
def logged(db, field):  # noqa: F811  (the fixture imported above)
    """Tallies in two months of 2026 and in 2025, one of them undone."""
    fia, act = field["fia"], field["act"]
    for month, day, gender, problem, age in [(1, 3, "k", "skola", "15"),
                                             (3, 9, "m", "skola", "16"),
                                             (3, 30, "m", "beroende", "16"),
                                             (10, 1, "k", "beroende", "15"),
                                             (10, 20, "x", "skola", "16")]:
        log(db, fia, act, talk(gender, age, problem), at(day, month=month))
    log(db, fia, act, talk("k"), at(5, month=6) - timedelta(days=365))  # 2025
    undone, _ = record_tally(db, fia, act, talk("m"), uuid.uuid4(), now=at(4))
    undo_tally(db, fia, undone, now=at(4) + timedelta(seconds=3))
    db.commit()
    return scope_for(db, field["maja"], [], act.id)


def test_the_tallies_cells_sum_to_the_total_units_activities_and_series(db, logged):
    for period in (period_of("year", date(2026, 5, 1)), period_of("month", date(2026, 3, 9)),
                   period_of("year", date(2025, 5, 1))):
        cells = tally_cells(db, logged, period, buckets=True)
        assert sum_cells(cells).get(None, (0, 0)) == tally_total(db, logged, period,
                                                                 cell_keys=True)
        assert sum_cells(cells, lambda key: key[0]) == _single(db, logged, period,
                                                               Tally.unit_id)
        assert sum_cells(cells, lambda key: key[1]) == _single(db, logged, period,
                                                               Tally.activity_id)
        assert sum_cells(cells, lambda key: key[2]) == _single(db, logged, period,
                                                               _buckets(period))


def test_every_fields_series_sums_to_its_breakdown(db, logged):
    year = period_of("year", date(2026, 5, 1))
    keys = [f.key for f in fields_of(db, logged.activity_ids)]
    every = series_counts(db, logged, year, keys, cell_keys=True)
    assert sum_cells(every, lambda key: key[1:]) == field_counts(db, logged, year, keys,
                                                                  cell_keys=True)
    for key in keys:
        assert {k: v for k, v in every.items() if k[1] == key} == series_counts(
            db, logged, year, [key], cell_keys=True)


def test_the_report_shows_what_the_single_queries_count(db, logged):
    year = period_of("year", date(2026, 5, 1))
    report = build_report(db, logged, year, shared=False, series_key="gender_young")
    assert (report.total, report.total_key) == tally_total(db, logged, year, cell_keys=True)
    assert (report.previous_total, report.previous_key) == tally_total(
        db, logged, year.previous(), cell_keys=True)
    assert [c.shown for _label, (c,) in report.grid("series").rows] == [
        _single(db, logged, year, _buckets(year)).get(i, (0, 0))[0] for i in range(12)]
    gender = report.grid("field-gender_young")
    codes = [c for c, _sv, _en in next(f for f in report.fields
                                       if f.key == "gender_young").options]
    counts = field_counts(db, logged, year, ["gender_young"])
    assert [row[0].shown for _label, row in gender.rows[:len(codes)]] == [
        counts.get(("gender_young", c), 0) for c in codes]
    series = report.grid("field-series")
    march = series.rows[2][1]
    assert [c.shown for c in march[:len(codes)]] == [
        series_counts(db, logged, year, ["gender_young"]).get((2, "gender_young", c), 0)
        for c in codes]
    assert cross_counts(db, logged, year, "problem_area", "age_individual") == {
        ("skola", "15"): 1, ("skola", "16"): 2, ("beroende", "16"): 1, ("beroende", "15"): 1}
