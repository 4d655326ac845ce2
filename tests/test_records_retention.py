"""Retention and destruction (issue 14, section 1): the due date, periods as data, legal
holds, the plan, the run (a failed package destroys nothing), the log review after it."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import delete
from sqlmodel import select

from models.access import AccessLog, log_access
from models.core.clock import LOCAL_TZ, local_today
from models.core.db import new_session, utcnow
from models.core.errors import DomainError
from models.journal.shift import log_rows
from models.journal.tables import Client
from models.records import retention
from models.records.archive import PackageError
from tests.conftest import soup
from tests.records_helpers import NUMBERS, old_file, written_at

YEARS = {"sol": 5, "lss": 5, "service": 2}


def test_due_at_the_end_of_the_year_the_period_passes():
    assert retention.due_date({"sol": date(2020, 3, 10)}, YEARS, False) == date(2025, 12, 31)


def test_a_last_entry_on_new_years_eve_is_due_five_years_later_on_new_years_eve():
    assert retention.due_date({"sol": date(2020, 12, 31)}, YEARS, False) == date(2025, 12, 31)


def test_a_last_entry_on_new_years_day_is_due_the_same_year_end():
    assert retention.due_date({"sol": date(2021, 1, 1)}, YEARS, False) == date(2026, 12, 31)


def test_a_leap_day_counts_by_its_year():
    assert retention.due_date({"service": date(2024, 2, 29)}, YEARS, False) == date(2026, 12, 31)


def test_two_kinds_the_longer_wins():
    kinds = {"service": date(2022, 6, 1), "sol": date(2021, 6, 1)}
    assert retention.due_date(kinds, YEARS, False) == date(2026, 12, 31)


def test_a_file_with_an_open_assignment_is_never_due():
    assert retention.due_date({"sol": date(2001, 1, 1)}, YEARS, True) is None


def test_a_file_with_no_entries_counts_from_its_creation_with_the_longest_period():
    assert retention.due_date({}, YEARS, False, date(2019, 5, 5)) == date(2024, 12, 31)


def test_the_plan_includes_a_file_on_its_due_day(db, people, clock, app):
    unit, hanna = people.unit("Enhet"), None
    hanna = people.user("hanna", units=[unit])
    with app.test_request_context():
        old_file(db, clock, unit, hanna, "Dag Sexton", NUMBERS[16], years_ago=7)
    due = date(local_today().year - 7 + 5, 12, 31)
    assert [f.due for p in retention.plan(db, due.year, today=due) for f in p.files] == [due]


def test_the_plan_leaves_out_a_file_the_day_before_it_is_due(db, people, clock, app):
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    with app.test_request_context():
        old_file(db, clock, unit, hanna, "Dag Sexton", NUMBERS[16], years_ago=7)
    due = date(local_today().year - 7 + 5, 12, 31)
    assert retention.plan(db, due.year, today=date(due.year, 12, 30)) == []


# --- the date rules through the database (SQLite and PostgreSQL) ------------------------


def _local(year, month, day, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def _due_of(db, people, name):
    """The due date the records officer sees for one file (read from the database)."""
    (found,) = retention.find_files(db, people.user("arkiv", "records"), name)
    return found.due


@pytest.mark.parametrize("query", ["öberg", "ÖBERG", "Åsa Ö", "åsa"])
def test_the_records_officer_finds_a_file_by_a_swedish_name_in_any_case(db, people, query):
    from models.journal.people import create_client

    unit = people.unit("Enhet")
    create_client(db, unit, "Åsa Öberg", NUMBERS[16])
    create_client(db, unit, "Asa Oberg", NUMBERS[15])
    db.commit()
    found = retention.find_files(db, people.user("arkiv", "records"), query)
    assert [f.client.name for f in found] == ["Åsa Öberg"]


def test_a_last_entry_just_after_local_midnight_on_new_years_day_counts_in_the_new_year(
        db, people, clock, app):
    """00:30 on 1 January in Sweden is still 31 December in UTC: the local day counts."""
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    year = local_today().year - 6
    with app.test_request_context():
        written_at(db, clock, _local(year, 1, 1, 0, 30), unit, hanna, "Nyårs Dag", NUMBERS[16])
    assert _due_of(db, people, "Nyårs") == date(year + 5, 12, 31)
    assert retention.plan(db, year + 4, today=date(year + 4, 12, 31)) == []


def test_a_last_entry_late_on_new_years_eve_counts_in_the_old_year(db, people, clock, app):
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    year = local_today().year - 7
    with app.test_request_context():
        written_at(db, clock, _local(year, 12, 31, 23, 30), unit, hanna, "Nyårs Afton",
                   NUMBERS[16])
    assert _due_of(db, people, "Nyårs") == date(year + 5, 12, 31)


def test_a_last_entry_on_a_leap_day_is_due_by_its_year_in_the_plan(db, people, clock, app):
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    leap = next(y for y in range(local_today().year - 2, 1990, -1) if y % 4 == 0)
    with app.test_request_context():
        written_at(db, clock, _local(leap, 2, 29), unit, hanna, "Skott Dag", NUMBERS[16],
                   kind="service")
    due = date(leap + 2, 12, 31)
    assert retention.plan(db, due.year, today=date(due.year, 12, 30)) == []
    assert [f.due for p in retention.plan(db, due.year, today=due) for f in p.files] == [due]


def test_a_file_with_entries_under_two_kinds_is_kept_for_the_longer_in_the_plan(
        db, people, clock, app):
    """A service file closed 3 years ago would be due (2 years); its SoL assignment's
    last entry 4 years ago keeps it until next year (5 years)."""
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    year = local_today().year
    with app.test_request_context():
        client = written_at(db, clock, _local(year - 4, 3, 1), unit, hanna, "Två Slag",
                            NUMBERS[16], kind="sol")
        written_at(db, clock, _local(year - 3, 3, 1), unit, hanna, "", "", kind="service",
                   client=client)
    assert _due_of(db, people, "Två Slag") == date(year + 1, 12, 31)
    assert retention.plan(db, year) == []


def test_a_file_without_assignments_or_entries_is_due_from_its_creation_in_the_plan(
        db, people, clock, app):
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    year = local_today().year - 6
    with app.test_request_context():
        written_at(db, clock, _local(year, 6, 15), unit, hanna, "Tom Akt", NUMBERS[16],
                   entry=False)
    plans = retention.plan(db, local_today().year)
    assert [(f.client.name, f.due) for p in plans for f in p.files] == [
        ("Tom Akt", date(year + 5, 12, 31))]


def test_a_file_with_an_open_assignment_is_not_in_the_plan_however_old(db, people, clock, app):
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    with app.test_request_context():
        old_file(db, clock, unit, hanna, "Öppen Akt", NUMBERS[16], years_ago=9, closed=False)
    assert retention.plan(db, local_today().year) == []


def test_a_closed_file_within_its_period_is_not_due(db, people, clock, app):
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    with app.test_request_context():
        old_file(db, clock, unit, hanna, "Ny Stängd", NUMBERS[16], years_ago=1)
    assert retention.plan(db, local_today().year) == []


def test_a_run_cannot_be_for_a_year_to_come(db):
    with pytest.raises(DomainError):
        retention.plan(db, local_today().year + 1)


def test_periods_are_seeded_with_their_seeds(db):
    rows = {r.kind: r for r in retention.period_rows(db)}
    assert (rows["sol"].years, rows["service"].years, rows["lss"].years) == (5, 2, 5)
    assert rows["service"].source.startswith("Seed 002")


def test_a_missing_period_is_stored_once_even_by_two_first_readers(app, db):
    db.execute(delete(retention.RetentionPeriod).where(
        retention.RetentionPeriod.kind == "service"))
    db.commit()
    with new_session(app.extensions["nara_engine"]) as second:
        assert retention.periods(db)["service"] == 2
        db.commit()
        assert retention.periods(second)["service"] == 2
        second.commit()
    assert len(db.exec(select(retention.RetentionPeriod)).all()) == len(
        retention.DEFAULT_PERIODS)


def test_an_admin_changes_a_period_with_its_source(db, people):
    admin = people.user("ada", "admin")
    retention.set_period(db, admin, "service", "3", "Ny socialtjänstlag 2025")
    assert retention.periods(db)["service"] == 3


def test_a_period_out_of_range_is_a_field_error(db, people):
    admin = people.user("ada", "admin")
    with pytest.raises(DomainError) as refused:
        retention.set_period(db, admin, "sol", "0", "x")
    assert refused.value.field == "years"


def _one_due(db, people, clock, app, number=NUMBERS[16]):
    unit = people.unit("Enhet")
    hanna = people.user("hanna", units=[unit])
    with app.test_request_context():
        client = old_file(db, clock, unit, hanna, "Gammal Fil", number)
    log_access(db, hanna, "client", client.id, "thread.read")
    db.commit()
    return unit, hanna, client


def test_a_legal_hold_stops_destruction(db, people, clock, app, tmp_path):
    _unit, _hanna, client = _one_due(db, people, clock, app)
    officer = people.user("arkiv", "records")
    retention.set_hold(db, officer, client, "Polisens begäran")
    result = retention.execute(db, local_today().year, tmp_path, lambda f: b"%PDF-", officer)
    assert result.run.files == 0
    assert db.get(Client, client.id) is not None


def test_a_lifted_hold_lets_destruction_go_on(db, people, clock, app, tmp_path):
    _unit, _hanna, client = _one_due(db, people, clock, app)
    officer = people.user("arkiv", "records")
    retention.lift_hold(db, officer, retention.set_hold(db, officer, client, "Överklagande"))
    assert retention.execute(db, local_today().year, tmp_path, bytes, officer).run.files == 1


def test_a_failed_package_destroys_nothing(db, people, clock, app, tmp_path):
    _unit, _hanna, client = _one_due(db, people, clock, app, NUMBERS[15])

    def broken(_file):
        raise PackageError("disk full")

    with pytest.raises(retention.RunFailed):
        retention.execute(db, local_today().year, tmp_path / "archive", broken)
    db.rollback()
    assert db.get(Client, client.id) is not None
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").iterdir())


def test_only_the_records_officer_lists_names_and_each_listing_is_logged(db, people, clock, app):
    _unit, hanna, client = _one_due(db, people, clock, app)
    officer = people.user("arkiv", "records")
    plans = retention.plan(db, local_today().year)
    with pytest.raises(DomainError):
        retention.log_plan_listing(db, hanna, plans)
    retention.log_plan_listing(db, officer, plans)
    logged = db.exec(select(AccessLog).where(AccessLog.action == "records.plan")).all()
    assert [(r.user_id, r.subject_id) for r in logged] == [(officer.id, client.id)]


def test_the_log_review_shows_a_destroyed_file_without_its_name(db, people, clock, app,
                                                                   tmp_path):
    unit, _hanna, client = _one_due(db, people, clock, app)
    maja = people.user("maja", "manager", [unit])
    retention.execute(db, local_today().year, tmp_path, bytes)
    db.commit()
    rows = [r for r in log_rows(db, maja) if r.row.subject_id == client.id]
    assert rows and all(r.destroyed and r.client is None for r in rows)


def test_the_log_page_says_destroyed_file(db, people, clock, app, client, tmp_path):
    unit, _hanna, _client = _one_due(db, people, clock, app)
    maja = people.user("maja", "manager", [unit])
    retention.execute(db, local_today().year, tmp_path, bytes)
    db.commit()
    people.login(maja)
    page = soup(client.get("/journal/log"))
    assert page.select(".log-destroyed")
    assert "Gammal Fil" not in page.get_text()


def test_the_confirmation_page_shows_the_counts(db, people, clock, app, client):
    _one_due(db, people, clock, app, NUMBERS[15])
    people.login(people.user("arkiv", "records"))
    page = soup(client.get(f"/records/retention/run?year={local_today().year}"))
    (line,) = [li.get_text() for li in page.select(".records-consequences li")]
    assert "1" in line and "Enhet" in line


def test_the_plan_offers_the_run_when_a_due_file_can_be_destroyed(db, people, clock, app,
                                                                  client):
    _one_due(db, people, clock, app)
    people.login(people.user("arkiv", "records"))
    page = soup(client.get("/records/retention"))
    assert page.select('a[href*="/records/retention/run"]')
    assert page.select(".records-all-held") == []


def test_the_plan_offers_no_run_when_every_due_file_is_held(db, people, clock, app, client):
    _unit, _hanna, file = _one_due(db, people, clock, app)
    officer = people.user("arkiv", "records")
    retention.set_hold(db, officer, file, "Polisens begäran")
    db.commit()
    people.login(officer)
    page = soup(client.get("/records/retention"))
    assert page.select('a[href*="/records/retention/run"]') == []
    assert page.select_one(".records-all-held")


def test_running_without_the_confirmation_box_is_a_field_error(db, people, clock, app, client):
    _unit, _hanna, file = _one_due(db, people, clock, app)
    people.login(people.user("arkiv", "records"))
    response = client.post("/records/retention/run", data={"year": local_today().year})
    assert response.status_code == 422
    assert soup(response).select("#err-confirm")
    assert db.get(Client, file.id) is not None


def test_the_records_officer_runs_destruction_in_the_browser(db, people, clock, app, client,
                                                            tmp_path):
    app.config["RECORDS_ARCHIVE_DIR"] = str(tmp_path)
    _unit, _hanna, file = _one_due(db, people, clock, app)
    file_id = file.id
    people.login(people.user("arkiv", "records"))
    response = client.post("/records/retention/run",
                           data={"year": local_today().year, "confirm": "yes"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Client, file_id) is None


def test_a_hold_without_a_reason_is_a_field_error(db, people, clock, app, client):
    _unit, _hanna, file = _one_due(db, people, clock, app)
    people.login(people.user("arkiv", "records"))
    response = client.post("/records/retention/holds", data={"client": file.id, "reason": ""})
    assert response.status_code == 422
    assert soup(response).select(f"#err-reason-{file.id}")


def test_destroying_a_file_keeps_the_units_deviation_without_its_link(db, people, clock, app,
                                                                      tmp_path):
    """The unit's quality records outlive the file they were about, unlinked."""
    import uuid

    from models.journal.tables import JournalEntry
    from models.records.deviations import Deviation

    unit, hanna, client = _one_due(db, people, clock, app)
    entry_id = db.exec(select(JournalEntry.id).where(JournalEntry.client_id == client.id)).first()
    deviation = Deviation(uuid=str(uuid.uuid4()), unit_id=unit.id, client_id=client.id,
                          entry_id=entry_id, reported_by=hanna.id,
                          occurred_at=utcnow(), what="Besöket uteblev.")
    db.add(deviation)
    db.commit()
    officer = people.user("arkiv", "records")
    assert retention.execute(db, local_today().year, tmp_path, bytes, officer).run.files == 1
    db.commit()
    db.expire_all()
    kept = db.get(Deviation, deviation.id)
    assert (kept.client_id, kept.entry_id, kept.what) == (None, None, "Besöket uteblev.")


