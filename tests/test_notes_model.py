"""Working notes, the model: contacts, talks as tallies, the cap, idle shredding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from models import notes
from models.access import AccessLog
from models.access.inbox import inbox
from models.catalogue import responsible_units_of
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.tally import Tally, TallyValue, undo_tally
from tests.notes_helpers import build, new_uuid, valid_values


@pytest.fixture
def world(app, db, people):
    with app.test_request_context():
        yield build(db, people)


def _talk(world, contact, note="", values=None, now=None, client_uuid=None):
    values = valid_values(world.db, world.rad.key if contact.activity_id == world.rad.id
                          else world.anhorig.key) if values is None else values
    link, created = notes.log_talk(world.db, world.kim, contact, values, note,
                                   client_uuid or new_uuid(), now=now)
    world.db.commit()
    return link, created


def _contact(world, pseudonym="Blå 7", activity=None):
    contact = notes.open_contact(world.db, world.kim, activity or world.rad, pseudonym)
    world.db.commit()
    return contact


def _talks_in_statistics(db, activity) -> int:
    return int(db.exec(select(func.coalesce(func.sum(TallyValue.count), 0)).where(
        TallyValue.activity_id == activity.id, TallyValue.field_key == "talks",
        TallyValue.voided == False)).one())  # noqa: E712


def test_a_contact_has_no_field_that_could_hold_identity():
    columns = set(notes.WorkingContact.__table__.columns.keys())
    assert columns == {"id", "owner_id", "activity_id", "unit_id", "pseudonym", "created_at",
                       "last_talk_at"}


def test_counsellor_opens_a_contact_under_a_pseudonym(world):
    contact = _contact(world, "  Blå   7 ")
    assert contact.pseudonym == "Blå 7"
    assert contact.unit_id in responsible_units_of(world.db, world.kim, world.rad)


@pytest.mark.parametrize("pseudonym", ["850709-9805", "Anna 3", "070-123 45 67",
                                       "a@b.se", "Storgatan 12"])
def test_pseudonym_that_looks_like_identity_is_refused(world, pseudonym):
    with pytest.raises(ValidationErrors) as refused:
        notes.open_contact(world.db, world.kim, world.rad, pseudonym)
    assert "pseudonym" in refused.value.errors


def test_owner_cannot_have_two_contacts_with_one_pseudonym(world):
    _contact(world)
    with pytest.raises(ValidationErrors) as refused:
        notes.open_contact(world.db, world.kim, world.anhorig, "Blå 7")
    assert "pseudonym" in refused.value.errors


def test_a_colleague_may_use_the_same_pseudonym(world):
    _contact(world)
    theirs = notes.open_contact(world.db, world.kia, world.rad, "Blå 7")
    assert (theirs.owner_id, theirs.pseudonym) == (world.kia.id, "Blå 7")


def test_contacts_only_for_activities_with_working_notes(world):
    with pytest.raises(ValidationErrors) as refused:
        notes.open_contact(world.db, world.kim, world.aggregate, "Grön 1")
    assert "activity" in refused.value.errors


@pytest.mark.parametrize("who", ["maja", "admin"])
def test_managers_and_admins_cannot_open_contacts(world, who):
    with pytest.raises(ValidationErrors):
        notes.open_contact(world.db, getattr(world, who), world.rad, "Grön 1")


def test_staff_of_another_unit_cannot_open_a_contact_for_the_activity(world):
    outsider = world.people.user("otto", units=["Hemtjänst Norr"])
    assert not notes.may_open_contact(world.db, outsider, world.rad)


def test_each_talk_is_a_tally_counted_in_the_statistics_as_one_talk(world):
    contact = _contact(world)
    before = _talks_in_statistics(world.db, world.rad)
    for _ in range(3):
        _talk(world, contact, "minnesanteckning")
    assert _talks_in_statistics(world.db, world.rad) == before + 3
    assert notes.talk_count(world.db, contact) == 3
    tallies = world.db.exec(select(Tally).where(Tally.user_id == world.kim.id)).all()
    assert {t.unit_id for t in tallies} == {contact.unit_id}


def test_note_is_kept_with_its_talk_and_the_talks_read_back_in_order(world):
    contact = _contact(world)
    _talk(world, contact, "första")
    _talk(world, contact)
    _talk(world, contact, "tredje")
    talks = notes.talks_of(world.db, contact)
    assert [t.number for t in talks] == [1, 2, 3]
    assert [t.note.text if t.note else None for t in talks] == ["första", None, "tredje"]
    assert talks[0].tally.lines()


def test_note_with_a_personnummer_stores_nothing_at_all(world):
    contact = _contact(world)
    tallies_before = world.db.exec(select(func.count(Tally.id))).one()
    with pytest.raises(ValidationErrors) as refused:
        notes.log_talk(world.db, world.kim, contact, valid_values(world.db, world.rad.key),
                       "Mamman har pnr 19850709-9805", new_uuid())
    world.db.rollback()
    assert "19850709-9805" in str(refused.value.errors["note"])
    assert world.db.exec(select(func.count(Tally.id))).one() == tallies_before
    assert notes.talk_count(world.db, contact) == 0


def test_refused_note_also_reports_the_tally_field_errors(world):
    contact = _contact(world)
    with pytest.raises(ValidationErrors) as refused:
        notes.log_talk(world.db, world.kim, contact, {}, "ring 070-123 45 67", new_uuid())
    assert {"note", "gender"} <= set(refused.value.errors)


def test_invalid_tally_fields_store_no_note(world):
    contact = _contact(world)
    with pytest.raises(ValidationErrors) as refused:
        notes.log_talk(world.db, world.kim, contact, {}, "bra samtal", new_uuid())
    world.db.rollback()
    assert "gender" in refused.value.errors
    assert world.db.exec(select(func.count(notes.WorkingNote.id))).one() == 0


def test_too_long_note_is_refused(world):
    contact = _contact(world)
    with pytest.raises(ValidationErrors) as refused:
        notes.log_talk(world.db, world.kim, contact, valid_values(world.db, world.rad.key),
                       "x" * (notes.NOTE_MAX + 1), new_uuid())
    assert "note" in refused.value.errors


def test_sixth_talk_of_rad_och_stod_is_refused_as_a_needs_assessed_case(world):
    contact = _contact(world)
    assert world.rad.talk_cap == 5  # the cap is catalogue data (seed 001)
    for _ in range(5):
        _talk(world, contact)
    with pytest.raises(DomainError) as refused:
        _talk(world, contact, "sjätte")
    world.db.rollback()
    assert "behovsbedömt ärende" in str(refused.value)
    assert notes.talk_count(world.db, contact) == 5


def test_activity_without_a_cap_in_the_catalogue_takes_more_than_five_talks(world):
    assert world.anhorig.talk_cap is None
    contact = _contact(world, "Röd 2", world.anhorig)
    for _ in range(6):
        _talk(world, contact)
    assert notes.talk_count(world.db, contact) == 6


def test_the_cap_follows_the_catalogue(world):
    world.anhorig.talk_cap = 2
    world.db.add(world.anhorig)
    contact = _contact(world, "Röd 2", world.anhorig)
    _talk(world, contact)
    _talk(world, contact)
    with pytest.raises(DomainError):
        _talk(world, contact)


def test_an_undone_talk_does_not_count_towards_the_cap(world):
    contact = _contact(world)
    link, _created = _talk(world, contact)
    undo_tally(world.db, world.kim, world.db.get(Tally, link.tally_id))
    world.db.commit()
    assert notes.talk_count(world.db, contact) == 0


def test_the_same_submission_sent_twice_is_one_talk(world):
    contact = _contact(world)
    key = new_uuid()
    first, created = _talk(world, contact, "en gång", client_uuid=key)
    again, created_again = _talk(world, contact, "en gång", client_uuid=key)
    assert created and not created_again and first.id == again.id
    assert notes.talk_count(world.db, contact) == 1


def test_a_submission_id_of_another_contact_is_refused(world):
    one, two = _contact(world), _contact(world, "Grön 3")
    key = new_uuid()
    _talk(world, one, client_uuid=key)
    with pytest.raises(DomainError):
        _talk(world, two, client_uuid=key)


def test_the_composer_is_prefilled_with_the_last_talks_values(world):
    contact = _contact(world)
    values = valid_values(world.db, world.rad.key)
    _talk(world, contact, values=values)
    assert notes.last_values(world.db, contact)["gender"] == values["gender"]


def test_writes_are_logged_without_text(world):
    contact = _contact(world)
    _talk(world, contact, "hemligt innehåll")
    rows = world.db.exec(select(AccessLog).where(AccessLog.subject_type == "contact")).all()
    assert [r.action for r in rows] == ["notes.open_contact", "notes.log_talk"]
    assert all(r.subject_id == contact.id and r.user_id == world.kim.id for r in rows)


# --- idle contacts ---------------------------------------------------------------------


def test_idle_contact_is_proposed_for_shredding_after_the_units_idle_days(world):
    contact = _contact(world)
    now = utcnow()
    _talk(world, contact, now=now - timedelta(days=89))
    assert not notes.contact_state(world.db, contact, now).shred_soon
    state = notes.contact_state(world.db, contact, now + timedelta(days=2))
    assert state.shred_soon
    assert state.shred_at - state.proposed_at == timedelta(days=notes.DEFAULT_GRACE_DAYS)


def test_a_unit_can_shorten_its_idle_limit(world):
    contact = _contact(world)
    notes.set_unit_setting(world.db, contact.unit_id, "30", "7")
    world.db.commit()
    state = notes.contact_state(world.db, contact, utcnow() + timedelta(days=31))
    assert state.shred_soon
    assert state.shred_at == contact.created_at + timedelta(days=37)


@pytest.mark.parametrize(("idle", "grace", "field"), [
    ("0", "7", "idle_days"), ("abc", "7", "idle_days"), ("731", "7", "idle_days"),
    ("90", "-1", "grace_days"), ("90", "91", "grace_days"), ("90", "", "grace_days"),
])
def test_unreasonable_idle_limits_are_refused(world, idle, grace, field):
    with pytest.raises(ValidationErrors) as refused:
        notes.set_unit_setting(world.db, world.rad.id, idle, grace)
    assert field in refused.value.errors


def test_daily_job_shreds_only_after_the_grace_period(world):
    old, fresh = _contact(world), _contact(world, "Grön 3")
    now = utcnow()
    _talk(world, old, "gammal", now=now - timedelta(days=10))
    old.last_talk_at = now - timedelta(days=100)
    world.db.add(old)
    world.db.commit()
    assert notes.shred_idle(world.db, now) == []  # 100 days: proposed, grace not over
    logs = notes.shred_idle(world.db, now + timedelta(days=5))
    world.db.commit()
    assert [(log.reason, log.contacts, log.talks, log.notes) for log in logs] == [
        ("idle", 1, 1, 1)]
    assert world.db.get(notes.WorkingContact, old.id) is None
    assert world.db.get(notes.WorkingContact, fresh.id) is not None


def test_ending_a_contact_deletes_its_rows_and_keeps_its_tallies_unlinked(world):
    contact = _contact(world)
    links = [_talk(world, contact, f"anteckning {i}")[0] for i in range(3)]
    before = _talks_in_statistics(world.db, world.rad)
    log = notes.end_contact(world.db, world.kim, contact)
    world.db.commit()
    assert (log.reason, log.contacts, log.talks, log.notes) == ("ended", 1, 3, 3)
    for model in (notes.WorkingContact, notes.ContactTalk, notes.WorkingNote):
        assert world.db.exec(select(func.count()).select_from(model)).one() == 0
    assert _talks_in_statistics(world.db, world.rad) == before
    assert all(world.db.get(Tally, link.tally_id) is not None for link in links)


def test_only_the_owner_can_end_a_contact(world):
    contact = _contact(world)
    with pytest.raises(DomainError):
        notes.end_contact(world.db, world.kia, contact)


def test_shred_log_holds_counts_and_dates_only():
    assert set(notes.ShredLog.__table__.columns.keys()) == {
        "id", "at", "unit_id", "reason", "contacts", "talks", "notes"}


# --- the inbox -------------------------------------------------------------------------


def test_contacts_are_threads_in_the_owners_inbox_only(world):
    contact = _contact(world)
    _talk(world, contact)
    mine = {t.key: t for t in inbox(world.db, world.kim)}
    assert f"contact:{contact.id}" in mine and "notes" in mine
    assert mine[f"contact:{contact.id}"].badge == "1 av 5"
    for other in (world.kia, world.maja, world.admin):
        assert f"contact:{contact.id}" not in {t.key for t in inbox(world.db, other)}
    assert all(contact.pseudonym not in t.title + t.last_line
               for other in (world.kia, world.maja, world.admin)
               for t in inbox(world.db, other))
