"""Statistics model: periods, scope, GROUP BY aggregation and lag — on SQLite and, when
TEST_DATABASE_URL is set, PostgreSQL (the `database_url` fixture runs both)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.core.clock import local_midnight, local_today
from models.core.errors import DomainError, ValidationErrors
from models.journal.entries import add_entry
from models.manage.aggregate import (
    LagSource,
    Period,
    PeriodKind,
    cross_counts,
    field_counts,
    lag_by_unit,
    parse_period,
    period_of,
    scope_for,
    series_counts,
    sum_cells,
    tally_cells,
    tally_total,
)
from models.tally import record_tally, undo_tally
from tests.journal_helpers import make_home
from tests.tally_helpers import activity, load_catalogue, member_of

OCTOBER = period_of("month", date(2026, 10, 15))
SERIOUS = "faltare-allvarssamtal"


def counts_by(db, scope, period, part: int) -> dict:
    """Live tallies per unit (0), activity (1) or bucket (2), as the report reads them."""
    cells = tally_cells(db, scope, period, buckets=part == 2)
    return {group: n for group, (n, _key) in sum_cells(cells, lambda key: key[part]).items()}


def talk(gender="k", age="15", problem="skola", route="polis"):
    return {"gender_young": gender, "age_individual": age, "problem_area": problem,
            "route_in": route}


def at(day: int, hour: int = 12, month: int = 10) -> datetime:
    """A local time in 2026, as an aware datetime."""
    return local_midnight(date(2026, month, day)) + timedelta(hours=hour)


def log(db, user, act, values, occurred: datetime, delay=timedelta(minutes=5)):
    tally, _ = record_tally(db, user, act, values, uuid.uuid4(), occurred_at=occurred,
                            now=occurred + delay)
    return tally


@pytest.fixture
def field(db, people):
    """Fältgruppen with a fältare and its manager; another unit with its own manager."""
    from models.catalogue import units_of_activity

    load_catalogue(db)
    act = activity(db, SERIOUS)
    unit = units_of_activity(db, act.id)[0]
    fia = member_of(people, db, SERIOUS, "fia")
    maja = people.user("maja", "manager", [unit])
    mats = people.user("mats", "manager", [people.unit("Familjecentralen")])
    return {"fia": fia, "maja": maja, "mats": mats, "unit": unit, "act": act}


# --- periods ---------------------------------------------------------------------------


def test_month_previous_and_following_are_calendar_months():
    march = period_of("month", date(2026, 3, 31))
    assert (march.start, march.end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert march.previous() == Period("month", date(2026, 2, 1), date(2026, 2, 28))
    assert march.following().start == date(2026, 4, 1)


def test_week_is_monday_to_sunday_and_previous_crosses_the_new_year():
    week = period_of("week", date(2026, 1, 1))
    assert week.start == date(2025, 12, 29) and week.end == date(2026, 1, 4)
    assert week.slug == "2026-W01"
    assert week.previous().start == date(2025, 12, 22)


def test_quarter_and_year_and_their_previous_periods():
    q1 = period_of("quarter", date(2026, 2, 10))
    assert (q1.start, q1.end, q1.slug) == (date(2026, 1, 1), date(2026, 3, 31), "2026-Q1")
    assert q1.previous() == Period("quarter", date(2025, 10, 1), date(2025, 12, 31))
    year = period_of("year", date(2026, 6, 1))
    assert year.previous() == Period("year", date(2025, 1, 1), date(2025, 12, 31))
    assert [b.start.month for b in year.buckets()] == list(range(1, 13))


def test_custom_period_compares_with_as_many_days_just_before():
    custom = parse_period("custom", start="2026-11-01", end="2026-11-15")
    assert custom.days == 15 and custom.slug == "2026-11-01_2026-11-15"
    assert custom.previous() == Period("custom", date(2026, 10, 17), date(2026, 10, 31))


@pytest.mark.parametrize("kind,start,end,field", [
    ("custom", "2026-11-15", "2026-11-01", "end"),
    ("custom", "", "2026-11-01", "start"),
    ("custom", "2026-13-01", "2026-11-01", "start"),
    ("custom", "2020-01-01", "2026-11-01", "end"),
    ("fortnight", "", "", "period"),
])
def test_a_bad_period_names_its_field(kind, start, end, field):
    with pytest.raises(ValidationErrors) as raised:
        parse_period(kind, start=start, end=end)
    assert field in raised.value.errors


def test_period_bounds_are_local_midnights_across_daylight_saving():
    # Sweden moves the clocks on 29 March 2026: the month still starts at local midnight.
    march = period_of("month", date(2026, 3, 10))
    start, end = march.utc_bounds()
    assert start.astimezone(UTC) == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["week", "month", "quarter", "year"]),
       st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_periods_tile_the_calendar_and_buckets_tile_the_period(kind, day):
    period = period_of(kind, day)
    assert period.contains(day)
    assert period.previous().end + timedelta(days=1) == period.start
    assert period.following().start - timedelta(days=1) == period.end
    buckets = period.buckets()
    assert buckets[0].start == period.start and buckets[-1].end == period.end
    for before, after in zip(buckets, buckets[1:], strict=False):
        assert before.end + timedelta(days=1) == after.start


# --- scope -----------------------------------------------------------------------------


def test_a_manager_sees_only_own_units(db, field):
    scope = scope_for(db, field["maja"], [], field["act"].id)
    assert [u.id for u in scope.units] == [field["unit"].id]
    with pytest.raises(DomainError) as raised:
        scope_for(db, field["mats"], [field["unit"].id])
    assert raised.value.field == "unit"


def test_an_activity_of_another_unit_is_refused(db, field):
    with pytest.raises(DomainError) as raised:
        scope_for(db, field["mats"], [], field["act"].id)
    assert raised.value.field == "activity"


def test_staff_have_no_statistics_scope(db, field):
    with pytest.raises(DomainError):
        scope_for(db, field["fia"], [])


# --- aggregation -------------------------------------------------------------------------


def test_breakdown_counts_every_field_and_skips_undone_tallies(db, field):
    fia, act = field["fia"], field["act"]
    log(db, fia, act, talk("k", "15", "skola"), at(3))
    log(db, fia, act, talk("k", "16", "skola"), at(4))
    log(db, fia, act, talk("m", "15", "beroende"), at(5))
    undone, _ = record_tally(db, fia, act, talk("x"), uuid.uuid4(), now=at(6))
    undo_tally(db, fia, undone, now=at(6) + timedelta(seconds=3))
    log(db, fia, act, talk("m"), at(2, month=11))  # next month: not counted
    db.commit()
    scope = scope_for(db, field["maja"], [], act.id)
    assert tally_total(db, scope, OCTOBER) == 3
    counts = field_counts(db, scope, OCTOBER, ["gender_young", "age_individual",
                                                  "problem_area"])
    assert counts[("gender_young", "k")] == 2 and counts[("gender_young", "m")] == 1
    assert ("gender_young", "x") not in counts
    assert counts[("age_individual", "15")] == 2
    assert counts[("problem_area", "skola")] == 2
    assert counts_by(db, scope, OCTOBER, 1) == {act.id: 3}


def test_a_tally_at_local_midnight_belongs_to_the_new_month(db, field):
    fia, act = field["fia"], field["act"]
    log(db, fia, act, talk(), local_midnight(date(2026, 11, 1)))
    log(db, fia, act, talk(), local_midnight(date(2026, 11, 1)) - timedelta(seconds=1))
    db.commit()
    scope = scope_for(db, field["maja"], [], act.id)
    assert tally_total(db, scope, OCTOBER) == 1
    assert tally_total(db, scope, OCTOBER.following()) == 1


def test_series_and_cross_tables_group_in_sql(db, field):
    fia, act = field["fia"], field["act"]
    for day, gender, problem, age in [(1, "k", "skola", "15"), (8, "k", "skola", "15"),
                                      (9, "m", "skola", "16"), (30, "m", "beroende", "16")]:
        log(db, fia, act, talk(gender, age, problem), at(day))
    db.commit()
    scope = scope_for(db, field["maja"], [], act.id)
    weeks = OCTOBER.buckets()
    assert weeks[0].start == date(2026, 10, 1) and weeks[0].end == date(2026, 10, 4)
    assert counts_by(db, scope, OCTOBER, 2) == {0: 1, 1: 2, 4: 1}
    series = series_counts(db, scope, OCTOBER, ["gender_young"])
    assert series[(1, "gender_young", "k")] == 1 and series[(1, "gender_young", "m")] == 1
    cross = cross_counts(db, scope, OCTOBER, "problem_area", "age_individual")
    assert cross == {("skola", "15"): 2, ("skola", "16"): 1, ("beroende", "16"): 1}


def test_a_year_has_twelve_monthly_buckets_in_one_query(db, field):
    fia, act = field["fia"], field["act"]
    for month in (1, 3, 3, 12):
        log(db, fia, act, talk(), at(15, month=month))
    db.commit()
    scope = scope_for(db, field["maja"], [], act.id)
    year = period_of(PeriodKind.year, date(2026, 5, 5))
    assert counts_by(db, scope, year, 2) == {0: 1, 2: 2, 11: 1}


# --- lag -------------------------------------------------------------------------------


def test_tally_lag_median_and_90th_percentile(db, field):
    fia, act = field["fia"], field["act"]
    for minutes in (1, 2, 3, 4, 100):
        log(db, fia, act, talk(), at(10), delay=timedelta(minutes=minutes))
    db.commit()
    lag = lag_by_unit(db, LagSource.tally, [field["unit"].id], OCTOBER, [act.id])
    lag = lag[field["unit"].id]
    assert lag.count == 5
    assert lag.median == pytest.approx(180, abs=1)  # 3 min: the middle of five
    assert lag.p90 == pytest.approx(6000, abs=1)  # nearest rank ceil(0.9·5) = 5th
    assert lag.late == 0


def test_journal_lag_counts_notes_written_over_a_day_late(db, people):
    home = make_home(people)
    now = datetime.now(UTC)
    for hours in (1, 2, 30, 50):
        add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök.",
                  occurred_at=now - timedelta(days=3), now=now - timedelta(days=3, hours=-hours))
    db.commit()
    period = period_of("year", local_today(now - timedelta(days=3)))
    lag = lag_by_unit(db, LagSource.journal, [home.unit.id], period)[home.unit.id]
    assert lag.count == 4
    assert lag.median == pytest.approx(16 * 3600, abs=2)  # (2 h + 30 h) / 2
    assert lag.p90 == pytest.approx(50 * 3600, abs=2)
    assert lag.late == 2


def test_no_lag_without_entries(db, field):
    assert lag_by_unit(db, LagSource.tally, [field["unit"].id], OCTOBER) == {}


def test_the_median_and_90th_percentile_ranks_are_found_in_the_right_histogram_bins():
    """Ranks 5, 6 and 9 over bins {0: 4, 3: 2, 7: 4}: the 5th and 6th values are the
    first and second of bin 3, the 9th the third of bin 7 (an empty bin in between)."""
    from models.manage.aggregate import rank_places

    assert rank_places({7: 4, 0: 4, 3: 2, 5: 0}, (5, 6, 9)) == {
        5: (3, 1), 6: (3, 2), 9: (7, 3)}