# --- a legal hold on any file: the records officer finds it first -------------------------


def _live_file(db, people, app):
    """A file with an open assignment: not in any plan, but it can be held (an appeal)."""
    from models.journal.people import create_client, open_assignment

    unit = people.unit("Enhet")
    client = create_client(db, unit, "Levande Fil", "19400516-0009")
    open_assignment(db, client, "sol", "Hemtjänst", local_today(), local_today())
    db.commit()
    return client


def _search(client, q):
    return client.post("/records/retention/search", data={"q": q})


def test_the_officer_finds_a_file_not_in_the_plan_by_personnummer(db, people, app, client):
    file = _live_file(db, people, app)
    people.login(people.user("arkiv", "records"))
    page = soup(_search(client, "194005160009"))
    (row,) = page.select("#found .records-file")
    assert "Levande Fil" in row.get_text() and row.select_one(f"#found-reason-{file.id}")


def test_the_officer_finds_a_file_by_part_of_its_name(db, people, app, client):
    _live_file(db, people, app)
    people.login(people.user("arkiv", "records"))
    assert len(soup(_search(client, "levande")).select("#found .records-file")) == 1


def test_every_file_a_search_shows_is_access_logged(db, people, app, client):
    file = _live_file(db, people, app)
    officer = people.user("arkiv", "records")
    people.login(officer)
    _search(client, "Levande")
    rows = db.exec(select(AccessLog).where(AccessLog.action == "records.search")).all()
    assert [(r.user_id, r.subject_id) for r in rows] == [(officer.id, file.id)]


