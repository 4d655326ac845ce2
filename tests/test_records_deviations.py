"""Deviations (seed 003, SOSFS 2011:9): reported by the unit's staff from a client's thread
or from the unit, investigated, classified from the unit's own list, closed by its manager;
counted per period. Model rules first, then the pages."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import select

from models.core.clock import local_today
from models.core.db import new_session, utcnow
from models.core.errors import ValidationErrors
from models.journal.plans import close_assignment
from models.journal.tables import JournalEntry
from models.records import deviations as dev
from tests.conftest import soup, text_of, texts
from tests.journal_helpers import make_home


@pytest.fixture
def home(app, people):
    with app.test_request_context():
        yield make_home(people)


def _input(what="Besöket kl. 9 uteblev.", **extra) -> dev.DeviationInput:
    return dev.DeviationInput(what=what, uuid=str(uuid.uuid4()), **extra)


def _report(db, home, client=True, **extra):
    deviation = dev.report(db, home.hanna, home.unit, _input(**extra),
                           home.client if client else None)
    db.commit()
    return deviation


def _kind(db, home, key):
    return next(k for k in dev.kinds_of(db, home.unit) if k.key == key)


# --- reporting -------------------------------------------------------------------------------


def test_a_deviation_from_a_client_writes_a_deviation_entry_in_the_journal(db, home):
    deviation = _report(db, home, immediate_action="Ringde dottern.")
    entry = db.get(JournalEntry, deviation.entry_id)
    assert entry.category == "deviation" and entry.client_id == home.client.id
    assert entry.text == "Besöket kl. 9 uteblev.\nOmedelbar åtgärd: Ringde dottern."


def test_a_deviation_from_the_unit_has_no_client_and_no_entry(db, home):
    deviation = _report(db, home, client=False)
    assert deviation.client_id is None and deviation.entry_id is None
    assert deviation.status == "reported"


def test_the_same_form_sent_twice_saves_one_deviation(db, home):
    data = _input()
    first = dev.report(db, home.hanna, home.unit, data, home.client)
    again = dev.report(db, home.hanna, home.unit, data, home.client)
    db.commit()
    assert again.id == first.id
    assert len(db.exec(select(JournalEntry).where(JournalEntry.category == "deviation")).all()) == 1


def test_a_deviation_needs_what_happened(db, home):
    with pytest.raises(ValidationErrors) as error:
        dev.report(db, home.hanna, home.unit, _input(what="  "), home.client)
    assert set(error.value.errors) == {"what"}


def test_a_deviation_cannot_have_happened_in_the_future(db, home):
    later = (utcnow() + timedelta(hours=3)).astimezone().strftime("%Y-%m-%dT%H:%M")
    with pytest.raises(ValidationErrors) as error:
        dev.report(db, home.hanna, home.unit, _input(when="other", when_other=later))
    assert set(error.value.errors) == {"when"}


def test_yesterday_is_one_tap_and_stored_as_yesterday(db, home):
    deviation = _report(db, home, client=False, when="yesterday")
    assert dev.local_time(deviation.occurred_at).date() == local_today() - timedelta(days=1)


def test_a_client_without_an_open_assignment_is_reported_from_the_unit(db, home):
    close_assignment(db, home.maja, home.assignment, local_today().isoformat(), "no_need")
    db.commit()
    with pytest.raises(ValidationErrors) as error:
        dev.report(db, home.hanna, home.unit, _input(), home.client)
    assert set(error.value.errors) == {"assignment"}


# --- the unit's list of classes ----------------------------------------------------------------


def test_a_unit_starts_with_the_four_default_classes(db, home):
    assert [k.key for k in dev.kinds_of(db, home.unit)] == [
        "missed_visit", "wrong_action", "near_miss", "other"]


def test_two_first_readers_of_a_units_classes_get_one_list_and_no_error(app, db, people):
    """Both phones found no classes and both store the defaults: one list, no duplicate."""
    unit = people.unit("Ny enhet")
    db.commit()
    with new_session(app.extensions["nara_engine"]) as second:
        first_list = dev.kinds_of(db, unit)
        db.commit()
        dev.store_default_kinds(second, second.get(type(unit), unit.id))
        second.commit()
    keys = [k.key for k in dev.kinds_of(db, unit, with_retired=True)]
    assert keys == [k.key for k in first_list] == list(dev.DEFAULT_KINDS)


def test_the_defaults_do_not_come_back_after_the_unit_retired_them(db, home):
    dev.save_kinds(db, home.unit, "Fallolycka")
    dev.store_default_kinds(db, home.unit)
    db.commit()
    assert [k.label for k in dev.kinds_of(db, home.unit)] == ["Fallolycka"]


def test_a_class_left_out_is_retired_and_kept_for_old_deviations(db, home):
    deviation = _report(db, home)
    dev.investigate(db, home.maja, deviation, dev.InvestigationInput(
        kind=str(_kind(db, home, "near_miss").id)))
    dev.save_kinds(db, home.unit, "Utebliven insats\nFallolycka\nAnnat")
    db.commit()
    labels = [k.label for k in dev.kinds_of(db, home.unit)]
    retired = [k for k in dev.kinds_of(db, home.unit, with_retired=True) if k.retired]
    assert labels == ["Utebliven insats", "Fallolycka", "Annat"]
    assert deviation.kind_id in {k.id for k in retired}


def test_an_empty_list_of_classes_is_refused(db, home):
    with pytest.raises(Exception) as error:
        dev.save_kinds(db, home.unit, " \n ")
    assert error.value.field == "kinds"


# --- investigating and closing ----------------------------------------------------------------


def test_closing_needs_a_class_and_measures(db, home):
    deviation = _report(db, home)
    with pytest.raises(ValidationErrors) as error:
        dev.investigate(db, home.maja, deviation, dev.InvestigationInput(close=True))
    assert set(error.value.errors) == {"kind", "measures"}


def test_a_closed_deviation_records_who_closed_it_and_cannot_change(db, home):
    deviation = _report(db, home)
    dev.investigate(db, home.maja, deviation, dev.InvestigationInput(
        kind=str(_kind(db, home, "missed_visit").id), measures="Nytt schema.", close=True))
    db.commit()
    assert deviation.closed and deviation.closed_by == home.maja.id
    with pytest.raises(ValidationErrors):
        dev.investigate(db, home.maja, deviation, dev.InvestigationInput(measures="Annat"))


def test_a_class_of_another_unit_is_refused(db, home, people):
    other = people.unit("Annan enhet")
    foreign = dev.kinds_of(db, other)[0]
    deviation = _report(db, home)
    with pytest.raises(ValidationErrors) as error:
        dev.investigate(db, home.maja, deviation, dev.InvestigationInput(kind=str(foreign.id)))
    assert set(error.value.errors) == {"kind"}


# --- counts per period -----------------------------------------------------------------------


def test_counts_per_status_and_class_in_the_period(db, home):
    first, _second = _report(db, home), _report(db, home, client=False)
    dev.investigate(db, home.maja, first, dev.InvestigationInput(
        kind=str(_kind(db, home, "missed_visit").id), measures="Nytt schema.", close=True))
    _report(db, home, client=False, when="yesterday")
    db.commit()
    today = local_today()
    counts = dev.counts(db, [home.unit.id], today, today)
    assert counts.total == 2
    assert counts.by_status == {"reported": 1, "investigating": 0, "closed": 1}
    assert counts.by_kind == [("Utebliven insats", 1), ("Ej klassad", 1)]


def test_a_period_before_any_deviation_counts_none(db, home):
    _report(db, home)
    assert dev.counts(db, [home.unit.id], date(2020, 1, 1), date(2020, 12, 31)).total == 0


# --- the pages -------------------------------------------------------------------------------


def test_the_client_thread_links_to_reporting_a_deviation(client, people, home):
    people.login(home.hanna)
    link = soup(client.get(f"/journal/{home.client.id}")).select_one("#report-deviation")
    assert link["href"] == f"/records/clients/{home.client.id}/deviations/new"


def test_staff_report_from_the_client_and_get_a_receipt(client, people, home, db):
    people.login(home.hanna)
    form = soup(client.get(f"/records/clients/{home.client.id}/deviations/new"))
    response = client.post(f"/records/clients/{home.client.id}/deviations", data={
        "uuid": form.select_one("input[name=uuid]")["value"], "what": "Fel medicin.",
        "when": "now"})
    assert response.status_code == 302
    receipt = client.get(response.headers["Location"])
    assert soup(receipt).select_one("#h-saved") is not None


def test_a_report_without_text_shows_the_error_at_the_field(client, people, home):
    people.login(home.hanna)
    response = client.post(f"/records/clients/{home.client.id}/deviations", data={
        "uuid": str(uuid.uuid4()), "what": "", "when": "now"})
    assert response.status_code == 400
    assert soup(response).select_one("#err-what").text == "Skriv vad som hände."


def test_staff_not_concerned_cannot_report_from_the_client(client, people, home):
    people.login(home.hugo)
    assert client.get(f"/records/clients/{home.client.id}/deviations/new").status_code == 404


def test_the_manager_sees_the_deviation_in_the_list_with_its_counts(client, people, home, db):
    _report(db, home)
    people.login(home.maja)
    page = client.get("/records/deviations")
    assert texts(page, "#deviation-list .thread-title") == ["Besöket kl. 9 uteblev."]
    assert text_of(soup(page).select_one('#deviation-counts [data-count="reported"]')) == "1"


def test_another_units_manager_cannot_open_the_deviation(client, people, home, db):
    deviation = _report(db, home)
    people.login(home.mats)
    assert client.get(f"/records/deviations/{deviation.id}").status_code == 404


def test_the_manager_closes_a_deviation_from_its_page(client, people, home, db):
    deviation = _report(db, home)
    people.login(home.maja)
    page = soup(client.get(f"/records/deviations/{deviation.id}"))
    kind = page.select_one("input[name=kind]")["value"]
    response = client.post(f"/records/deviations/{deviation.id}", data={
        "kind": kind, "investigation": "Schemat var fel.", "measures": "Nytt schema.",
        "close": "1"})
    assert response.status_code == 302
    after = soup(client.get(f"/records/deviations/{deviation.id}"))
    assert text_of(after.select_one("#deviation-status")) == "Avslutad"


def test_closing_without_measures_shows_the_error_at_the_field(client, people, home, db):
    deviation = _report(db, home)
    people.login(home.maja)
    kind = str(_kind(db, home, "other").id)
    db.commit()
    response = client.post(f"/records/deviations/{deviation.id}", data={
        "kind": kind, "close": "1"})
    assert response.status_code == 400
    assert soup(response).select_one("#err-measures") is not None


def test_a_bad_period_is_a_field_error_not_a_crash(client, people, home):
    people.login(home.maja)
    response = client.get("/records/deviations?start=2026-13-45")
    assert response.status_code == 400
    assert soup(response).select_one("#err-start") is not None


def test_the_manager_edits_the_units_classes(client, people, home, db):
    people.login(home.maja)
    response = client.post(f"/records/units/{home.unit.id}/deviation-kinds",
                           data={"kinds": "Utebliven insats\nFallolycka"})
    assert response.status_code == 302
    page = client.get(f"/records/units/{home.unit.id}/deviation-kinds")
    assert soup(page).select_one("#f-kinds").text == "Utebliven insats\nFallolycka"


def test_staff_get_a_report_thread_and_managers_the_open_count_in_the_inbox(client, people,
                                                                             home, db):
    _report(db, home)
    people.login(home.maja)
    row = soup(client.get("/")).select_one('a.thread-row[href="/records/deviations"]')
    assert row is not None and text_of(row.select_one(".unread")) == "1"


# --- the rules the pages use ------------------------------------------------------------------


def test_a_period_ending_before_it_starts_is_an_error_at_the_end_and_lists_this_year():
    today = date(2026, 6, 10)
    start, end, errors = dev.parse_period({"start": "2026-05-01", "end": "2026-04-01"}, today)
    assert (start, end, set(errors)) == (date(2026, 1, 1), today, {"end"})


def test_a_reporter_with_one_unit_reports_for_it_without_choosing(db, home):
    assert dev.reporting_unit([home.unit], "") is home.unit


def test_a_unit_that_is_not_the_reporters_is_an_error_at_the_unit(db, home, people):
    other = people.unit("Annan enhet")
    with pytest.raises(ValidationErrors) as refused:
        dev.reporting_unit([home.unit, other], "999999")
    assert set(refused.value.errors) == {"unit"}
