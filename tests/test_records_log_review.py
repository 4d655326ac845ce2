"""Log review (loggkontroll): filters over the manager's own units, a sample drawn with a
stored seed, marks, signing, the append-only guards and the pages (issue 14, part 4)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import select

from models.access import AccessLog, authorize
from models.core.clock import local_midnight, local_today
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.journal.people import create_client
from models.records import log_review as lr
from tests.conftest import soup, text_of, texts
from tests.journal_helpers import make_home


@pytest.fixture
def home(db, people):
    return make_home(people)


def _log(db, user, client, action="thread.read", outcome="granted", at=None) -> int:
    result = db.execute(insert(AccessLog).returning(AccessLog.id), {
        "at": at or utcnow(), "user_id": user.id, "subject_type": "client",
        "subject_id": client.id, "action": action, "outcome": outcome, "request_id": None})
    return result.scalar_one()


def _reads(db, home, count: int) -> list[int]:
    ids = [_log(db, home.hanna if n % 2 else home.hugo, home.client) for n in range(count)]
    db.commit()
    return ids


def _ids(rows) -> set[int]:
    return {r.row.id for r in rows}


def _drawn(db, home, count=12, size=10) -> lr.LogReview:
    _reads(db, home, count)
    return lr.draw_sample(db, home.maja, lr.default_filter(), size)


def _mark_all(db, home, review, verdict="justified") -> None:
    for log_id in lr.sample_ids(db, review):
        lr.mark_row(db, home.maja, review, log_id, verdict, "Besök enligt plan")


# --- filters ---------------------------------------------------------------------------


def test_filter_by_person_shows_only_that_persons_rows(db, home):
    hanna = _log(db, home.hanna, home.client)
    _log(db, home.hugo, home.client)
    db.commit()
    rows = lr.filtered_rows(db, home.maja, lr.LogFilter(user_id=home.hanna.id))
    assert _ids(rows) == {hanna}


def test_filter_by_client_shows_only_that_clients_rows(db, home):
    other = create_client(db, home.unit, "Bertil Test", "19400516-0009")
    astrid = _log(db, home.hanna, home.client)
    _log(db, home.hanna, other)
    db.commit()
    rows = lr.filtered_rows(db, home.maja, lr.LogFilter(client_id=home.client.id))
    assert _ids(rows) == {astrid}


def test_a_client_outside_my_units_cannot_be_chosen(db, home, people):
    other = create_client(db, people.unit("Annan enhet"), "Bo Annan", "19900101-0009")
    db.commit()
    with pytest.raises(ValidationErrors) as refused:
        lr.parse_filter(db, home.maja, {"client": str(other.id)})
    assert set(refused.value.errors) == {"client"}


def test_rows_about_another_units_clients_are_not_shown(db, home, people):
    other = create_client(db, people.unit("Annan enhet"), "Bo Annan", "19900101-0009")
    db.flush()
    _log(db, home.olle, other)
    mine = _log(db, home.hanna, home.client)
    db.commit()
    assert _ids(lr.filtered_rows(db, home.maja, lr.LogFilter())) == {mine}


def test_denied_only_shows_only_refused_attempts(db, home):
    _log(db, home.hanna, home.client)
    denied = _log(db, home.hugo, home.client, outcome="denied")
    db.commit()
    assert _ids(lr.filtered_rows(db, home.maja, lr.LogFilter(denied_only=True))) == {denied}


def test_every_read_leaves_writes_out(db, home):
    read = _log(db, home.hanna, home.client, "entry.read")
    _log(db, home.hanna, home.client, "entry.write")
    db.commit()
    assert _ids(lr.filtered_rows(db, home.maja, lr.LogFilter(action=lr.READS))) == {read}


def test_date_range_counts_whole_local_days(db, home):
    day = local_today() - timedelta(days=10)
    inside = _log(db, home.hanna, home.client, at=local_midnight(day))
    _log(db, home.hanna, home.client, at=local_midnight(day) - timedelta(seconds=1))
    _log(db, home.hanna, home.client, at=local_midnight(day + timedelta(days=1)))
    db.commit()
    assert _ids(lr.filtered_rows(db, home.maja, lr.LogFilter(start=day, end=day))) == {inside}


@pytest.mark.parametrize(("args", "field"), [
    ({"user": "abc"}, "user"), ({"user": "²"}, "user"), ({"client": "99999999999999999999"},
                                                          "client"),
    ({"start": "2026-02-30"}, "start"), ({"end": "1800-01-01"}, "end"),
    ({"start": "2026-03-02", "end": "2026-03-01"}, "end"), ({"action": "drop table"}, "action"),
    ({"denied": "yes"}, "denied"),
])
def test_a_bad_filter_value_is_an_error_at_its_field(db, home, args, field):
    with pytest.raises(ValidationErrors) as refused:
        lr.parse_filter(db, home.maja, args)
    assert set(refused.value.errors) == {field}


def test_a_person_outside_my_units_cannot_be_chosen(db, home):
    with pytest.raises(ValidationErrors) as refused:
        lr.parse_filter(db, home.maja, {"user": str(home.olle.id)})
    assert "user" in refused.value.errors


def test_default_filter_is_reads_in_the_last_month():
    today = local_today()
    assert lr.default_filter(today) == lr.LogFilter(
        start=today - timedelta(days=30), end=today, action=lr.READS)


# --- the sample ------------------------------------------------------------------------


def test_sample_draws_distinct_rows_among_the_filtered(db, home):
    candidates = set(_reads(db, home, 25))
    review = lr.draw_sample(db, home.maja, lr.default_filter(), 10)
    drawn = lr.sample_ids(db, review)
    assert len(set(drawn)) == 10 and set(drawn) <= candidates
    assert (review.candidates, review.size, review.reviewer_id) == (25, 10, home.maja.id)


def test_sample_is_drawn_again_exactly_from_its_stored_seed(db, home):
    review = _drawn(db, home, count=40)
    assert lr.sample_again(db, review) == lr.sample_ids(db, review)


def test_rows_logged_after_the_draw_do_not_change_the_redraw(db, home):
    review = _drawn(db, home, count=40)
    _reads(db, home, 30)
    assert lr.sample_again(db, review) == lr.sample_ids(db, review)


def test_the_same_seed_draws_the_same_sample(db, home):
    _reads(db, home, 40)
    first = lr.draw_sample(db, home.maja, lr.default_filter(), 10, seed="abc123")
    second = lr.draw_sample(db, home.maja, lr.default_filter(), 10, seed="abc123")
    assert lr.sample_ids(db, first) == lr.sample_ids(db, second)


def test_a_sample_larger_than_the_rows_takes_them_all(db, home):
    candidates = set(_reads(db, home, 4))
    review = lr.draw_sample(db, home.maja, lr.default_filter(), 10)
    assert set(lr.sample_ids(db, review)) == candidates


def test_nothing_to_sample_is_an_error_at_the_size(db, home):
    with pytest.raises(DomainError) as refused:
        lr.draw_sample(db, home.maja, lr.default_filter(), 10)
    assert refused.value.field == "size"


@pytest.mark.parametrize("raw", ["0", "51", "", "ten", "１０"])
def test_sample_size_is_a_number_from_1_to_50(raw):
    with pytest.raises(DomainError) as refused:
        lr.parse_size(raw)
    assert refused.value.field == "size"


# --- marks, signing, notes -------------------------------------------------------------


def test_a_questioned_row_needs_a_comment(db, home):
    review = _drawn(db, home)
    with pytest.raises(ValidationErrors) as refused:
        lr.mark_row(db, home.maja, review, lr.sample_ids(db, review)[0], "questioned", " ")
    assert set(refused.value.errors) == {"comment"}


def test_a_verdict_must_be_justified_or_questioned(db, home):
    review = _drawn(db, home)
    with pytest.raises(ValidationErrors) as refused:
        lr.mark_row(db, home.maja, review, lr.sample_ids(db, review)[0], "maybe", "")
    assert set(refused.value.errors) == {"verdict"}


def test_only_rows_in_the_sample_can_be_marked(db, home):
    review = _drawn(db, home, count=12, size=2)
    outside = _log(db, home.hanna, home.client)
    db.commit()
    with pytest.raises(DomainError):
        lr.mark_row(db, home.maja, review, outside, "justified", "")


def test_the_newest_mark_of_a_row_counts_until_signing(db, home):
    review = _drawn(db, home)
    row = lr.sample_ids(db, review)[0]
    lr.mark_row(db, home.maja, review, row, "justified", "")
    lr.mark_row(db, home.maja, review, row, "questioned", "Inte berörd personal")
    assert lr.latest_marks(db, review)[row].verdict == "questioned"


def test_signing_needs_every_row_marked(db, home):
    review = _drawn(db, home)
    lr.mark_row(db, home.maja, review, lr.sample_ids(db, review)[0], "justified", "")
    with pytest.raises(ValidationErrors) as refused:
        lr.sign_review(db, home.maja, review, "Inga avvikelser.", "")
    assert set(refused.value.errors) == {"form"}


def test_signing_needs_a_conclusion(db, home):
    review = _drawn(db, home)
    _mark_all(db, home, review)
    with pytest.raises(ValidationErrors) as refused:
        lr.sign_review(db, home.maja, review, "", "Samtal med Hugo")
    assert set(refused.value.errors) == {"conclusion"}


def test_a_signed_review_stores_reviewer_time_conclusion_and_follow_up(db, home):
    review = _drawn(db, home)
    _mark_all(db, home, review)
    lr.sign_review(db, home.maja, review, "Inga avvikelser.", "Ny kontroll i mars")
    signature = lr.signature_of(db, review)
    assert (signature.signed_by, signature.conclusion, signature.follow_up) == (
        home.maja.id, "Inga avvikelser.", "Ny kontroll i mars")
    assert signature.signed_at is not None


def test_a_signed_review_takes_no_more_marks(db, home):
    review = _drawn(db, home)
    _mark_all(db, home, review)
    lr.sign_review(db, home.maja, review, "Inga avvikelser.", "")
    with pytest.raises(DomainError):
        lr.mark_row(db, home.maja, review, lr.sample_ids(db, review)[0], "questioned", "Nej")


def test_a_signed_review_cannot_be_signed_again(db, home):
    review = _drawn(db, home)
    _mark_all(db, home, review)
    lr.sign_review(db, home.maja, review, "Inga avvikelser.", "")
    with pytest.raises(DomainError):
        lr.sign_review(db, home.maja, review, "Annan slutsats", "")


def test_a_note_can_be_added_after_signing(db, home):
    review = _drawn(db, home)
    _mark_all(db, home, review)
    lr.sign_review(db, home.maja, review, "Inga avvikelser.", "Samtal med Hugo")
    lr.add_note(db, home.maja, review, "Samtalet hölls 3 mars.")
    assert [n.text for n, _ in lr.review_view(db, review).notes] == ["Samtalet hölls 3 mars."]


# --- the guards: nothing written is changed --------------------------------------------


def test_the_signature_cannot_be_updated_through_the_orm(db, home):
    review = _drawn(db, home)
    _mark_all(db, home, review)
    signature = lr.sign_review(db, home.maja, review, "Inga avvikelser.", "")
    signature.conclusion = "Något annat"
    with pytest.raises(DomainError):
        db.commit()


def test_a_review_cannot_be_deleted_through_the_orm(db, home):
    review = _drawn(db, home)
    db.delete(review)
    with pytest.raises(DomainError):
        db.commit()


def test_a_mark_written_past_the_model_after_signing_is_refused(db, home):
    review = _drawn(db, home)
    _mark_all(db, home, review)
    lr.sign_review(db, home.maja, review, "Inga avvikelser.", "")
    db.add(lr.LogReviewMark(review_id=review.id, access_log_id=lr.sample_ids(db, review)[0],
                            verdict="questioned", comment="efteråt", marked_by=home.maja.id))
    with pytest.raises(DomainError):
        db.commit()


# --- who may ---------------------------------------------------------------------------


def test_another_manager_cannot_open_my_review(db, home):
    review = _drawn(db, home)
    assert authorize(db, home.maja, "records.log_review_open", review)
    assert not authorize(db, home.mats, "records.log_review_open", review)


def test_staff_may_not_review_the_log(db, home):
    assert not authorize(db, home.hanna, "records.log_review")


# --- pages -----------------------------------------------------------------------------


def test_log_page_starts_with_reads_in_the_last_month(client, db, people, home):
    people.login(home.maja)
    page = soup(client.get("/records/log"))
    today = local_today()
    assert page.select_one("#f-start")["value"] == (today - timedelta(days=30)).isoformat()
    assert page.select_one("#f-action option[selected]")["value"] == lr.READS


def test_log_page_lists_the_filtered_rows(client, db, people, home):
    _reads(db, home, 3)
    people.login(home.maja)
    rows = texts(client.get("/records/log"), "#log-rows li.log-row")
    assert len(rows) == 3 and "Astrid Test" in rows[0]


def test_a_bad_filter_is_shown_at_its_field_with_422(client, db, people, home):
    people.login(home.maja)
    response = client.get("/records/log?user=abc&start=2026-13-01")
    page = soup(response)
    assert response.status_code == 422
    assert page.select_one("#f-user")["aria-invalid"] == "true"
    assert text_of(page.select_one("#err-start"))


def test_drawing_a_sample_opens_the_review_with_its_rows(client, db, people, home):
    _reads(db, home, 15)
    people.login(home.maja)
    response = client.post("/records/log/reviews", data={**lr.default_filter().as_args(),
                                                         "size": "10"})
    assert response.status_code == 303
    page = soup(client.get(response.headers["Location"]))
    assert len(page.select("#sample-rows li.log-row form.log-mark")) == 10


def test_a_bad_sample_size_is_shown_at_the_field(client, db, people, home):
    _reads(db, home, 3)
    people.login(home.maja)
    response = client.post("/records/log/reviews", data={"size": "500"})
    assert response.status_code == 422
    assert text_of(soup(response).select_one("#err-size"))


def test_marking_a_row_shows_its_verdict(client, db, people, home):
    review = _drawn(db, home)
    row = lr.sample_ids(db, review)[0]
    people.login(home.maja)
    client.post(f"/records/log/reviews/{review.id}/rows/{row}",
                data={"verdict": "questioned", "comment": "Inte berörd"})
    page = soup(client.get(f"/records/log/reviews/{review.id}"))
    assert "verdict-questioned" in page.select_one(f"#row-{row} .verdict")["class"]


def test_a_question_without_comment_is_shown_at_the_row(client, db, people, home):
    review = _drawn(db, home)
    row = lr.sample_ids(db, review)[0]
    people.login(home.maja)
    response = client.post(f"/records/log/reviews/{review.id}/rows/{row}",
                           data={"verdict": "questioned", "comment": ""})
    assert response.status_code == 422
    assert soup(response).select_one(f"#row-{row} #err-comment")


def test_signing_too_early_says_how_many_rows_are_left(client, db, people, home):
    review = _drawn(db, home)
    people.login(home.maja)
    response = client.post(f"/records/log/reviews/{review.id}/sign",
                           data={"conclusion": "Klart"})
    assert response.status_code == 422
    assert "10" in text_of(soup(response).select_one("#err-form"))


def test_a_signed_review_shows_its_signature_and_no_forms_to_mark(client, db, people, home):
    review = _drawn(db, home)
    _mark_all(db, home, review)
    people.login(home.maja)
    client.post(f"/records/log/reviews/{review.id}/sign",
                data={"conclusion": "Inga avvikelser.", "follow_up": "Ingen"})
    page = soup(client.get(f"/records/log/reviews/{review.id}"))
    assert "Inga avvikelser." in text_of(page.select_one("#signature"))
    assert page.select("form.log-mark") == [] and page.select_one("#sign-form") is None


def test_posting_without_the_csrf_token_is_refused(client, db, people, home):
    review = _drawn(db, home)
    people.login(home.maja)
    response = client.post(f"/records/log/reviews/{review.id}/notes", data={"note": "x"},
                           csrf=False)
    assert response.status_code == 400


def test_staff_account_page_says_the_log_is_reviewed(client, people, home):
    people.login(home.hanna)
    assert soup(client.get("/account")).select_one("#log-review-notice")


def test_journal_access_log_links_to_the_log_review(client, people, home):
    people.login(home.maja)
    link = soup(client.get("/journal/log")).select_one("a#log-review-link")
    assert link["href"] == "/records/log"


# --- PostgreSQL: the app's role may only INSERT and SELECT -----------------------------

ROLE = f"nara_append_{os.getpid()}"  # roles are cluster-wide: one per test process
GRANTS = f"""
CREATE ROLE {ROLE} NOLOGIN;
GRANT SELECT, INSERT ON access_log, log_review, log_review_sample, log_review_mark,
    log_review_signature, log_review_note, log_review_snapshot TO {ROLE};
