"""The social journal's rules, at the model level (seeds 002, 003, 004)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from models import access
from models.core.clock import local_today
from models.core.db import utcnow
from models.core.errors import DomainError, ValidationErrors
from models.journal.entries import add_entry, correct_entry, record_disagreement, thread
from models.journal.people import (
    assign_staff,
    create_client,
    current_consent,
    current_staff,
    end_staff_assignment,
    open_assignment,
    record_consent,
    revoke_consent,
    valid_consent,
)
from models.journal.plans import (
    GoalInput,
    add_months,
    close_assignment,
    current_goals,
    follow_up_plan,
    plan_versions,
    save_plan,
)
from models.journal.tables import (
    LIFE_AREAS,
    TEXT_MAX,
    JournalEntry,
    Plan,
    luhn_valid,
    parse_personal_number,
    resolve_occurred_at,
)
from tests.journal_helpers import PNR, consent_input, make_home

# --- personal identity numbers ---------------------------------------------------------


@pytest.mark.parametrize("raw, normal, born", [
    ("19380515-2380", "19380515-2380", date(1938, 5, 15)),
    ("193805152380", "19380515-2380", date(1938, 5, 15)),
    ("380515-2380", "19380515-2380", date(1938, 5, 15)),
    ("19121212-1212", "19121212-1212", date(1912, 12, 12)),
    ("121212+1212", "19121212-1212", date(1912, 12, 12)),
    ("19380575-2387", "19380575-2387", date(1938, 5, 15)),  # coordination number: day + 60
])
def test_personal_number_is_normalised_and_gives_the_birth_date(raw, normal, born):
    assert luhn_valid(normal[2:8] + normal[9:])
    assert parse_personal_number(raw, today=date(2026, 11, 25)) == (normal, born)


@pytest.mark.parametrize("raw", ["19380515-2381", "380515-2389", "19121212-1213"])
def test_personal_number_with_a_bad_check_digit_is_refused_at_its_field(raw):
    with pytest.raises(DomainError) as error:
        parse_personal_number(raw)
    assert error.value.field == "personal_number"
    assert "check digit" in str(error.value)


@pytest.mark.parametrize("raw", ["1938-05-15", "abc", "19380230-0000", ""])
def test_personal_number_that_is_not_a_number_or_date_is_refused(raw):
    with pytest.raises(DomainError) as error:
        parse_personal_number(raw)
    assert error.value.field == "personal_number"


def test_a_client_has_one_file_per_unit(people, db):
    home = make_home(people)
    with pytest.raises(ValidationErrors) as error:
        create_client(db, home.unit, "Astrid Igen", PNR)
    assert "personal_number" in error.value.errors
    other = people.unit("Annan enhet")
    assert create_client(db, other, "Astrid Test", PNR).born_on == date(1938, 5, 15)


def test_new_client_reports_every_bad_field_at_once(people, db):
    unit = people.unit("Hemtjänst Test")
    with pytest.raises(ValidationErrors) as error:
        create_client(db, unit, "", "19380515-2381", phone="x" * 41)
    assert set(error.value.errors) == {"name", "personal_number", "phone"}


def test_a_service_intervention_has_no_decision_date(people, db):
    home = make_home(people)
    with pytest.raises(ValidationErrors) as error:
        open_assignment(db, home.client, "service", "Trygghetsbesök", local_today(),
                        local_today())
    assert "decided_on" in error.value.errors
    with pytest.raises(ValidationErrors) as error:
        open_assignment(db, home.client, "other", "", None)
    assert {"kind", "title", "started_on"} <= set(error.value.errors)


# --- who may see the client ------------------------------------------------------------


def test_only_assigned_staff_and_the_units_managers_see_the_client(people, db):
    home = make_home(people)
    see = {u.username: access.authorize(db, u, "journal.read", home.client) for u in (
        home.hanna, home.hugo, home.olle, home.maja, home.mats, home.admin)}
    assert see == {"hanna": True, "hugo": False, "olle": False, "maja": True, "mats": False,
                   "ada": False}


def test_the_journal_rules_hide_the_client_with_not_found(people, db):
    from models.core.errors import AccessDenied

    home = make_home(people)
    with pytest.raises(AccessDenied) as denied:
        access.ensure(db, home.hugo, "journal.read", home.client)
    assert denied.value.hide is True


def test_an_admin_sees_nothing_unless_also_assigned(people, db):
    home = make_home(people)
    with pytest.raises(DomainError):  # not a member of the unit: cannot be assigned
        assign_staff(db, home.client, home.admin)
    db.add(access.Membership(user_id=home.admin.id, unit_id=home.unit.id))
    assign_staff(db, home.client, home.admin)
    assert access.authorize(db, home.admin, "journal.read", home.client)


def test_staff_see_the_client_only_while_assigned(people, db):
    home = make_home(people)
    today = local_today()
    row = assign_staff(db, home.client, home.hugo, today + timedelta(days=1))
    assert not access.authorize(db, home.hugo, "journal.read", home.client)  # starts tomorrow
    end_staff_assignment(db, row, today + timedelta(days=1))
    rows = current_staff(db, home.client, today)
    assert [r.user_id for r in rows] == [home.hanna.id]
    hanna_row = rows[0]
    end_staff_assignment(db, hanna_row, today - timedelta(days=1))
    assert not access.authorize(db, home.hanna, "journal.read", home.client)


def test_only_members_of_the_clients_unit_can_be_assigned(people, db):
    home = make_home(people)
    with pytest.raises(DomainError) as error:
        assign_staff(db, home.client, home.olle)
    assert error.value.field == "user_id"
    with pytest.raises(DomainError):
        assign_staff(db, home.client, home.hanna)  # already assigned


# --- consent (seed 002, 003) -----------------------------------------------------------


def test_a_service_intervention_without_consent_refuses_new_entries(people, db):
    home = make_home(people, kind="service", consent=False)
    with pytest.raises(ValidationErrors) as error:
        add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök gjort.")
    assert "consent" in error.value.errors
    assert "consent" in str(error.value.errors["consent"])


def test_recording_consent_is_a_journal_entry_and_opens_the_journal(people, db):
    home = make_home(people, kind="service", consent=False)
    record_consent(db, home.hanna, home.client, home.assignment, consent_input())
    entry, created = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                               "Besök gjort.")
    assert created
    categories = [v.entry.category for v in thread(db, home.client)]
    assert categories[-2:] == ["consent", "action"]


def test_revoking_consent_is_an_entry_and_stops_documentation_from_that_moment(people, db):
    home = make_home(people, kind="service", consent=False)
    consent = record_consent(db, home.hanna, home.client, home.assignment, consent_input())
    entry = revoke_consent(db, home.hanna, consent, home.assignment, "Vill inte längre.")
    assert entry.category == "consent" and "Vill inte längre." in entry.text
    assert valid_consent(db, home.client) is None
    assert revoke_consent(db, home.hanna, consent, home.assignment) is None  # once is enough
    with pytest.raises(ValidationErrors) as error:
        add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Besök gjort.")
    assert "consent" in error.value.errors


def test_a_changed_consent_replaces_the_old_one_and_both_are_kept(people, db):
    home = make_home(people)
    first = current_consent(db, home.client)
    second = record_consent(db, home.hanna, home.client, home.assignment,
                            consent_input(experts="Arbetsterapeut, om hjälpmedel"))
    assert second.replaces_id == first.id and first.superseded_at is not None
    assert current_consent(db, home.client).id == second.id
    assert "changed" in thread(db, home.client)[-1].entry.text.lower() or \
        "ändrat" in thread(db, home.client)[-1].entry.text.lower()


def test_a_consent_must_be_time_limited_and_given_in_the_past(people, db):
    home = make_home(people)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationErrors) as error:
        record_consent(db, home.hanna, home.client, home.assignment, consent_input(
            given_on=tomorrow, valid_until="", given_how="telepathy"))
    assert {"given_on", "valid_until", "given_how"} <= set(error.value.errors)


def test_an_expired_consent_is_not_valid(people, db):
    home = make_home(people, kind="service", consent=False)
    consent = record_consent(db, home.hanna, home.client, home.assignment, consent_input(days=1))
    assert valid_consent(db, home.client, local_today() + timedelta(days=2)) is None
    assert consent.valid_on(local_today())


def test_sol_assignments_are_documented_without_consent(people, db):
    home = make_home(people, consent=False)
    assert valid_consent(db, home.client, local_today()) is None
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                         "Besök gjort.")
    assert [v.entry.id for v in thread(db, home.client)][-1] == entry.id


# --- the implementation plan (seed 003, 004) -------------------------------------------


def test_ibic_has_eleven_life_areas():
    assert len(LIFE_AREAS) == 11


def test_follow_up_date_at_most_six_months_ahead(people, db):
    home = make_home(people, plan=False)
    goals = [GoalInput(life_area="mobility", goal="Gå ut dagligen")]
    today = local_today()
    too_late = add_months(today, 6) + timedelta(days=1)
    with pytest.raises(ValidationErrors) as error:
        save_plan(db, home.hanna, home.assignment, goals, "Astrid", "Deltog", too_late)
    assert "followup_on" in error.value.errors
    with pytest.raises(ValidationErrors):
        save_plan(db, home.hanna, home.assignment, goals, "Astrid", "Deltog",
                  today - timedelta(days=1))
    plan = save_plan(db, home.hanna, home.assignment, goals, "Astrid", "Deltog",
                     add_months(today, 6))
    assert plan.version == 1


def test_a_plan_needs_goals_with_a_life_area_and_who_took_part(people, db):
    home = make_home(people, plan=False)
    with pytest.raises(ValidationErrors) as error:
        save_plan(db, home.hanna, home.assignment, [GoalInput(life_area="flying", goal="x")],
                  "", "", local_today() + timedelta(days=30))
    assert {"goal-0-life_area", "participants", "participation"} <= set(error.value.errors)
    with pytest.raises(ValidationErrors) as error:
        save_plan(db, home.hanna, home.assignment, [GoalInput()], "A", "B",
                  local_today() + timedelta(days=30))
    assert "goals" in error.value.errors


def test_plan_versions_are_kept_and_goals_keep_their_key(people, db):
    home = make_home(people)
    first = current_goals(db, home.assignment)
    revised = [GoalInput(first[0].key, "self_care", "Duscha helt själv"),
               GoalInput(life_area="community", goal="Besöka Mötesplatsen")]
    save_plan(db, home.hanna, home.assignment, revised, "Astrid, Hanna", "Deltog",
              local_today() + timedelta(days=60))
    versions = plan_versions(db, home.assignment)
    assert [p.version for p in versions] == [2, 1]
    now = current_goals(db, home.assignment)
    assert now[0].key == first[0].key and now[0].goal == "Duscha helt själv"
    assert now[1].key not in {g.key for g in first}
    assert [v.entry.category for v in thread(db, home.client)].count("plan") == 2


def test_a_follow_up_records_an_outcome_per_goal_and_sets_the_next_date(people, db):
    home = make_home(people)
    goals = current_goals(db, home.assignment)
    next_date = local_today() + timedelta(days=120)
    with pytest.raises(ValidationErrors) as error:
        follow_up_plan(db, home.hanna, home.assignment, {goals[0].key: "Klart"}, next_date)
    assert f"outcome-{goals[1].key}" in error.value.errors
    entry = follow_up_plan(db, home.hanna, home.assignment,
                           {g.key: f"Uppnått: {g.goal}" for g in goals}, next_date)
    view = thread(db, home.client)[-1]
    assert view.entry.id == entry.id and entry.category == "follow_up"
    assert [o.outcome for _g, o in view.outcomes] == [f"Uppnått: {g.goal}" for g in goals]
    latest = plan_versions(db, home.assignment)[0]
    assert latest.version == 2 and latest.followup_on == next_date
    with pytest.raises(ValidationErrors) as error:
        follow_up_plan(db, home.hanna, home.assignment, {}, add_months(local_today(), 7))
    assert "followup_on" in error.value.errors


def test_plans_cannot_be_changed_in_place(people, db):
    make_home(people)
    plan = db.exec(select(Plan)).first()
    plan.followup_on = local_today() + timedelta(days=500)
    db.add(plan)
    with pytest.raises(DomainError):
        db.flush()
    db.rollback()


# --- entries ---------------------------------------------------------------------------


def test_an_entry_keeps_when_it_happened_and_when_it_was_written(people, db):
    home = make_home(people)
    earlier = utcnow() - timedelta(hours=3)
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "circumstance",
                         "Astrid var inte hemma.", occurred_at=earlier, topic="missed_visit")
    assert entry.occurred_at == earlier
    assert abs((entry.written_at - utcnow()).total_seconds()) < 5
    assert entry.topic == "missed_visit"
    now_entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Ok.")
    assert abs((now_entry.occurred_at - now_entry.written_at).total_seconds()) < 1


def test_the_composers_time_chips_resolve_to_times_in_the_past():
    now = utcnow()
    assert resolve_occurred_at("now", now=now) == now
    assert resolve_occurred_at("hour", now=now) == now - timedelta(hours=1)
    assert resolve_occurred_at("yesterday", now=now) == now - timedelta(days=1)
    assert resolve_occurred_at("other", "2026-11-20T14:05").hour == 14
    with pytest.raises(DomainError) as error:
        resolve_occurred_at("other", "igår")
    assert error.value.field == "occurred_at"


@pytest.mark.parametrize("text, category, occurred, field", [
    ("", "action", None, "text"),
    ("   ", "action", None, "text"),
    ("x" * (TEXT_MAX + 1), "action", None, "text"),
    ("Ok.", "closing", None, "category"),  # only through the closing form
    ("Ok.", "gossip", None, "category"),
    ("Ok.", "action", timedelta(hours=1), "occurred_at"),  # in the future
    ("Ok.", "action", -timedelta(days=400), "occurred_at"),  # before the assignment
])
def test_bad_entries_are_refused_at_their_field(people, db, text, category, occurred, field):
    home = make_home(people)
    when = utcnow() + occurred if occurred else None
    with pytest.raises(ValidationErrors) as error:
        add_entry(db, home.hanna, home.client, home.assignment.id, category, text,
                  occurred_at=when)
    assert field in error.value.errors
    assert db.exec(select(JournalEntry).where(
        JournalEntry.category.in_(["action", "closing", "gossip"]))).all() == []


def test_a_goal_must_belong_to_the_current_plan(people, db):
    home = make_home(people)
    goal = current_goals(db, home.assignment)[0]
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "circumstance",
                         "Duschade själv.", goal_id=goal.id, topic="progress")
    assert thread(db, home.client)[-1].goal.id == goal.id == entry.goal_id
    with pytest.raises(ValidationErrors) as error:
        add_entry(db, home.hanna, home.client, home.assignment.id, "action", "x", goal_id=99999)
    assert "goal" in error.value.errors


def test_a_topic_from_another_category_is_dropped(people, db):
    home = make_home(people)
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "deviation",
                         "Fel tid.", topic="missed_visit")
    assert entry.topic is None


def test_the_same_client_uuid_saves_one_entry(people, db):
    home = make_home(people)
    key = "0b5f7c2e-6a55-4c7e-9b1e-3c1f0d7e9a11"
    first, created = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                               "En gång.", client_uuid=key)
    again, created_again = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                                     "En gång.", client_uuid=key)
    assert created and not created_again and first.id == again.id
    with pytest.raises(DomainError):  # someone else's identifier is not a way in
        add_entry(db, home.maja, home.client, home.assignment.id, "action", "x", client_uuid=key)


def test_entries_cannot_be_updated_or_deleted(people, db):
    home = make_home(people)
    entry, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Rätt.")
    db.commit()
    entry.text = "Ändrad"
    db.add(entry)
    with pytest.raises(DomainError):
        db.flush()
    db.rollback()
    db.delete(db.get(JournalEntry, entry.id))
    with pytest.raises(DomainError):
        db.flush()
    db.rollback()
    assert db.get(JournalEntry, entry.id).text == "Rätt."


def test_a_correction_is_a_new_entry_and_the_original_stays_marked(people, db):
    home = make_home(people)
    original, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action",
                            "Besök kl. 8.")
    fix = correct_entry(db, home.hanna, original, "Rättelse: besöket var kl. 9.")
    views = {v.entry.id: v for v in thread(db, home.client)}
    assert views[original.id].entry.text == "Besök kl. 8."
    assert [e.id for e in views[original.id].corrected_by] == [fix.id]
    assert views[fix.id].refers_to.id == original.id and fix.category == "correction"


def test_only_the_author_or_a_manager_may_correct(people, db):
    home = make_home(people)
    assign_staff(db, home.client, home.hugo)
    original, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", "x")
    assert access.authorize(db, home.hanna, "journal.correct", original)
    assert access.authorize(db, home.maja, "journal.correct", original)
    assert not access.authorize(db, home.hugo, "journal.correct", original)


def test_the_persons_disagreement_is_its_own_entry(people, db):
    home = make_home(people)
    original, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "event",
                            "Astrid var orolig.", topic="behaviour")
    note = record_disagreement(db, home.hanna, original, "Astrid menar att hon var lugn.")
    view = {v.entry.id: v for v in thread(db, home.client)}[original.id]
    assert note.category == "disagreement" and view.disputed_by[0].id == note.id


# --- closing (seed 003) ----------------------------------------------------------------


def test_a_closing_note_ends_the_assignment_and_the_journal_becomes_read_only(people, db):
    home = make_home(people)
    original, _ = add_entry(db, home.hanna, home.client, home.assignment.id, "action", "x")
    entry = close_assignment(db, home.hanna, home.assignment, local_today().isoformat(),
                             "no_need", "Astrid klarar sig själv.")
    assert entry.category == "closing" and "Astrid klarar sig själv." in entry.text
    assert home.assignment.ended_on == local_today() and home.assignment.end_reason == "no_need"
    with pytest.raises(ValidationErrors) as error:
        add_entry(db, home.hanna, home.client, home.assignment.id, "action", "Ett till.")
    assert "assignment" in error.value.errors
    with pytest.raises(ValidationErrors):
        correct_entry(db, home.hanna, original, "Rättelse")
    assert close_assignment(db, home.hanna, home.assignment, local_today().isoformat(),
                            "other") is None
    # the file is closed: nobody is staff concerned after the end date
    assert current_staff(db, home.client, local_today() + timedelta(days=1)) == []
    assert access.authorize(db, home.maja, "journal.read", home.client)


def test_closing_needs_a_reason_and_a_date_not_in_the_future(people, db):
    home = make_home(people)
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationErrors) as error:
        close_assignment(db, home.hanna, home.assignment, tomorrow, "bored")
    assert {"ended_on", "reason"} <= set(error.value.errors)
    assert home.assignment.ended_on is None