def test_the_search_is_a_post_so_no_name_or_number_is_in_a_url(db, people, app, client):
    people.login(people.user("arkiv", "records"))
    form = soup(client.get("/records/retention")).select_one("form:has(#q)")
    assert form["method"] == "post" and "?" not in form["action"]
    assert client.get("/records/retention/search?q=Levande").status_code == 405


def test_a_personnummer_with_a_wrong_check_digit_is_a_field_error(db, people, app, client):
    people.login(people.user("arkiv", "records"))
    response = _search(client, "19400516-0008")
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#err-q") and page.select_one("#q")["value"] == "19400516-0008"


def test_one_letter_is_too_little_to_search_by(db, people, app, client):
    people.login(people.user("arkiv", "records"))
    assert _search(client, "L").status_code == 422


def test_a_file_found_can_be_held_and_the_hold_lifted(db, people, app, client):
    file = _live_file(db, people, app)
    people.login(people.user("arkiv", "records"))
    response = client.post("/records/retention/holds",
                           data={"client": file.id, "reason": "Överklagande i förvaltningsrätt"})
    assert response.status_code == 302
    hold = retention.active_holds(db)[file.id]
    assert hold.reason == "Överklagande i förvaltningsrätt"
    row = soup(_search(client, "Levande")).select_one("#found .records-file")
    assert "Överklagande" in row.get_text()
    client.post(f"/records/retention/holds/{hold.id}/lift")
    db.expire_all()
    assert retention.active_holds(db) == {}


