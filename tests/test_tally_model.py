"""Tallies at the model level: validation per activity, exactly once, undo, correction."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from models.access.inbox import inbox
from models.core.db import new_session, utcnow
from models.core.errors import DomainError, ValidationErrors
from models.tally import (
    Tally,
    TallyValue,
    correct_tally,
    record_tally,
    undo_tally,
    values_of,
)
from tests.tally_helpers import CASES, NOT_TALLIED, activity, load_catalogue, member_of


def _uuid() -> str:
    return str(uuid.uuid4())


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_activity_logs_a_valid_tally(db, people, key):
    load_catalogue(db)
    a = activity(db, key)
    worker = member_of(people, db, key)
    valid, _invalid, _field = CASES[key]
    tally, created = record_tally(db, worker, a, valid, _uuid())
    db.commit()
    assert created and tally.id and tally.activity_id == a.id
    stored = values_of(db, [tally])[tally.id]
    for field_key, value in valid.items():
        if isinstance(value, dict):
            assert stored[field_key] == {c: n for c, n in value.items() if n}
        elif value != []:
            assert stored[field_key] == value


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_activity_rejects_an_invalid_tally_at_the_right_field(db, people, key):
    load_catalogue(db)
    worker = member_of(people, db, key)
    _valid, invalid, field = CASES[key]
    with pytest.raises(ValidationErrors) as error:
        record_tally(db, worker, activity(db, key), invalid, _uuid())
    assert field in error.value.errors
    assert str(error.value.errors[field])
    assert db.exec(select(func.count()).select_from(Tally)).one() == 0


@pytest.mark.parametrize("key", NOT_TALLIED)
def test_exempt_and_case_system_activities_refuse_any_tally(db, people, key):
    load_catalogue(db)
    worker = member_of(people, db, key)
    with pytest.raises(DomainError):
        record_tally(db, worker, activity(db, key), {"gender": "k"}, _uuid())


def test_counts_default_to_the_seed_default(db, people):
    load_catalogue(db)
    key = "familjecentral-enskilda-samtal"
    worker = member_of(people, db, key)
    values = dict(CASES[key][0])
    del values["talks"]
    tally, _ = record_tally(db, worker, activity(db, key), values, _uuid())
    assert values_of(db, [tally])[tally.id]["talks"] == 1


def test_same_client_uuid_twice_stores_one_tally(db, people):
    load_catalogue(db)
    key = "faltare-allvarssamtal"
    worker, a, client_uuid = member_of(people, db, key), activity(db, key), _uuid()
    first, created = record_tally(db, worker, a, CASES[key][0], client_uuid)
    db.commit()
    again, created_again = record_tally(db, worker, a, CASES[key][0], client_uuid)
    assert created and not created_again and again.id == first.id
    assert db.exec(select(func.count()).select_from(Tally)).one() == 1
    assert db.exec(select(func.count()).select_from(TallyValue)).one() == 4


def test_two_concurrent_identical_submissions_store_one_tally(app, db, people):
    load_catalogue(db)
    key = "motesplats-oppen-verksamhet"
    worker_id = member_of(people, db, key).id
    activity_id = activity(db, key).id
    client_uuid = _uuid()
    engine = app.extensions["nara_engine"]
    barrier = threading.Barrier(4)
    results, errors = [], []

    def submit():
        from models.access import User
        from models.catalogue import Activity

        try:
            with new_session(engine) as session:
                user, a = session.get(User, worker_id), session.get(Activity, activity_id)
                barrier.wait()
                tally, created = record_tally(session, user, a, CASES[key][0], client_uuid)
                session.commit()
                results.append((tally.id, created))
        except Exception as error:  # pragma: no cover - the assertion below shows it
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({tally_id for tally_id, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert db.exec(select(func.count()).select_from(Tally)).one() == 1


def test_the_database_refuses_a_value_outside_the_catalogue(db, people):
    """No free text can be stored: choice and field key are keys into the catalogue."""
    load_catalogue(db)
    key = "faltare-allvarssamtal"
    tally, _ = record_tally(db, member_of(people, db, key), activity(db, key), CASES[key][0],
                            _uuid())
    db.commit()
    row = {"tally_id": tally.id, "activity_id": tally.activity_id, "unit_id": tally.unit_id,
           "field_set_id": tally.field_set_id, "occurred_at": tally.occurred_at,
           "record_key": tally.record_key}
    for field_key, choice in (("route_in", "Anna Andersson, 19 år"), ("name", None)):
        with pytest.raises(IntegrityError):
            db.add(TallyValue(field_key=field_key, choice=choice, count=1, **row))
            db.flush()
        db.rollback()


def test_the_tally_table_has_no_text_column_for_a_person():
    from sqlalchemy import Boolean, Integer, Uuid
    from sqlmodel.sql.sqltypes import UTCDateTime

    for table in (Tally.__table__, TallyValue.__table__):
        texts = [c.name for c in table.columns
                 if not isinstance(c.type, Integer | Uuid | Boolean | UTCDateTime)]
        # void_reason: CHECK undo|correction; field_key/choice: foreign keys to the catalogue
        assert texts in (["void_reason"], ["field_key", "choice"])


def test_undo_within_ten_seconds_voids_the_tally_and_its_values(db, people):
    load_catalogue(db)
    key = "familjecentral-hembesok-bhv"
    worker = member_of(people, db, key)
    saved_at = utcnow()
    tally, _ = record_tally(db, worker, activity(db, key), {"home_visits": 2}, _uuid(),
                            now=saved_at)
    undo_tally(db, worker, tally, now=saved_at + timedelta(seconds=9))
    db.commit()
    assert tally.voided and tally.void_reason == "undo" and tally.voided_by_id == worker.id
    assert db.exec(select(TallyValue.voided).where(TallyValue.tally_id == tally.id)).all() == [
        True]


def test_undo_after_the_window_is_refused(db, people):
    load_catalogue(db)
    key = "familjecentral-hembesok-bhv"
    worker = member_of(people, db, key)
    saved_at = utcnow()
    tally, _ = record_tally(db, worker, activity(db, key), {"home_visits": 1}, _uuid(),
                            now=saved_at)
    with pytest.raises(DomainError):
        undo_tally(db, worker, tally, now=saved_at + timedelta(seconds=60))
    assert not tally.voided


def test_only_the_author_can_undo(db, people):
    load_catalogue(db)
    key = "familjecentral-hembesok-bhv"
    worker = member_of(people, db, key)
    colleague = member_of(people, db, key, "colleague")
    tally, _ = record_tally(db, worker, activity(db, key), {"home_visits": 1}, _uuid())
    with pytest.raises(DomainError):
        undo_tally(db, colleague, tally)


def test_correction_voids_the_original_and_links_the_replacement(db, people):
    load_catalogue(db)
    key = "faltare-allvarssamtal"
    worker, a = member_of(people, db, key), activity(db, key)
    original, _ = record_tally(db, worker, a, CASES[key][0], _uuid(),
                               now=utcnow() - timedelta(hours=3))
    fixed = dict(CASES[key][0], age_individual="14")
    correction_uuid = _uuid()
    replacement, created = correct_tally(db, worker, original, fixed, correction_uuid)
    db.commit()
    assert created and replacement.corrects_id == original.id
    assert original.void_reason == "correction" and original.voided_by_id == worker.id
    assert replacement.occurred_at == original.occurred_at
    assert values_of(db, [replacement])[replacement.id]["age_individual"] == "14"
    assert values_of(db, [original])[original.id]["age_individual"] == "13"  # history kept
    again, created_again = correct_tally(db, worker, original, fixed, correction_uuid)
    assert again.id == replacement.id and not created_again
    with pytest.raises(DomainError):
        correct_tally(db, worker, original, fixed, _uuid())


def test_invalid_correction_keeps_the_original(db, people):
    load_catalogue(db)
    key = "faltare-allvarssamtal"
    worker, a = member_of(people, db, key), activity(db, key)
    original, _ = record_tally(db, worker, a, CASES[key][0], _uuid())
    with pytest.raises(ValidationErrors):
        correct_tally(db, worker, original, CASES[key][1], _uuid())
    assert not original.voided


@pytest.mark.parametrize(("shift", "ok"), [
    (timedelta(hours=-2), True), (timedelta(days=-13), True), (timedelta(days=-15), False),
    (timedelta(hours=1), False),
])
def test_backdating_is_limited_and_never_in_the_future(db, people, shift, ok):
    load_catalogue(db)
    key = "familjecentral-hembesok-bhv"
    worker = member_of(people, db, key)
    now = utcnow()
    attempt = lambda: record_tally(db, worker, activity(db, key), {"home_visits": 1},  # noqa: E731
                                   _uuid(), occurred_at=now + shift, now=now)
    if ok:
        tally, _ = attempt()
        assert tally.occurred_at == now + shift
    else:
        with pytest.raises(ValidationErrors) as error:
            attempt()
        assert "occurred_at" in error.value.errors


def test_someone_outside_the_responsible_units_cannot_log(db, people):
    load_catalogue(db)
    outsider = people.user("outsider", "staff", ["Hemtjänst Norr"])
    with pytest.raises(DomainError):
        record_tally(db, outsider, activity(db, "faltare-allvarssamtal"),
                     CASES["faltare-allvarssamtal"][0], _uuid())


def test_a_member_of_two_responsible_units_must_say_which(db, people):
    load_catalogue(db)
    both = people.user("both", "staff", ["Mötesplatsen", "Mottaget MY"])
    values = CASES["rad-och-stod"][0]
    with pytest.raises(ValidationErrors) as error:
        record_tally(db, both, activity(db, "rad-och-stod"), values, _uuid())
    assert "unit" in error.value.errors
    unit = people.unit("Mottaget MY")
    tally, _ = record_tally(db, both, activity(db, "rad-och-stod"), values, _uuid(), unit=unit)
    assert tally.unit_id == unit.id


def test_statistics_group_by_gives_the_same_answer_as_the_tallies(db, people):
    load_catalogue(db)
    key = "motesplats-oppen-verksamhet"
    worker, a = member_of(people, db, key), activity(db, key)
    for visitors in ({"k": 3, "m": 2}, {"k": 1}, {"m": 4, "x": 1}):
        record_tally(db, worker, a, {"visitors_by_gender": visitors}, _uuid())
    undone, _ = record_tally(db, worker, a, {"visitors_by_gender": {"k": 50}}, _uuid())
    undo_tally(db, worker, undone)
    db.commit()
    rows = db.exec(text(
        "SELECT choice, SUM(count) FROM tally_value WHERE activity_id = :a AND voided = :f "
        "GROUP BY choice ORDER BY choice"), params={"a": a.id, "f": False}).all()
    assert [tuple(r) for r in rows] == [("k", 4), ("m", 6), ("x", 1)]


def test_fia_sees_her_three_field_activities_in_the_inbox(db, people):
    load_catalogue(db)
    fia = people.user("fia", "staff", ["Fältgruppen"])
    threads = {t.title: t for t in inbox(db, fia)}
    assert {"Allvarssamtal med enskild", "Gruppverksamhet", "Uppsökande verksamhet"} <= set(
        threads)
    assert threads["Uppsökande verksamhet"].badge


def test_kim_sees_the_family_centre_and_meeting_place_activities(db, people):
    load_catalogue(db)
    kim = people.user("kim", "staff", ["Familjecentralen", "Mötesplatsen"])
    titles = [t.title for t in inbox(db, kim) if t.key.startswith("activity:")]
    assert len(titles) == 8
    assert {"Spädbarnsmassage", "Råd och stöd", "Öppen verksamhet Mötesplats"} <= set(titles)


def test_demo_seed_gives_fia_and_kim_example_tallies_and_is_idempotent(db):
    from models.demo.people import seed_people, user_named
    from models.demo.tally import seed_catalogue_and_tallies

    seed_people(db)
    seed_catalogue_and_tallies(db)
    seed_catalogue_and_tallies(db)
    fia = user_named(db, "fia")
    mine = select(func.count()).select_from(Tally).where(Tally.user_id == fia.id)
    assert db.exec(mine).one() == 3
    lines = [t.last_line for t in inbox(db, fia) if t.title == "Allvarssamtal med enskild"]
    assert lines and lines[0]


def test_a_bubble_names_the_list_when_a_choice_could_belong_to_several(db, people):
    """'Skola' as a problem area and 'Skola' as the route in must not read 'Skola · Skola'."""
    from models.tally import views_of

    load_catalogue(db)
    worker = member_of(people, db, "faltare-allvarssamtal")
    a = activity(db, "faltare-allvarssamtal")
    values = {**CASES[a.key][0], "problem_area": "skola", "route_in": "skola"}
    tally, _ = record_tally(db, worker, a, values, _uuid())
    db.commit()
    lines = views_of(db, [tally])[0].lines("sv")
    assert "Problematik: Skola" in lines and "Väg in: Skola" in lines
    assert "Skola" not in lines  # never the bare, ambiguous label
    english = views_of(db, [tally])[0].lines("en")
    assert "Problem area: School" in english and "Route in: School" in english
