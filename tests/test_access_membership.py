"""Access follows staff changes (seed 003: only staff concerned have access).

Staff reach a client with a current assignment AND a current membership of the client's
unit; a manager with a current manager membership of that unit. An admin's change of
units, role or account state takes effect at once, on every client route, in the access log
and on every page that lists the unit's content.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models.access import AccessLog
from models.core.clock import local_today
from models.journal.entries import add_entry
from models.journal.people import assign_staff, create_client, open_assignment
from models.journal.tables import StaffAssignment
from tests.conftest import PASSWORD, soup
from tests.journal_helpers import make_home

# Every route of a client file, as (name, method, path for the client and assignment).
ROUTES = [
    ("read", "GET", "/journal/{c}"),
    ("write", "POST", "/journal/{c}/entries"),
    ("export", "GET", "/journal/{c}/export"),
    ("about", "GET", "/journal/{c}/about"),
    ("consent", "GET", "/journal/{c}/consent"),
    ("plan", "GET", "/journal/{c}/plan/{a}"),
]
NOTE = {"category": "action", "text": "Besök enligt plan.", "when": "now"}


@pytest.fixture
def home(people):
    return make_home(people)


@pytest.fixture
def admin(app, people, home):
    return people.login(home.admin, app.test_client())


def call(client, route, home, client_row=None, assignment=None):
    _, method, path = route
    url = path.format(c=(client_row or home.client).id, a=(assignment or home.assignment).id)
    if method == "GET":
        return client.get(url)
    return client.post(url, data={**NOTE, "assignment": str((assignment or home.assignment).id)})


def signed_in(app, people, user):
    return people.login(user, app.test_client())


def denied_rows(db, user, client_id) -> int:
    db.expire_all()
    return len(db.exec(select(AccessLog).where(
        AccessLog.user_id == user.id, AccessLog.subject_id == client_id,
        AccessLog.outcome == "denied")).all())


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_assigned_staff_of_the_unit_reach_every_client_route(app, people, home, route):
    hanna = signed_in(app, people, home.hanna)
    assert call(hanna, route, home).status_code in (200, 302)


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_staff_moved_to_another_unit_lose_every_client_route(app, people, home, admin, route,
                                                             db):
    other = people.unit("Annan enhet")
    admin.post(f"/admin/users/{home.hanna.id}/units", data={"units": [str(other.id)]})
    hanna = signed_in(app, people, home.hanna)  # a fresh sign-in, as the report did
    before = denied_rows(db, home.hanna, home.client.id)
    assert call(hanna, route, home).status_code == 404
    assert denied_rows(db, home.hanna, home.client.id) == before + 1


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_staff_removed_from_one_of_two_units_keep_only_the_other(app, people, home, admin,
                                                                 route, db):
    second = people.unit("Hemtjänst Söder")
    admin.post(f"/admin/users/{home.hanna.id}/units",
               data={"units": [str(home.unit.id), str(second.id)]})
    other_client = create_client(db, second, "Bo Test", "19420302-7711")
    other_assignment = open_assignment(db, other_client, "sol", "Hemtjänst",
                                       local_today() - timedelta(days=10),
                                       local_today() - timedelta(days=12))
    assign_staff(db, other_client, home.hanna, local_today() - timedelta(days=10))
    db.commit()
    admin.post(f"/admin/users/{home.hanna.id}/units", data={"units": [str(second.id)]})
    hanna = signed_in(app, people, home.hanna)
    assert call(hanna, route, home).status_code == 404
    kept = call(hanna, route, home, other_client, other_assignment)
    assert kept.status_code in (200, 302, 422)  # 422: no consent is needed for SoL; a plan
    assert kept.status_code != 404


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_deactivated_and_reactivated_person_is_no_longer_concerned(app, people, home, admin,
                                                                     route):
    admin.post(f"/admin/users/{home.hanna.id}/active", data={"active": "0", "confirm": "yes"})
    admin.post(f"/admin/users/{home.hanna.id}/active", data={"active": "1"})
    hanna = signed_in(app, people, home.hanna)
    assert call(hanna, route, home).status_code == 404


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_manager_made_staff_loses_the_units_clients(app, people, home, admin, route):
    admin.post(f"/admin/users/{home.maja.id}/role", data={"role": "staff"})
    maja = signed_in(app, people, home.maja)
    assert call(maja, route, home).status_code == 404


@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_manager_moved_to_another_unit_loses_the_units_clients(app, people, home, admin,
                                                                 route):
    other = people.unit("Annan enhet")
    admin.post(f"/admin/users/{home.maja.id}/units", data={"units": [str(other.id)]})
    maja = signed_in(app, people, home.maja)
    assert call(maja, route, home).status_code == 404


def test_staff_made_manager_and_staff_again_keep_their_assignment(app, people, home, admin):
    """A role change is about what the person may do in the unit; it does not end their
    work with a client (their assignment), so back as staff they reach it as before."""
    admin.post(f"/admin/users/{home.hanna.id}/role", data={"role": "manager"})
    admin.post(f"/admin/users/{home.hanna.id}/role", data={"role": "staff"})
    hanna = signed_in(app, people, home.hanna)
    assert hanna.get(f"/journal/{home.client.id}").status_code == 200


def test_an_assignment_left_open_does_not_outlive_the_membership(app, people, home, db):
    """Even with the assignment row still open (data from before this rule), access needs
    a membership of the client's unit."""
    from models.access import Membership

    db.delete(db.exec(select(Membership).where(Membership.user_id == home.hanna.id)).one())
    db.commit()
    hanna = signed_in(app, people, home.hanna)
    assert hanna.get(f"/journal/{home.client.id}").status_code == 404


