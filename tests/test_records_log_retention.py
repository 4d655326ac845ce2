"""The access log's own retention (issue 14, section 1): rows go when their period (data)
has passed, never while an unsigned review samples them; a signed review stays readable;
the prune is a job for the tables' owner, logged with its count only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import insert, text
from sqlmodel import Session, select

from models.access import AccessLog
from models.core.clock import LOCAL_TZ, local_today
from models.records import log_retention as lret
from models.records import log_review as lr
from models.records import retention
from models.records.retention import DestructionRun
from tests.journal_helpers import make_home
from tests.test_records_log_review import ROLE, insert_only_role

WRITTEN = date(2026, 3, 1)  # a row's local day; with 5 years it is due on 2031-03-01


@pytest.fixture
def home(db, people):
    return make_home(people)


def _log(db, user, client, day: date, at=time(12, 0), action="thread.read") -> int:
    moment = datetime.combine(day, at, LOCAL_TZ)
    return db.execute(insert(AccessLog).returning(AccessLog.id), {
        "at": moment, "user_id": user.id, "subject_type": "client", "subject_id": client.id,
        "action": action, "outcome": "granted", "request_id": None}).scalar_one()


def _exists(db, log_id: int) -> bool:
    return db.exec(select(AccessLog.id).where(AccessLog.id == log_id)).first() is not None


# --- the rule ----------------------------------------------------------------------------


def test_a_row_is_due_the_same_day_its_period_later():
    assert lret.log_due(WRITTEN, 5) == date(2031, 3, 1)


def test_a_leap_day_row_is_due_on_the_28th_of_february():
    assert lret.log_due(date(2024, 2, 29), 5) == date(2029, 2, 28)


def test_on_the_28th_of_february_the_leap_day_rows_are_due_and_1_march_rows_are_not():
    assert lret.first_kept_day(date(2029, 2, 28), 5) == date(2024, 3, 1)


def test_the_day_before_the_due_date_the_row_is_kept(db, home):
    row = _log(db, home.hanna, home.client, WRITTEN, time(23, 59))
    lret.prune(db, today=date(2031, 2, 28))
    assert _exists(db, row)


def test_on_the_due_date_the_row_is_deleted(db, home):
    row = _log(db, home.hanna, home.client, WRITTEN, time(23, 59))
    next_day = _log(db, home.hanna, home.client, WRITTEN + timedelta(days=1), time(0, 1))
    lret.prune(db, today=date(2031, 3, 1))
    assert not _exists(db, row) and _exists(db, next_day)


def test_the_period_is_data_an_admin_can_change(db, home, people):
    row = _log(db, home.hanna, home.client, WRITTEN)
    retention.set_period(db, people.user("ada_log", "admin"), retention.ACCESS_LOG_KIND, "2",
                         "Beslut i nämnden")
    lret.prune(db, today=date(2028, 3, 1))
    assert not _exists(db, row)


def test_a_prune_is_logged_with_its_count_only(db, home):
    for _n in range(3):
        _log(db, home.hanna, home.client, WRITTEN)
    run = lret.prune(db, today=date(2031, 3, 1))
    db.commit()
    stored = db.get(DestructionRun, run.id)
    assert (stored.what, stored.log_rows, stored.log_before) == (
        "access_log", 3, date(2026, 3, 2))
    assert {c.name for c in DestructionRun.__table__.columns} >= {"log_rows"}
    assert not any("name" in c.name for c in DestructionRun.__table__.columns)


# --- log reviews --------------------------------------------------------------------------


def _review(db, home, day: date, count=3) -> lr.LogReview:
    for _n in range(count):
        _log(db, home.hanna, home.client, day)
    db.commit()
    flt = lr.LogFilter(start=day, end=day, action=lr.READS)
    return lr.draw_sample(db, home.maja, flt, count)


def _sign(db, home, review) -> None:
    for log_id in lr.sample_ids(db, review):
        lr.mark_row(db, home.maja, review, log_id, "justified", "")
    lr.sign_review(db, home.maja, review, "Inga avvikelser", "")


def test_rows_an_unsigned_review_samples_are_kept(db, home):
    review = _review(db, home, WRITTEN)
    plan = lret.prune_plan(db, today=date(2031, 3, 1))
    lret.prune(db, today=date(2031, 3, 1))
    assert all(_exists(db, i) for i in lr.sample_ids(db, review))
    assert (plan.held, plan.held_reviews) == (3, [review.id])


def test_a_signed_review_reads_the_same_after_its_rows_are_pruned(db, home):
    review = _review(db, home, WRITTEN)
    _sign(db, home, review)
    before = [(r.position, r.log.row.at, r.log.user.id, r.log.row.action, r.mark.verdict)
              for r in lr.review_view(db, review).rows]
    lret.prune(db, today=date(2031, 3, 1))
    db.commit()
    after = lr.review_view(db, review)
    assert not any(_exists(db, i) for i in lr.sample_ids(db, review))
    assert [(r.position, r.log.row.at, r.log.user.id, r.log.row.action, r.mark.verdict)
            for r in after.rows] == before
    assert all(r.log.client.id == home.client.id for r in after.rows)


def test_a_signed_review_of_a_destroyed_file_shows_no_name(db, home):
    review = _review(db, home, WRITTEN, count=1)
    _sign(db, home, review)
    copy = db.exec(select(lr.LogReviewSnapshot)).one()
    assert home.client.name not in {str(v) for v in copy.model_dump().values()}
    db.execute(lr.LogReviewSnapshot.__table__.update().values(subject_id=-5))  # no file
    db.expire_all()
    (row,) = lr.review_view(db, review).rows
    assert row.log.client is None and row.log.destroyed


# --- the command --------------------------------------------------------------------------


def _old_and_new(db, home) -> tuple[int, int]:
    today = local_today()
    old = _log(db, home.hanna, home.client, today.replace(year=today.year - 6))
    new = _log(db, home.hanna, home.client, today.replace(year=today.year - 4))
    db.commit()
    return old, new


def test_prune_log_without_confirm_changes_nothing(runner, db, home):
    old, _new = _old_and_new(db, home)
    result = runner.invoke(args=["records", "prune-log"])
    assert result.exit_code == 0 and "1 row(s)" in result.output and "Dry run" in result.output
    assert _exists(db, old)


def test_prune_log_confirm_deletes_the_due_rows_and_logs_the_count(runner, db, home):
    old, new = _old_and_new(db, home)
    result = runner.invoke(args=["records", "prune-log", "--confirm"])
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert not _exists(db, old) and _exists(db, new)
    run = db.exec(select(DestructionRun).where(DestructionRun.what == "access_log")).one()
    assert run.log_rows == 1 and "deleted 1 access-log row(s)" in result.output


def test_the_app_role_cannot_prune_and_nothing_is_deleted(db, home):
    old, _new = _old_and_new(db, home)
    with insert_only_role(db) as con:
        con.execute(text(f"RESET ROLE; GRANT SELECT, INSERT, UPDATE, DELETE ON "
                         f"retention_period, destruction_run TO {ROLE}; "
                         f"SET LOCAL ROLE {ROLE}"))  # the other tables: the usual grants
        with Session(bind=con) as session, pytest.raises(lret.PruneRefused):
            lret.prune(session)
    assert _exists(db, old)


def test_the_log_review_still_finds_the_rows_of_a_destroyed_file_without_its_name(db, home):
    from models.journal.tables import DestroyedFile

    row = _log(db, home.hanna, home.client, local_today())
    db.add(DestroyedFile(client_id=home.client.id + 1000, unit_id=home.unit.id))
    gone = db.execute(insert(AccessLog).returning(AccessLog.id), {
        "at": datetime.now(LOCAL_TZ), "user_id": home.hanna.id, "subject_type": "client",
        "subject_id": home.client.id + 1000, "action": "thread.read", "outcome": "granted",
        "request_id": None}).scalar_one()
    db.commit()
    rows = {r.row.id: r for r in lr.filtered_rows(db, home.maja, lr.LogFilter())}
    assert set(rows) >= {row, gone}
    assert rows[gone].destroyed and rows[gone].client is None