def test_a_refused_hold_on_a_found_file_shows_the_error_at_that_file(db, people, app, client):
    file = _live_file(db, people, app)
    people.login(people.user("arkiv", "records"))
    response = client.post("/records/retention/holds", data={"client": file.id, "reason": " "})
    assert response.status_code == 422
    assert soup(response).select_one(f"#found #err-found-reason-{file.id}")


def test_only_the_records_officer_may_search(db, people):
    with pytest.raises(DomainError):
        retention.find_files(db, people.user("maja", "manager"), "Levande")


def test_the_destruction_log_shows_a_prune_of_the_access_log_by_its_count(db, people, client):
    from models.records import log_retention

    log_retention.prune(db)
    db.commit()
    people.login(people.user("arkiv", "records"))
    page = soup(client.get("/records/retention"))
    (line,) = [li.get_text() for li in page.select(".records-prunes li")]
    assert "0" in line and page.select(".records-log") == []


def test_a_hold_set_is_confirmed_on_the_page(db, people, clock, app, client):
    _unit, _hanna, file = _one_due(db, people, clock, app)
    people.login(people.user("arkiv", "records"))
    response = client.post("/records/retention/holds", data={"client": file.id,
                                                              "reason": "Överklagande"},
                           follow_redirects=True)
    assert soup(response).select_one(".records-done[role=status]")