GRANT USAGE ON SEQUENCE access_log_id_seq, log_review_id_seq, log_review_sample_id_seq,
    log_review_mark_id_seq, log_review_signature_id_seq, log_review_note_id_seq,
    log_review_snapshot_id_seq TO {ROLE};
"""


@contextmanager
def insert_only_role(db):
    """A connection acting as a role with the README's GRANTs; all of it rolled back."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("database roles and GRANTs are PostgreSQL's")
    with db.get_bind().connect() as con:
        tx = con.begin()
        con.execute(text(GRANTS))
        con.execute(text(f"SET LOCAL ROLE {ROLE}"))
        try:
            yield con
        finally:
            tx.rollback()


def test_an_update_of_the_access_log_fails_for_the_insert_only_role(db, home):
    row = _log(db, home.hanna, home.client)
    db.commit()
    with insert_only_role(db) as con, pytest.raises(ProgrammingError, match="permission denied"):
        con.execute(text("UPDATE access_log SET outcome = 'granted' WHERE id = :id"), {"id": row})


def test_the_insert_only_role_can_still_log_and_read(db, home):
    with insert_only_role(db) as con:
        row = _log(con, home.hanna, home.client)
        assert con.execute(select(AccessLog.id).where(AccessLog.id == row)).scalar() == row