# --- the file remembers who was concerned when ------------------------------------------


def test_leaving_the_unit_ends_the_assignment_today_with_who_did_it(people, home, admin, db):
    other = people.unit("Annan enhet")
    admin.post(f"/admin/users/{home.hanna.id}/units", data={"units": [str(other.id)]})
    db.expire_all()
    row = db.exec(select(StaffAssignment).where(
        StaffAssignment.user_id == home.hanna.id)).one()
    assert row.to_on == local_today()
    assert row.end_reason == "left_unit" and row.ended_by_id == home.admin.id


def test_deactivation_ends_every_assignment_with_who_did_it(people, home, admin, db):
    admin.post(f"/admin/users/{home.hanna.id}/active", data={"active": "0", "confirm": "yes"})
    db.expire_all()
    row = db.exec(select(StaffAssignment).where(
        StaffAssignment.user_id == home.hanna.id)).one()
    assert row.end_reason == "deactivated" and row.ended_by_id == home.admin.id


def test_the_about_page_shows_earlier_staff_with_the_reason_and_who_ended_it(
        app, people, home, admin):
    other = people.unit("Annan enhet")
    admin.post(f"/admin/users/{home.hanna.id}/units", data={"units": [str(other.id)]})
    maja = signed_in(app, people, home.maja)
    page = soup(maja.get(f"/journal/{home.client.id}/about"))
    (line,) = page.select("#staff-history li")
    text = " ".join(line.text.split())
    assert "Hanna" in text and "slutade på enheten" in text and "Ada" in text


def test_a_manager_ending_an_assignment_ends_access_at_once(app, people, home, db):
    maja = signed_in(app, people, home.maja)
    row = db.exec(select(StaffAssignment).where(
        StaffAssignment.user_id == home.hanna.id)).one()
    maja.post(f"/journal/{home.client.id}/staff/{row.id}/end")
    hanna = signed_in(app, people, home.hanna)
    assert hanna.get(f"/journal/{home.client.id}").status_code == 404


# --- every list drops the former unit at once -------------------------------------------


def _moved(people, home, admin, who):
    other = people.unit("Annan enhet")
    admin.post(f"/admin/users/{who.id}/units", data={"units": [str(other.id)]})


def _inbox(client):
    client.post("/shift/start")  # past the shift start, to the inbox itself
    return soup(client.get("/"))


def test_the_inbox_drops_the_former_units_clients(app, people, home, admin):
    hanna = signed_in(app, people, home.hanna)
    assert _inbox(hanna).select(f'a[href="/journal/{home.client.id}"]')
    _moved(people, home, admin, home.hanna)
    hanna = signed_in(app, people, home.hanna)
    assert not _inbox(hanna).select(f'a[href^="/journal/{home.client.id}"]')


def test_shift_start_drops_the_former_units_clients(app, people, home, admin, db):
    add_entry(db, home.maja, home.client, home.assignment.id, "action",
              "Kvällsbesök.")
    db.commit()
    _moved(people, home, admin, home.hanna)
    hanna = signed_in(app, people, home.hanna)
    page = hanna.get("/shift")
    assert page.status_code in (200, 302)
    assert home.client.name not in page.get_data(as_text=True)


def test_the_day_feed_and_its_inbox_thread_go_with_the_managers_unit(app, people, home,
                                                                      admin):
    _moved(people, home, admin, home.maja)
    maja = signed_in(app, people, home.maja)
    assert maja.get(f"/manage/units/{home.unit.id}/day").status_code == 404
    assert not soup(maja.get("/")).select(f'a[href="/manage/units/{home.unit.id}/day"]')


def test_follow_ups_drop_the_former_units_clients(app, people, home, admin):
    _moved(people, home, admin, home.maja)
    people.unit("Annan enhet")
    maja = signed_in(app, people, home.maja)
    page = maja.get("/manage/follow-ups")
    assert home.client.name not in page.get_data(as_text=True)


def test_statistics_of_the_former_unit_are_not_found(app, people, home, admin):
    _moved(people, home, admin, home.maja)
    maja = signed_in(app, people, home.maja)
    page = maja.get(f"/manage/stats?unit={home.unit.id}")
    assert page.status_code == 400  # refused at the unit field, no figures shown
    assert "egna enheter" in soup(page).select_one("#err-unit").text
    assert soup(page).select_one("table") is None


def test_the_moved_persons_password_still_works(app, people, home, admin):
    _moved(people, home, admin, home.hanna)
    response = app.test_client().post("/login", data={"username": "hanna",
                                                      "password": PASSWORD})
    assert response.status_code == 302