# --- the records role sees no journal content ------------------------------------------


def test_a_records_officer_given_a_unit_and_assigned_still_cannot_read_a_file(db, people,
                                                                            client):
    """An admin's mistake (a unit for the officer, then an assignment to a client, made
    before assigning a records officer was refused) does not open the journal to the
    records role: the file is 'not found'."""
    from models.access import authorize
    from models.journal.people import create_client
    from models.journal.tables import StaffAssignment

    unit = people.unit("Enhet")
    officer = people.user("arkiv", "records", units=[unit])
    file = create_client(db, unit, "Levande Fil", NUMBERS[16])
    db.add(StaffAssignment(client_id=file.id, user_id=officer.id, from_on=date(2020, 1, 1)))
    db.commit()
    assert not authorize(db, officer, "journal.read", file)
    people.login(officer)
    assert client.get(f"/journal/{file.id}").status_code == 404


def test_a_records_officer_cannot_be_made_staff_concerned_for_a_client(db, people):
    from models.journal.people import assign_staff, create_client

    unit = people.unit("Enhet")
    officer = people.user("arkiv", "records", units=[unit])
    file = create_client(db, unit, "Levande Fil", NUMBERS[16])
    with pytest.raises(DomainError) as refused:
        assign_staff(db, file, officer)
    assert refused.value.field == "user_id"


def test_a_records_officer_is_not_offered_as_staff_concerned(db, people):
    from models.journal.people import create_client, staff_candidates

    unit = people.unit("Enhet")
    officer = people.user("arkiv", "records", units=[unit])
    worker = people.user("kontakt", "staff", units=[unit])
    file = create_client(db, unit, "Levande Fil", NUMBERS[16])
    offered = {u.id for u in staff_candidates(db, file)}
    assert (worker.id in offered, officer.id in offered) == (True, False)

