"""The tallies' daily counts (issue 16 §3) are what statistics read: after every way a
tally is written — saved, undone, corrected, imported, many at once — they equal the
tallies themselves, on the municipality's local day, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

from sqlmodel import select

from models.core.clock import local_midnight
from models.core.db import new_session
from models.manage.aggregate import period_of, scope_for, tally_total
from models.tally import correct_tally, daily, record_tally, undo_tally
from models.tally.daily import TALLIES, TallyDay
from tests import test_stats, test_tally_import
from tests.test_stats import at, log, talk
from tests.test_tally_import import GOOD, _csv, _import

field = test_stats.field  # the fixtures, shared
allvar = test_tally_import.allvar


def _kept(db, act_id, day) -> dict:
    """{(field, option): n} kept for the activity on a local day."""
    rows = db.exec(select(TallyDay).where(TallyDay.activity_id == act_id, TallyDay.day == day))
    return {(r.field_key, r.choice): r.n for r in rows if r.n}


def test_a_saved_tally_is_counted_on_its_day_with_each_of_its_values(db, field):
    log(db, field["fia"], field["act"], talk("k", "15", "skola"), at(3))
    db.commit()
    kept = _kept(db, field["act"].id, date(2026, 10, 3))
    assert kept[(TALLIES, "")] == 1
    assert kept[("gender_young", "k")] == 1
    assert kept[("problem_area", "skola")] == 1
    assert daily.drift(db) == []


def test_an_undone_tally_is_taken_out_of_the_counts(db, field):
    fia, act = field["fia"], field["act"]
    log(db, fia, act, talk("m"), at(3))
    undone, _ = record_tally(db, fia, act, talk("k"), uuid.uuid4(), occurred_at=at(3),
                             now=at(3))
    undo_tally(db, fia, undone, now=at(3) + timedelta(seconds=4))
    db.commit()
    kept = _kept(db, act.id, date(2026, 10, 3))
    assert kept[(TALLIES, "")] == 1
    assert ("gender_young", "k") not in kept
    assert daily.drift(db) == []


def test_a_correction_moves_the_count_to_the_corrected_values(db, field):
    fia, act = field["fia"], field["act"]
    first = log(db, fia, act, talk("k", problem="skola"), at(3))
    db.commit()
    correct_tally(db, fia, first, talk("k", problem="beroende"), uuid.uuid4(),
                  now=at(3) + timedelta(hours=2))
    db.commit()
    kept = _kept(db, act.id, date(2026, 10, 3))
    assert kept[(TALLIES, "")] == 1
    assert kept[("problem_area", "beroende")] == 1
    assert ("problem_area", "skola") not in kept
    assert daily.drift(db) == []


def test_a_tally_just_after_local_midnight_counts_on_the_new_local_day(db, field):
    # 00:30 on New Year's Day in Sweden is 23:30 UTC on New Year's Eve
    fia, act = field["fia"], field["act"]
    new_year = local_midnight(date(2026, 1, 1)) + timedelta(minutes=30)
    record_tally(db, fia, act, talk(), uuid.uuid4(), occurred_at=new_year,
                 now=new_year + timedelta(minutes=1))
    db.commit()
    assert _kept(db, act.id, date(2026, 1, 1))[(TALLIES, "")] == 1
    scope = scope_for(db, field["maja"], [], act.id)
    assert tally_total(db, scope, period_of("year", date(2026, 6, 1))) == 1
    assert tally_total(db, scope, period_of("year", date(2025, 6, 1))) == 0


def test_the_night_summer_time_begins_keeps_its_local_day(db, field):
    # 29 March 2026: clocks go from 02:00 to 03:00; 00:30 local is 23:30 UTC the day before
    fia, act = field["fia"], field["act"]
    for minutes in (30, 60 * 3 + 30, 60 * 23 + 30):
        moment = local_midnight(date(2026, 3, 29)) + timedelta(minutes=minutes)
        record_tally(db, fia, act, talk(), uuid.uuid4(), occurred_at=moment,
                     now=moment + timedelta(minutes=1))
    db.commit()
    assert _kept(db, act.id, date(2026, 3, 29))[(TALLIES, "")] == 3
    assert daily.drift(db) == []


def test_an_imported_file_is_counted_like_tallies_saved_one_by_one(db, allvar):
    rows = [GOOD, GOOD, ["2025-03-15", *GOOD[1:]]]
    report = _import(db, allvar, _csv(rows))
    assert report.stored == 3
    act, _unit, _admin = allvar
    assert _kept(db, act.id, date(2025, 3, 14))[(TALLIES, "")] == 2
    assert _kept(db, act.id, date(2025, 3, 15))[(TALLIES, "")] == 1
    assert daily.drift(db) == []


def test_rebuilding_the_counts_gives_the_counts_kept_by_the_saves(db, field):
    fia, act = field["fia"], field["act"]
    for day in (1, 2, 2, 9):
        log(db, fia, act, talk("x" if day == 9 else "k"), at(day))
    db.commit()
    kept = {day: _kept(db, act.id, date(2026, 10, day)) for day in (1, 2, 9)}
    daily.rebuild(db)
    db.commit()
    assert {day: _kept(db, act.id, date(2026, 10, day)) for day in (1, 2, 9)} == kept


def test_drift_names_a_count_that_differs_from_the_tallies(db, field):
    log(db, field["fia"], field["act"], talk(), at(3))
    db.commit()
    row = db.exec(select(TallyDay).where(TallyDay.field_key == TALLIES)).one()
    row.n += 1
    db.add(row)
    db.commit()
    assert [(d[2], d[5], d[7]) for d in daily.drift(db)] == [(TALLIES, 2, 1)]


def test_saves_at_the_same_moment_on_the_same_day_lose_no_count(app, db, field):
    """Eight phones saving the same activity's tallies at once: every one is counted (one
    INSERT … ON CONFLICT DO UPDATE each, its rows in key order: no deadlock either)."""
    fia_id, act_id = field["fia"].id, field["act"].id
    db.commit()
    engine = app.extensions["nara_engine"]
    barrier, errors = threading.Barrier(8), []

    def save(i):
        from models.access import User
        from models.catalogue import Activity

        try:
            with new_session(engine) as session:
                user, act = session.get(User, fia_id), session.get(Activity, act_id)
                barrier.wait()
                for n in range(5):
                    record_tally(session, user, act, talk("km"[(i + n) % 2]), uuid.uuid4(),
                                 occurred_at=at(3), now=at(3) + timedelta(minutes=1))
                    session.commit()
        except Exception as error:  # pragma: no cover - the assertion below shows it
            errors.append(error)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.expire_all()
    kept = _kept(db, act_id, date(2026, 10, 3))
    assert kept[(TALLIES, "")] == 40
    assert kept[("gender_young", "k")] + kept[("gender_young", "m")] == 40
    assert daily.drift(db) == []


def test_the_operator_checks_and_repairs_the_counts_from_the_command_line(app, db, field):
    log(db, field["fia"], field["act"], talk(), at(3))
    db.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tallies", "check-counts"]).exit_code == 0
    row = db.exec(select(TallyDay).where(TallyDay.field_key == TALLIES)).one()
    db.delete(row)
    db.commit()
    checked = runner.invoke(args=["tallies", "check-counts"])
    assert checked.exit_code == 1
    assert "kept 0, counted 1" in checked.output
    assert runner.invoke(args=["tallies", "check-counts", "--repair"]).exit_code == 0
    assert daily.drift(db) == []
